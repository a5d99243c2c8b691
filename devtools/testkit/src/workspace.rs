//! Where the workspace is on disk, for the files tests take from it
//! (`events/`, `.venv/bin/moto_server`). Its own module so that the moto
//! start-up (`lib.rs`) and `events` share it without importing each other.

use std::path::PathBuf;

/// The workspace root: this crate lives in `devtools/testkit`.
pub(crate) fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
