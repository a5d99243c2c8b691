#![doc = include_str!("../README.md")]

pub mod config;
pub mod error;
pub mod event;
pub mod lambda;
pub mod pending;
pub mod rotation;
pub mod store;
pub mod targets;

pub use config::Config;
pub use error::RotationError;
pub use event::{RotationEvent, Step};
pub use pending::PendingFault;
pub use rotation::{Outcome, Rotator, StepReport};
pub use store::{SecretMetadata, SecretStore, SecretsError};
pub use targets::RotationTarget;
