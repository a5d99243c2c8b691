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
//! - Both providers read once for concurrent first calls (single flight)
//!   and again after a rejection; the UserSig secret's reader also before
//!   expiry.
//! - Neither the key nor a UserSig appears in `Debug`, `Display` or errors:
//!   a malformed secret is reported by its id and the field at fault, never
//!   by its value.
//!
//! `VersionStage=AWSCURRENT` is always asked for explicitly: it is what AWS
//! does by default anyway, and moto_server (tests, local runs) otherwise keeps
//! answering the version that was current when the secret was created.
//!
//! One concern a file: which apps and secrets the environment names
//! (`source`), the secrets' JSON values (`value`), reading Secrets Manager
//! and classing its failures (`reader`), the two readers (`usersig_secret`,
//! `key_secret`) and the UserSig secret's cache (`cache`).

mod cache;
mod key_secret;
mod reader;
mod source;
mod usersig_secret;
mod value;

pub use key_secret::KeySecretProvider;
pub use reader::{AWSCURRENT, FailureKind, SecretsManagerFailure};
pub use source::{
    ConfiguredApp, CredentialsSource, KEY_SECRET_ENV, SDKAPPIDS_ENV, USERSIG_SECRET_ENV,
};
pub use usersig_secret::UserSigSecretProvider;
pub use value::{KeySecret, MalformedSecret, UserSigSecret};
