//! infra/facts.json holds the facts the infra checks (devtools/infra-check)
//! need from this crate, so they read JSON instead of scraping Rust sources.
//! These tests assert each fact equals what the crate's public API says: a
//! change on either side fails here, with the JSON to paste.

use serde_json::{Value, json};

fn facts() -> Value {
    serde_json::from_str(include_str!("../../../infra/facts.json"))
        .expect("infra/facts.json is JSON")
}

fn assert_fact(key: &str, expected: Value) {
    let facts = facts();
    assert_eq!(
        facts[key],
        expected,
        "infra/facts.json {key:?} differs from the code; it should be:\n\"{key}\": {}",
        serde_json::to_string_pretty(&expected).unwrap()
    );
}

#[test]
fn regions_are_tim_regions_with_their_domains() {
    let regions: Vec<Value> = tim::Region::ALL
        .iter()
        .map(|r| json!({"name": r.name(), "primary": r.primary_domain(), "backup": r.backup_domain()}))
        .collect();
    assert_fact("regions", Value::from(regions));
}

#[test]
fn getappinfo_fields_are_the_api_constants() {
    use tim::api::appinfo::{NUMERIC_FIELDS, TEXT_FIELDS};
    assert_fact(
        "getappinfo",
        json!({"numeric_fields": NUMERIC_FIELDS, "text_fields": TEXT_FIELDS}),
    );
}

/// The key secret's members: exactly the fields `KeySecret::from_json`
/// requires (a document of just these parses; without any one of them it is
/// refused, naming it), and the struct has no other field (the pattern below
/// has no `..`, so a new field stops this test compiling).
#[cfg(feature = "secrets-manager")]
#[test]
fn key_secret_fields_are_what_from_json_requires() {
    use tim::secrets::KeySecret;
    let names: Vec<String> = serde_json::from_value(facts()["key_secret_fields"].clone())
        .expect("key_secret_fields is a list of names");
    let sample = |name: &str| match name {
        "sdkappid" => json!(1_400_000_001u64),
        "region" => json!("singapore"),
        _ => json!("sample"),
    };
    let document = |skip: Option<&str>| {
        let members: serde_json::Map<String, Value> = names
            .iter()
            .filter(|n| Some(n.as_str()) != skip)
            .map(|n| (n.clone(), sample(n)))
            .collect();
        Value::Object(members).to_string()
    };
    let KeySecret {
        sdkappid,
        identifier,
        key: _,
        region,
    } = KeySecret::from_json(&document(None))
        .expect("a document of exactly the facts' fields parses");
    assert_eq!(
        (sdkappid, identifier.as_str(), region),
        (1_400_000_001, "sample", tim::Region::Singapore)
    );
    for name in &names {
        let error = KeySecret::from_json(&document(Some(name))).expect_err(name);
        assert!(
            error.0.starts_with(&format!("field `{name}` ")),
            "without {name}: {error}"
        );
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["identifier", "key", "region", "sdkappid"],
        "the struct's fields"
    );
}
