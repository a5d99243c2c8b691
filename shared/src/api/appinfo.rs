//! `v4/openconfigsvr/getappinfo`: the app's operations data, one row a day.
//!
//! Tencent sends every value as a JSON string. Known numeric fields are
//! exposed as numbers; a value that should be numeric but is not stays as its
//! text and is flagged [`OpsValue::Malformed`], never dropped. Unknown fields
//! are kept: numbers if their text is an integer, text otherwise.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Fields Tencent documents as text (the rest are counts).
pub const TEXT_FIELDS: &[&str] = &["AppName", "Company"];

/// Every numeric field Tencent documents (newest page plus older pages).
pub const NUMERIC_FIELDS: &[&str] = &[
    "AppId",
    "ActiveUserNum",
    "RegistUserNumOneDay",
    "RegistUserNumTotal",
    "LoginTimes",
    "LoginUserNum",
    "UpMsgNum",
    "SendMsgUserNum",
    "APNSMsgNum",
    "C2CUpMsgNum",
    "C2CDownMsgNum",
    "C2CSendMsgUserNum",
    "C2CAPNSMsgNum",
    "MaxOnlineNum",
    "DownMsgNum",
    "ChainIncrease",
    "ChainDecrease",
    "GroupUpMsgNum",
    "GroupDownMsgNum",
    "GroupSendMsgUserNum",
    "GroupAPNSMsgNum",
    "GroupSendMsgGroupNum",
    "GroupJoinGroupTimes",
    "GroupQuitGroupTimes",
    "GroupNewGroupNum",
    "GroupAllGroupNum",
    "GroupDestroyGroupNum",
    "CallBackReq",
    "CallBackRsp",
    "QQ",
    "TextMsgInNum",
    "TextMsgOutNum",
    "VoiceMsgInNum",
    "VoiceMsgOutNum",
];

/// The `Date` field, `YYYYMMDD`.
pub const DATE_FIELD: &str = "Date";

/// Request body: `{}` for all fields, or `{"RequestField": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfoRequest {
    /// The fields asked for (`RequestField`); `None` for all of them.
    #[serde(rename = "RequestField", skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

impl AppInfoRequest {
    /// Every field (`{}`).
    pub fn all_fields() -> Self {
        Self { fields: None }
    }

    /// Only these fields (`{"RequestField": [...]}`).
    pub fn only(fields: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            fields: Some(fields.into_iter().map(Into::into).collect()),
        }
    }
}

/// One value of a day's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpsValue {
    /// A count (Tencent's string parsed as an integer).
    Number(i64),
    /// A text field (AppName, Company, or an unknown non-numeric field).
    Text(String),
    /// A field that should be numeric but is not: its text, kept as is.
    Malformed(String),
    /// JSON `null` (Tencent sends strings; a null is no value at all).
    Null,
}

/// One day of operations data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfoDay {
    /// `Date` parsed; `Err(raw text)` when it is missing or not `YYYYMMDD`.
    pub date: Result<NaiveDate, String>,
    /// Every field but `Date`, in name order.
    pub values: BTreeMap<String, OpsValue>,
}

impl AppInfoDay {
    /// Builds a day from one element of `Result` (an object of strings).
    pub fn from_json(row: &serde_json::Map<String, Value>) -> Self {
        let date = match row.get(DATE_FIELD) {
            Some(Value::String(s)) => NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| s.clone()),
            Some(other) => Err(other.to_string()),
            None => Err(String::new()),
        };
        let values = row
            .iter()
            .filter(|(name, _)| name.as_str() != DATE_FIELD)
            .map(|(name, value)| (name.clone(), classify(name, value)))
            .collect();
        Self { date, values }
    }

    /// Names of fields whose value should be numeric but is not (a null
    /// included: Tencent documents every value as a string).
    pub fn malformed_fields(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(|(_, v)| matches!(v, OpsValue::Malformed(_) | OpsValue::Null))
            .map(|(k, _)| k.as_str())
    }
}

fn classify(name: &str, value: &Value) -> OpsValue {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Null => return OpsValue::Null,
        // Tolerate Tencent sending a real number some day.
        other => other.to_string(),
    };
    let as_int = text.trim().parse::<i64>().ok();
    if TEXT_FIELDS.contains(&name) {
        OpsValue::Text(text)
    } else if NUMERIC_FIELDS.contains(&name) {
        as_int.map_or(OpsValue::Malformed(text), OpsValue::Number)
    } else {
        as_int.map_or(OpsValue::Text(text), OpsValue::Number)
    }
}

/// A successful envelope (`ErrorCode` 0) whose `Result` cannot hold the
/// days: Tencent answered, but not with data. Never read as "no days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedAnswer {
    /// `Result` is absent.
    #[error("ErrorCode 0 but no Result")]
    MissingResult,
    /// `Result` is there but not a list (the JSON type it is).
    #[error("ErrorCode 0 but Result is {0}, not a list")]
    ResultNotAList(&'static str),
}

/// The whole answer: the parsed days plus the exact body Tencent sent.
#[derive(Debug, Clone)]
pub struct AppInfo {
    /// The rows of `Result`, in Tencent's order (empty when `Result` is
    /// malformed: see [`AppInfo::malformed`]).
    pub days: Vec<AppInfoDay>,
    /// The response body as received, for the raw archive.
    pub raw: bytes::Bytes,
    /// Why `Result` could not be read, when it could not.
    malformed: Option<MalformedAnswer>,
}

impl AppInfo {
    /// Parses a successful envelope's `Result` array. Elements that are not
    /// objects become days with a malformed date and no values, so the caller
    /// counts them instead of losing them silently. A missing or non-list
    /// `Result` is recorded ([`AppInfo::malformed`]), not taken for "no days".
    pub fn from_body(raw: bytes::Bytes, envelope: &serde_json::Map<String, Value>) -> Self {
        let result = envelope.get("Result");
        let malformed = match result {
            Some(Value::Array(_)) => None,
            None => Some(MalformedAnswer::MissingResult),
            Some(other) => Some(MalformedAnswer::ResultNotAList(super::json_kind(other))),
        };
        let rows = result.and_then(Value::as_array).into_iter().flatten();
        let days = rows.map(|row| match row {
            Value::Object(obj) => AppInfoDay::from_json(obj),
            other => AppInfoDay {
                date: Err(other.to_string()),
                values: BTreeMap::new(),
            },
        });
        Self {
            days: days.collect(),
            raw,
            malformed,
        }
    }

    /// Why `Result` could not be read (`None`: it was a list, maybe empty).
    pub fn malformed(&self) -> Option<MalformedAnswer> {
        self.malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_become_numbers_text_stays_text_and_bad_values_are_flagged() {
        let row = serde_json::json!({
            "AppName": "12345", "ActiveUserNum": "2014", "UpMsgNum": "n/a",
            "BrandNewNum": "7", "BrandNewText": "hello", "Date": "20160607"
        });
        let day = AppInfoDay::from_json(row.as_object().unwrap());
        assert_eq!(day.date, Ok(NaiveDate::from_ymd_opt(2016, 6, 7).unwrap()));
        assert_eq!(
            day.values.get("AppName"),
            Some(&OpsValue::Text("12345".into()))
        );
        assert_eq!(
            day.values.get("ActiveUserNum"),
            Some(&OpsValue::Number(2014))
        );
        assert_eq!(
            day.values.get("UpMsgNum"),
            Some(&OpsValue::Malformed("n/a".into()))
        );
        assert_eq!(day.values.get("BrandNewNum"), Some(&OpsValue::Number(7)));
        assert_eq!(
            day.values.get("BrandNewText"),
            Some(&OpsValue::Text("hello".into()))
        );
        assert_eq!(day.malformed_fields().collect::<Vec<_>>(), ["UpMsgNum"]);
    }

    #[test]
    fn a_null_is_no_value_and_flagged_and_odd_counts_keep_their_text() {
        let row = serde_json::json!({
            "Date": "20160607", "ActiveUserNum": null, "UpMsgNum": "",
            "MaxOnlineNum": "99999999999999999999", "LoginTimes": "1.5", "CallBackReq": 12
        });
        let day = AppInfoDay::from_json(row.as_object().unwrap());
        assert_eq!(day.values.get("ActiveUserNum"), Some(&OpsValue::Null));
        assert_eq!(
            day.values.get("UpMsgNum"),
            Some(&OpsValue::Malformed("".into()))
        );
        assert_eq!(
            day.values.get("MaxOnlineNum"),
            Some(&OpsValue::Malformed("99999999999999999999".into()))
        );
        assert_eq!(
            day.values.get("LoginTimes"),
            Some(&OpsValue::Malformed("1.5".into()))
        );
        assert_eq!(day.values.get("CallBackReq"), Some(&OpsValue::Number(12)));
        assert_eq!(
            day.malformed_fields().collect::<Vec<_>>(),
            ["ActiveUserNum", "LoginTimes", "MaxOnlineNum", "UpMsgNum"]
        );
    }

    #[test]
    fn a_bad_date_is_kept_as_its_text() {
        let row = serde_json::json!({"Date": "2016-06-07", "LoginTimes": "1"});
        let day = AppInfoDay::from_json(row.as_object().unwrap());
        assert_eq!(day.date, Err("2016-06-07".into()));
    }

    #[test]
    fn request_body_is_empty_object_or_field_list() {
        assert_eq!(
            serde_json::to_string(&AppInfoRequest::all_fields()).unwrap(),
            "{}"
        );
        assert_eq!(
            serde_json::to_string(&AppInfoRequest::only(["Date"])).unwrap(),
            r#"{"RequestField":["Date"]}"#
        );
    }

    #[test]
    fn a_missing_or_non_list_result_is_malformed_and_an_empty_one_is_not() {
        let parse = |envelope: Value| {
            AppInfo::from_body(bytes::Bytes::new(), envelope.as_object().unwrap()).malformed()
        };
        assert_eq!(
            parse(serde_json::json!({"ErrorCode": 0, "ErrorInfo": ""})),
            Some(MalformedAnswer::MissingResult)
        );
        assert_eq!(
            parse(serde_json::json!({"ErrorCode": 0, "Result": {"Date": "20160607"}})),
            Some(MalformedAnswer::ResultNotAList("an object"))
        );
        assert_eq!(
            parse(serde_json::json!({"ErrorCode": 0, "Result": null})),
            Some(MalformedAnswer::ResultNotAList("null"))
        );
        assert_eq!(
            parse(serde_json::json!({"ErrorCode": 0, "Result": []})),
            None
        );
        let info = AppInfo::from_body(
            bytes::Bytes::new(),
            serde_json::json!({"Result": [{"Date": "20160607"}, 7]})
                .as_object()
                .unwrap(),
        );
        assert_eq!((info.days.len(), info.malformed()), (2, None));
        assert_eq!(
            MalformedAnswer::ResultNotAList("a string").to_string(),
            "ErrorCode 0 but Result is a string, not a list"
        );
    }
}
