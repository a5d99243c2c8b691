//! `v4/openconfigsvr/getappinfo`: 30 days of operations data, every value a
//! JSON string, deterministic per (SDKAppID, date) and internally consistent
//! (e.g. `UpMsgNum = C2CUpMsgNum + GroupUpMsgNum`, `LoginUserNum <=
//! ActiveUserNum`), with per-day overrides tests can set.
//!
//! `RequestField` selects fields (plus `Date`); names the app does not have
//! are left out of the rows, as a newer or older Tencent would. An empty
//! list, like no list, means every field. A `RequestField` that is not an
//! array of strings is answered with 130001 (request JSON parse error).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{Days, NaiveDate};
use serde_json::{Map, Value, json};

use tim::api::appinfo::{DATE_FIELD, NUMERIC_FIELDS, TEXT_FIELDS};

use crate::reply::ApiError;
use crate::seeded::Seeded;

/// How many days one answer covers.
pub const DAYS: u64 = 30;

/// The days an answer on `today` covers: yesterday back 30 days, newest first.
pub fn days_covered(today: NaiveDate) -> Vec<NaiveDate> {
    (1..=DAYS)
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .collect()
}

/// `YYYYMMDD`.
pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// The generated row of one day (before overrides): exactly tim's
/// getappinfo fields ([`NUMERIC_FIELDS`], [`TEXT_FIELDS`], [`DATE_FIELD`]).
/// Numeric fields the model computes get its values, any other a value of
/// its own (see `unmodelled`), so the rows keep up with `tim::api::appinfo`.
pub fn day_row(sdkappid: u64, date: NaiveDate) -> BTreeMap<String, String> {
    let id = sdkappid.to_string();
    let day_text = date_text(date);
    let modelled = modelled_counts(sdkappid, date);
    let mut row: BTreeMap<String, String> = NUMERIC_FIELDS
        .iter()
        .map(|&name| {
            let value = modelled
                .iter()
                .find(|(modelled_name, _)| *modelled_name == name)
                .map_or_else(|| unmodelled(&id, &day_text, name), |&(_, n)| n);
            (name.to_owned(), value.to_string())
        })
        .collect();
    row.extend(TEXT_FIELDS.iter().map(|&name| {
        let value = match name {
            "AppName" => format!("Emulated Chat App {sdkappid}"),
            "Company" => "tim-emulator Demo Co.".to_owned(),
            other => format!("tim-emulator {other}"),
        };
        (name.to_owned(), value)
    }));
    row.insert(DATE_FIELD.to_owned(), day_text);
    row
}

/// The app's size: stable across days; each day varies around it.
fn app_scale(id: &str) -> u64 {
    Seeded::new(&["app", id]).range(800, 40_000)
}

/// The counts the model computes for one day, by field name, consistent
/// with each other. The draws from the day's stream happen in a fixed order:
/// reordering them would change every value served.
fn modelled_counts(sdkappid: u64, date: NaiveDate) -> [(&'static str, u64); 29] {
    let id = sdkappid.to_string();
    let day_text = date_text(date);
    let scale = app_scale(&id);
    let mut day = Seeded::new(&["day", &id, &day_text]);
    let epoch = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default();
    let age_days = u64::try_from((date - epoch).num_days()).unwrap_or(0);

    let regist_one_day = scale / 60 + day.range(0, scale / 40);
    let regist_total = scale * 5 + age_days * (scale / 50 + 1) + regist_one_day;
    let active = scale / 3 + day.range(0, scale / 5);
    let login_users = day.share(active, 80, 100);
    let login_times = login_users * day.range(1, 4) + day.range(0, login_users);
    let max_online = active / 12 + day.range(0, active / 20);

    let c2c_up = active * day.range(2, 20);
    let group_up = active * day.range(1, 8);
    let c2c_down = day.share(c2c_up, 90, 100);
    let group_down = group_up * day.range(3, 30);
    let c2c_senders = day.share(active, 30, 70);
    let group_senders = day.share(active, 5, 40);
    let senders = (c2c_senders.max(group_senders) + c2c_senders.min(group_senders) / 3).min(active);
    let c2c_apns = day.share(c2c_down, 0, 10);
    let group_apns = day.share(group_down, 0, 3);

    let chain_increase = day.range(0, scale / 80 + 1);
    let chain_decrease = day.range(0, scale / 100 + 1);
    let group_all = scale / 4 + age_days * (scale / 400 + 1);
    let group_new = day.range(0, scale / 100 + 1);
    let group_destroy = day.range(0, group_new);
    let group_msg_groups = day.share(group_all, 1, 20);
    let group_join = day.range(group_new, group_new * 10 + scale / 50);
    let group_quit = day.share(group_join, 20, 90);
    let callback_req = day.share(c2c_up + group_up, 0, 120);
    let callback_rsp = day.share(callback_req, 97, 100);

    [
        ("AppId", sdkappid),
        ("ActiveUserNum", active),
        ("RegistUserNumOneDay", regist_one_day),
        ("RegistUserNumTotal", regist_total),
        ("LoginTimes", login_times),
        ("LoginUserNum", login_users),
        ("UpMsgNum", c2c_up + group_up),
        ("SendMsgUserNum", senders),
        ("APNSMsgNum", c2c_apns + group_apns),
        ("C2CUpMsgNum", c2c_up),
        ("C2CDownMsgNum", c2c_down),
        ("C2CSendMsgUserNum", c2c_senders),
        ("C2CAPNSMsgNum", c2c_apns),
        ("MaxOnlineNum", max_online),
        ("DownMsgNum", c2c_down + group_down),
        ("ChainIncrease", chain_increase),
        ("ChainDecrease", chain_decrease),
        ("GroupUpMsgNum", group_up),
        ("GroupDownMsgNum", group_down),
        ("GroupSendMsgUserNum", group_senders),
        ("GroupAPNSMsgNum", group_apns),
        ("GroupSendMsgGroupNum", group_msg_groups),
        ("GroupJoinGroupTimes", group_join),
        ("GroupQuitGroupTimes", group_quit),
        ("GroupNewGroupNum", group_new),
        ("GroupAllGroupNum", group_all),
        ("GroupDestroyGroupNum", group_destroy),
        ("CallBackReq", callback_req),
        ("CallBackRsp", callback_rsp),
    ]
}

/// A plausible count for a numeric field the model does not compute (e.g.
/// `QQ`, `TextMsgInNum`): from a stream of its own per field, so that these
/// values never shift the modelled ones, which tests compare across runs.
fn unmodelled(id: &str, day_text: &str, field: &str) -> u64 {
    Seeded::new(&["field", id, day_text, field]).range(0, app_scale(id))
}

/// One day's overridden values: text, or `None` for a JSON null (Tencent
/// documents strings; tests use null to check clients survive one).
type DayOverrides = BTreeMap<String, Option<String>>;

/// Values tests set for a day, on top of the generated ones. A field the
/// generator does not know is added to the row (to test unknown fields).
#[derive(Debug, Default)]
pub(crate) struct Overrides(Mutex<BTreeMap<(u64, NaiveDate), DayOverrides>>);

impl Overrides {
    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<(u64, NaiveDate), DayOverrides>) -> R) -> R {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut map)
    }

    pub(crate) fn set(&self, sdkappid: u64, date: NaiveDate, field: String, value: Option<String>) {
        self.with(|m| m.entry((sdkappid, date)).or_default().insert(field, value));
    }

    pub(crate) fn clear(&self) {
        self.with(BTreeMap::clear);
    }

    fn of(&self, sdkappid: u64, date: NaiveDate) -> DayOverrides {
        self.with(|m| m.get(&(sdkappid, date)).cloned().unwrap_or_default())
    }
}

/// The full getappinfo answer for `body` on `today`.
pub(crate) fn answer(
    sdkappid: u64,
    today: NaiveDate,
    body: &Value,
    overrides: &Overrides,
) -> Result<Value, ApiError> {
    let selection = requested_fields(body)?;
    let rows: Vec<Value> = days_covered(today)
        .into_iter()
        .map(|date| {
            let mut row: BTreeMap<String, Value> = day_row(sdkappid, date)
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect();
            row.extend(
                overrides
                    .of(sdkappid, date)
                    .into_iter()
                    .map(|(name, value)| (name, value.map_or(Value::Null, Value::String))),
            );
            let row: Map<String, Value> = row
                .into_iter()
                .filter(|(name, _)| {
                    name == "Date"
                        || selection
                            .as_ref()
                            .is_none_or(|wanted| wanted.contains(name))
                })
                .collect();
            Value::Object(row)
        })
        .collect();
    // Tencent's example of this API has no ActionStatus: neither do we, so
    // clients are proven not to need it.
    Ok(json!({ "ErrorCode": 0, "ErrorInfo": "", "Result": rows }))
}

/// `None` for every field; otherwise the requested names.
fn requested_fields(body: &Value) -> Result<Option<Vec<String>>, ApiError> {
    let bad = |why: &str| ApiError::new(130001, format!("request JSON parse error: {why}"));
    let Value::Object(body) = body else {
        return Err(bad("the body is not a JSON object"));
    };
    match body.get("RequestField") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("RequestField holds a non-string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad("RequestField is not an array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(row: &BTreeMap<String, String>, field: &str) -> u64 {
        row[field].parse().unwrap()
    }

    #[test]
    fn rows_are_deterministic_complete_and_consistent() {
        for offset in 0..60 {
            let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(offset);
            let row = day_row(1_400_000_000, date);
            assert_eq!(row, day_row(1_400_000_000, date));
            for field in NUMERIC_FIELDS
                .iter()
                .chain(TEXT_FIELDS)
                .chain([&DATE_FIELD])
            {
                assert!(row.contains_key(*field), "{field}");
            }
            assert_eq!(
                n(&row, "UpMsgNum"),
                n(&row, "C2CUpMsgNum") + n(&row, "GroupUpMsgNum")
            );
            assert_eq!(
                n(&row, "DownMsgNum"),
                n(&row, "C2CDownMsgNum") + n(&row, "GroupDownMsgNum")
            );
            assert_eq!(
                n(&row, "APNSMsgNum"),
                n(&row, "C2CAPNSMsgNum") + n(&row, "GroupAPNSMsgNum")
            );
            assert!(n(&row, "LoginUserNum") <= n(&row, "ActiveUserNum"));
            assert!(n(&row, "SendMsgUserNum") <= n(&row, "ActiveUserNum"));
            assert!(n(&row, "ActiveUserNum") <= n(&row, "RegistUserNumTotal"));
            assert!(n(&row, "CallBackRsp") <= n(&row, "CallBackReq"));
            assert!(n(&row, "GroupDestroyGroupNum") <= n(&row, "GroupNewGroupNum"));
        }
        let a = day_row(1_400_000_000, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let b = day_row(1_400_000_001, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_ne!(a["ActiveUserNum"], b["ActiveUserNum"]);
    }

    #[test]
    fn rows_have_exactly_tims_getappinfo_fields() {
        let row = day_row(1_400_000_000, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = NUMERIC_FIELDS
            .iter()
            .chain(TEXT_FIELDS)
            .copied()
            .chain([DATE_FIELD])
            .collect();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        for name in NUMERIC_FIELDS {
            assert!(row[*name].parse::<u64>().is_ok(), "{name}={}", row[*name]);
        }
        // A modelled name tim does not list would silently never be served.
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for (name, _) in modelled_counts(1_400_000_000, date) {
            assert!(NUMERIC_FIELDS.contains(&name), "{name}");
        }
    }

    #[test]
    fn served_values_stay_what_they_were() {
        // Other crates' tests compare numbers with what the emulator served
        // before: a reordered draw or a new field's draw from the day's
        // stream would change them.
        // (Checked against the generator before it followed tim's list: the
        // same values for every field it served, 5 apps over 800 days.)
        let row = day_row(1_400_000_000, NaiveDate::from_ymd_opt(2026, 5, 27).unwrap());
        let pinned = [
            ("AppId", "1400000000"),
            ("ActiveUserNum", "6817"),
            ("RegistUserNumTotal", "1761663"),
            ("LoginTimes", "16446"),
            ("UpMsgNum", "115889"),
            ("DownMsgNum", "640116"),
            ("ChainDecrease", "122"),
            ("GroupAllGroupNum", "213183"),
            ("GroupQuitGroupTimes", "695"),
            ("CallBackReq", "82281"),
            ("CallBackRsp", "81458"),
            ("AppName", "Emulated Chat App 1400000000"),
            ("Company", "tim-emulator Demo Co."),
            ("Date", "20260527"),
        ];
        for (name, value) in pinned {
            assert_eq!(row[name], value, "{name}");
        }
    }

    #[test]
    fn covers_yesterday_back_thirty_days() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let days = days_covered(today);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(days[29], NaiveDate::from_ymd_opt(2026, 1, 30).unwrap());
    }

    #[test]
    fn request_field_must_be_strings() {
        assert_eq!(
            requested_fields(&json!({"RequestField": "x"}))
                .unwrap_err()
                .code,
            130001
        );
        assert_eq!(
            requested_fields(&json!({"RequestField": [1]}))
                .unwrap_err()
                .code,
            130001
        );
        assert_eq!(requested_fields(&json!([])).unwrap_err().code, 130001);
        assert_eq!(requested_fields(&json!({})).unwrap(), None);
        assert_eq!(
            requested_fields(&json!({"RequestField": []})).unwrap(),
            None
        );
    }
}
