//! Credentials from AWS Secrets Manager (feature `secrets-manager`).
//!
//! - The UserSig secret (written by usersig-refresher, read by ops-pull and
//!   push-stats): JSON [`UserSigSecret`]. [`UserSigSecretProvider`] reads it
//!   with `VersionStage=AWSCURRENT` once per cold start (lazily, on first
//!   use), caches it, re-reads it [`UserSigSecretProvider::REFRESH_MARGIN_SECS`]
//!   before `expires_at`, and re-reads it once when Tencent rejects the
//!   UserSig.
//! - The key secret (read by usersig-refresher, or by the functions in simple
//!   setups): JSON [`KeySecret`]. [`KeySecretProvider`] reads it once and
//!   signs UserSigs locally ([`LocalSigner`](crate::LocalSigner)).
//! - Both providers keep what they read in the crate's one expiry-aware
//!   cache (single-flight reads, refresh before expiry, forced re-read after
//!   a rejection).
//! - Neither the key nor a UserSig appears in `Debug`, `Display` or errors:
//!   a malformed secret is reported by its id and the field at fault, never
//!   by its value.
//!
//! `VersionStage=AWSCURRENT` is always asked for explicitly: it is what AWS
//! does by default anyway, and moto_server (tests, local runs) otherwise keeps
//! answering the version that was current when the secret was created.
//!
//! One concern a file: which apps and secrets the environment names (`source`), the
//! secrets' JSON values (`value`, parsed by `fields`), one GetSecretValue
//! (`reader`), Secrets Manager failures (`failure`), and the two readers
//! (`usersig_secret`, `key_secret`).

mod failure;
mod fields;
mod key_secret;
mod reader;
mod source;
mod usersig_secret;
mod value;

pub use failure::{FailureKind, SecretsManagerFailure};
pub use fields::MalformedSecret;
pub use key_secret::KeySecretProvider;
pub use reader::AWSCURRENT;
pub use source::{
    ConfiguredApp, CredentialsSource, KEY_SECRET_ENV, SDKAPPIDS_ENV, USERSIG_SECRET_ENV,
};
pub use usersig_secret::UserSigSecretProvider;
pub use value::{KeySecret, UserSigSecret};
