//! The sample events in the workspace's `events/` folder (the ones
//! `devtools/local-run.sh` and `cargo lambda invoke` send), for tests.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::workspace::workspace_root;

/// `events/` at the workspace root.
pub fn events_dir() -> PathBuf {
    workspace_root().join("events")
}

/// `events/{function}/{name}.json` as JSON (to inspect or mutate).
///
/// Panics, naming the file, when it is missing or not JSON: a test cannot
/// go on without its fixture.
pub fn event(function: &str, name: &str) -> Value {
    event_as(function, name)
}

/// `events/{function}/{name}.json` as `T` (e.g. the function's event type).
///
/// Panics, naming the file, when it is missing or does not deserialise.
pub fn event_as<T: DeserializeOwned>(function: &str, name: &str) -> T {
    let path = events_dir().join(function).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_functions_events() {
        assert_eq!(event("ops-pull", "dry-run")["dry_run"], true);
        assert_eq!(
            event("push-stats", "get")["requestContext"]["http"]["method"],
            "GET"
        );
        assert_eq!(
            event("usersig-refresher", "createSecret")["Step"],
            "createSecret"
        );
    }

    #[test]
    fn the_typed_variant_deserialises() {
        #[derive(serde::Deserialize)]
        struct Manual {
            dry_run: bool,
        }
        assert!(event_as::<Manual>("ops-pull", "dry-run").dry_run);
    }

    #[test]
    #[should_panic(expected = "events/ops-pull/no-such-event.json")]
    fn a_missing_event_names_its_file() {
        event("ops-pull", "no-such-event");
    }
}
