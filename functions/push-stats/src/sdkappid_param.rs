//! The `sdkappid` parameter: which app of the stack a request is for, as a
//! query value or a JSON number or string of digits.

use serde_json::Value;
use tim::api::json_kind;

use crate::error::{ApiError, ErrorCode, value_for_message};

/// The parameter naming the app.
pub const SDKAPPID: &str = "sdkappid";

/// Near misses of `sdkappid`, pointed at it.
pub(crate) fn sdkappid_hint(name: &str) -> &'static str {
    match name {
        "SDKAppID" | "SdkAppId" | "sdkAppId" | "sdk_app_id" | "appid" | "app_id" => {
            " (use sdkappid)"
        }
        _ => "",
    }
}

fn invalid_sdkappid(shown: &str) -> ApiError {
    ApiError::param(
        ErrorCode::InvalidSdkappid,
        SDKAPPID,
        format!("sdkappid {shown} must be the app's SDKAppID: a whole number (digits only)"),
    )
}

/// `sdkappid` as text (a query value, a JSON string): ASCII digits only, so
/// no sign, space, fraction or exponent; within u64.
pub(crate) fn digits_sdkappid(text: &str) -> Result<u64, ApiError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_sdkappid(&value_for_message(text)));
    }
    text.parse()
        .map_err(|_| invalid_sdkappid(&value_for_message(text)))
}

/// `sdkappid` in JSON: a non-negative integer or a string of digits; `null`
/// counts as absent, like every other key.
pub(crate) fn json_sdkappid(value: &Value) -> Result<Option<u64>, ApiError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => digits_sdkappid(text).map(Some),
        Value::Number(number) => number
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid_sdkappid(&format!("({number})"))),
        other => Err(ApiError::param(
            ErrorCode::InvalidSdkappid,
            SDKAPPID,
            format!(
                "sdkappid must be a number or a string of digits, not {}",
                json_kind(other)
            ),
        )),
    }
}
