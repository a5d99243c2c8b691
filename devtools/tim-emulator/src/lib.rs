#![doc = include_str!("../README.md")]
//! A local emulator of Tencent Cloud Chat's REST API.
//!
//! It answers `v4/openconfigsvr/getappinfo` and
//! `v4/timpush/all_member_push_statistics` the way Tencent documents them,
//! after the same calling-convention and UserSig checks Tencent makes, and
//! lets tests inject faults and count requests and TCP connections.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tim_emulator::{Emulator, EmulatorConfig, Fault};
//! let emu = Emulator::start(EmulatorConfig::default().with_app(1400000000, "the-key")).await?;
//! emu.inject(Fault::ErrorCode(60007), 3);
//! let base_url = emu.base_url(); // e.g. http://127.0.0.1:40123
//! # let _ = base_url;
//! assert_eq!(emu.stats().requests, 0);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Modules, one concept each: [`server`] (accept loop, routing),
//! [`convention`] (the calling convention), [`auth`] (apps, UserSig, admins),
//! [`opsdata`] and [`pushstats`] (the two APIs' data), [`faults`], [`admin`]
//! (the `/__emulator/` HTTP API), [`stats`] (with the calls per second per
//! API and app, and the optional rate-limit enforcement), [`reply`] (answer
//! shapes).

pub mod admin;
pub mod auth;
pub mod config;
pub mod convention;
pub mod faults;
pub mod opsdata;
pub mod pushstats;
mod rates;
pub mod reply;
mod seeded;
pub mod server;
mod state;
pub mod stats;

pub use auth::DEFAULT_ADMINS;
pub use config::EmulatorConfig;
pub use faults::{Fault, ResultFault};
pub use server::Emulator;
pub use stats::Stats;
