//! usersig-refresher: the Secrets Manager rotation function for the UserSig
//! secret. It signs a fresh admin UserSig from the app's key secret and
//! stages it through the four rotation steps (createSecret, setSecret,
//! testSecret, finishSecret) the way AWS's rotation templates do.
//!
//! - [`event`]: the rotation event (with `RotationToken`).
//! - [`config`]: configuration from the environment.
//! - [`store`]: the Secrets Manager operations used, as a small trait, and
//!   its implementation on the AWS SDK client.
//! - [`rotation`]: the steps.
//! - [`error`]: what can go wrong, with stable error types.

pub mod config;
pub mod error;
pub mod event;
pub mod rotation;
pub mod store;

pub use config::Config;
pub use error::RotationError;
pub use event::{RotationEvent, Step};
pub use rotation::{Outcome, Rotator, StepReport};
pub use store::{SecretMetadata, SecretStore, StoreError};
