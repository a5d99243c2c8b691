//! Tencent's calling convention for every REST API:
//! `POST /v4/{service}/{command}?sdkappid=&identifier=&usersig=&random=&contenttype=json`
//! with a JSON body (never empty). Names and values are case-sensitive.
//!
//! The checks run in this order, each with the common code Tencent documents:
//! method (60002), path (60009), `sdkappid` missing (60012) or not a number
//! (60006), `identifier` missing or empty (60004), `usersig` missing or empty
//! (70002), `random` not a u32 (60002), `contenttype` not `json` (60002).
//! The body is checked after the UserSig (60003).

use hyper::Method;
use serde_json::Value;

use crate::reply::ApiError;

/// The commands the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `openconfigsvr/getappinfo`
    GetAppInfo,
    /// `timpush/all_member_push_statistics`
    AllMemberPushStatistics,
}

impl Command {
    pub const ALL: [Command; 2] = [Command::GetAppInfo, Command::AllMemberPushStatistics];

    /// `service/command`, as in the URL after `/v4/`.
    pub fn path(self) -> &'static str {
        match self {
            Command::GetAppInfo => tim::api::commands::GET_APP_INFO,
            Command::AllMemberPushStatistics => tim::api::commands::ALL_MEMBER_PUSH_STATISTICS,
        }
    }

    /// Tencent's documented frequency limit of this API, in calls per
    /// second per SDKAppID: getappinfo 200 (its page; an older one said
    /// 100), all_member_push_statistics 1 (its current page).
    pub fn per_second_limit(self) -> u64 {
        match self {
            Command::GetAppInfo => 200,
            Command::AllMemberPushStatistics => 1,
        }
    }

    fn from_path(service_command: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.path() == service_command)
    }
}

/// The key a request is counted and fault-matched under: the path after
/// `/v4/` (the whole path when it does not start so).
pub fn command_key(path: &str) -> &str {
    path.strip_prefix("/v4/").unwrap_or(path)
}

/// A request that follows the calling convention (UserSig not yet verified).
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    pub command: Command,
    pub sdkappid: u64,
    pub identifier: String,
    /// The UserSig text: never log it.
    pub usersig: String,
    pub random: u32,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("command", &self.command)
            .field("sdkappid", &self.sdkappid)
            .field("identifier", &self.identifier)
            .field("usersig", &"<redacted>")
            .field("random", &self.random)
            .finish()
    }
}

/// Checks method, path and query parameters.
pub fn check_call(method: &Method, path: &str, query: Option<&str>) -> Result<Call, ApiError> {
    if method != Method::POST {
        return Err(ApiError::new(
            60002,
            format!("HTTP parse error: method {method} is not supported, REST APIs take POST only"),
        ));
    }
    let command = path
        .strip_prefix("/v4/")
        .and_then(Command::from_path)
        .ok_or_else(|| {
            ApiError::new(60009, format!("request resource error: no API at {path:?}"))
        })?;

    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    // Tencent reads the first occurrence of a name; names are case-sensitive.
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    let sdkappid = param("sdkappid")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new(60012, "sdkappid is missing from the URL"))?;
    let sdkappid = parse_digits::<u64>(sdkappid)
        .ok_or_else(|| ApiError::new(60006, "invalid SDKAppID: not a number"))?;
    let identifier = param("identifier")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                60004,
                "account error in the request URL: identifier is missing",
            )
        })?;
    let usersig = param("usersig")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new(70002, "UserSig is missing or empty"))?;
    let random = param("random")
        .and_then(parse_digits::<u32>)
        .ok_or_else(|| {
            ApiError::new(
                60002,
                "HTTP parse error: random must be an unsigned 32-bit integer",
            )
        })?;
    if param("contenttype") != Some("json") {
        return Err(ApiError::new(
            60002,
            "HTTP parse error: contenttype must be json",
        ));
    }
    Ok(Call {
        command,
        sdkappid,
        identifier: identifier.to_owned(),
        usersig: usersig.to_owned(),
        random,
    })
}

/// The request body as JSON; an empty body is not JSON (Tencent wants `{}`).
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|err| {
        ApiError::new(
            60003,
            format!("JSON parse error of the request body: {err}"),
        )
    })
}

/// Decimal digits only (no sign, no spaces), within the type's range.
fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "sdkappid=1400000000&identifier=admin&usersig=abc&random=42&contenttype=json";

    fn code(method: Method, path: &str, query: &str) -> i64 {
        check_call(&method, path, Some(query))
            .err()
            .map_or(0, |e| e.code)
    }

    #[test]
    fn a_conforming_call_passes() {
        let call = check_call(&Method::POST, "/v4/openconfigsvr/getappinfo", Some(GOOD)).unwrap();
        assert_eq!(call.command, Command::GetAppInfo);
        assert_eq!(
            (call.sdkappid, call.identifier.as_str(), call.random),
            (1_400_000_000, "admin", 42)
        );
        assert!(!format!("{call:?}").contains("abc"));
    }

    #[test]
    fn each_violation_has_its_code() {
        let path = "/v4/timpush/all_member_push_statistics";
        assert_eq!(code(Method::GET, path, GOOD), 60002);
        assert_eq!(code(Method::POST, "/v4/openconfigsvr/nope", GOOD), 60009);
        assert_eq!(code(Method::POST, "/openconfigsvr/getappinfo", GOOD), 60009);
        assert_eq!(
            code(Method::POST, path, &GOOD.replace("sdkappid", "SdkAppId")),
            60012
        );
        assert_eq!(
            code(Method::POST, path, &GOOD.replace("1400000000", "14x")),
            60006
        );
        assert_eq!(
            code(
                Method::POST,
                path,
                &GOOD.replace("identifier=admin", "identifier=")
            ),
            60004
        );
        assert_eq!(
            code(Method::POST, path, &GOOD.replace("usersig=abc", "usersig=")),
            70002
        );
        assert_eq!(
            code(
                Method::POST,
                path,
                &GOOD.replace("random=42", "random=4294967296")
            ),
            60002
        );
        assert_eq!(
            code(Method::POST, path, &GOOD.replace("random=42", "random=-1")),
            60002
        );
        assert_eq!(
            code(Method::POST, path, &GOOD.replace("=json", "=JSON")),
            60002
        );
        assert_eq!(code(Method::POST, path, GOOD), 0);
    }

    #[test]
    fn empty_body_is_not_json() {
        assert_eq!(parse_body(b"").unwrap_err().code, 60003);
        assert_eq!(parse_body(b"{").unwrap_err().code, 60003);
        assert!(parse_body(b"{}").is_ok());
    }
}
