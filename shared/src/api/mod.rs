//! Typed Tencent REST APIs: requests, responses and their command paths.

pub mod appinfo;
pub mod push;

/// The REST commands this crate calls, as `service/command`.
pub mod commands {
    /// The app's operations data ([`super::appinfo`]).
    pub const GET_APP_INFO: &str = "openconfigsvr/getappinfo";
    /// Push statistics ([`super::push`]).
    pub const ALL_MEMBER_PUSH_STATISTICS: &str = "timpush/all_member_push_statistics";
}

/// How a JSON value reads in an error message ("an object", "a string", …),
/// for messages that say what was found instead of what was expected.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
