//! `v4/timpush/all_member_push_statistics`: push statistics per task or overall.

use serde::{Deserialize, Deserializer, Serialize};

/// Request body. `task_ids` empty asks for the overall statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushStatsRequest {
    /// Start of the window, unix seconds (`StartTime`).
    #[serde(rename = "StartTime")]
    pub start_time: i64,
    /// End of the window, unix seconds (`EndTime`).
    #[serde(rename = "EndTime")]
    pub end_time: i64,
    /// Up to [`MAX_TASK_IDS`] push task ids (`TaskID`); empty for the
    /// overall statistics.
    #[serde(rename = "TaskID", default, skip_serializing_if = "Vec::is_empty")]
    pub task_ids: Vec<String>,
}

/// Tencent's limit on task ids in one request.
pub const MAX_TASK_IDS: usize = 5;
/// Tencent's limit on a request's window (`EndTime - StartTime`): 30 days.
pub const MAX_WINDOW_SECS: i64 = 30 * 24 * 60 * 60;

/// A Tencent numeric code as an enum: `from_code` (also `From<i64>`, which
/// serde reads through), `code` and a lowercase `name` from one table, plus
/// `Unknown(n)` for codes this crate does not know.
macro_rules! coded_enum {
    ($(#[doc = $doc:literal])* $name:ident {
        $($(#[doc = $vdoc:literal])* $variant:ident = $code:literal => $label:literal,)+
    }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        #[serde(from = "i64")]
        pub enum $name {
            $($(#[doc = $vdoc])* $variant,)+
            /// A code this crate does not know.
            Unknown(i64),
        }

        impl $name {
            /// From Tencent's numeric code.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $($code => Self::$variant,)+
                    n => Self::Unknown(n),
                }
            }

            /// Tencent's numeric code.
            pub fn code(self) -> i64 {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Unknown(n) => n,
                }
            }

            /// The lowercase name (`unknown` for codes without one).
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                    Self::Unknown(_) => "unknown",
                }
            }
        }

        impl From<i64> for $name {
            fn from(code: i64) -> Self {
                Self::from_code(code)
            }
        }

        /// An answer without the member reads as code 0.
        impl Default for $name {
            fn default() -> Self {
                Self::from_code(0)
            }
        }
    };
}

coded_enum! {
    /// `EventType`: 1 offline push, 2 online push.
    EventType {
        /// 1: offline push (through the vendor channels).
        Offline = 1 => "offline",
        /// 2: online push (over the app's own connection).
        Online = 2 => "online",
    }
}

coded_enum! {
    /// `PushPlatform`: the vendor channel. 0 is Tencent's "unknown vendor"
    /// (always so for online push); codes beyond 8 are `Unknown(n)`.
    PushPlatform {
        /// 0: no vendor channel (always so for online push).
        Unspecified = 0 => "unknown",
        /// 1: Apple Push Notification service.
        Apns = 1 => "apns",
        /// 2: Xiaomi.
        Mi = 2 => "mi",
        /// 3: Huawei.
        Huawei = 3 => "huawei",
        /// 4: Firebase Cloud Messaging.
        Fcm = 4 => "fcm",
        /// 5: Meizu.
        Meizu = 5 => "meizu",
        /// 6: OPPO.
        Oppo = 6 => "oppo",
        /// 7: vivo.
        Vivo = 7 => "vivo",
        /// 8: Honor.
        Honor = 8 => "honor",
    }
}

/// The four counts Tencent reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct PushCounts {
    /// Could be sent.
    #[serde(rename = "TotalCount", default)]
    pub total: u64,
    /// Handed to the vendor channel.
    #[serde(rename = "SentCount", default)]
    pub sent: u64,
    /// Reached the device.
    #[serde(rename = "DeliveredCount", default)]
    pub delivered: u64,
    /// Opened by the user.
    #[serde(rename = "ClickCount", default)]
    pub clicked: u64,
}

impl PushCounts {
    /// `delivered / sent`, rounded to 4 decimals (0.25 = 25 %); `None` when
    /// nothing was sent.
    pub fn delivery_rate(&self) -> Option<f64> {
        rate(self.delivered, self.sent)
    }

    /// `clicked / delivered`, rounded to 4 decimals; `None` when nothing was
    /// delivered.
    pub fn click_rate(&self) -> Option<f64> {
        rate(self.clicked, self.delivered)
    }
}

/// `part / whole` rounded to 4 decimals; `None` when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole != 0).then(|| ((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0)
}

/// Counts of one channel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlatformPushStats {
    /// Offline or online push.
    #[serde(rename = "EventType", default)]
    pub event: EventType,
    /// The vendor channel.
    #[serde(rename = "PushPlatform", default)]
    pub platform: PushPlatform,
    /// The channel's counts.
    #[serde(flatten)]
    pub counts: PushCounts,
}

/// Counts of one task (`task_id` empty: the overall statistics).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TaskPushStats {
    /// The push task (empty, or absent or null in the answer: the overall
    /// statistics).
    #[serde(rename = "TaskID", default, deserialize_with = "null_as_empty")]
    pub task_id: String,
    /// The task's counts over all channels.
    #[serde(flatten)]
    pub counts: PushCounts,
    /// The counts per event type and channel.
    #[serde(rename = "PlatformStatistics", default)]
    pub platforms: Vec<PlatformPushStats>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// The answer's `Results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushStatistics {
    /// One entry per task asked for (one, with an empty id, for the overall
    /// statistics).
    pub results: Vec<TaskPushStats>,
}

impl PushStatistics {
    /// Parses a successful envelope (`ErrorCode` already checked). A
    /// missing or null `Results` is an error, never "nothing pushed": an
    /// answer without its data must not be archived as a day of zeros.
    pub fn from_envelope(envelope: &serde_json::Value) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(rename = "Results", default)]
            results: Option<Vec<TaskPushStats>>,
        }
        match Envelope::deserialize(envelope)?.results {
            Some(results) => Ok(Self { results }),
            None => Err(serde::de::Error::custom("ErrorCode 0 but no Results list")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let body = serde_json::json!({"ActionStatus": "OK","ErrorCode": 0,"ErrorInfo": "sucess","Results": [{"TaskID": "xxx-yyy-zzz","TotalCount": 2670,"SentCount": 2213,"DeliveredCount": 532,"ClickCount": 206,"PlatformStatistics": [{"EventType":1,"PushPlatform": 1,"TotalCount": 532,"SentCount": 391,"DeliveredCount": 0,"ClickCount": 27}]},{"TaskID": "aaa-bbb-ccc","TotalCount": 2941,"SentCount": 2430,"DeliveredCount": 546,"ClickCount": 300,"PlatformStatistics": [{"EventType":2,"PushPlatform": 12,"TotalCount": 266,"SentCount": 236,"DeliveredCount": 162,"ClickCount": 24}]}]});
        let stats = PushStatistics::from_envelope(&body).unwrap();
        assert_eq!(stats.results.len(), 2);
        assert_eq!(stats.results[0].task_id, "xxx-yyy-zzz");
        assert_eq!(stats.results[0].counts.delivered, 532);
        assert_eq!(stats.results[0].platforms[0].platform, PushPlatform::Apns);
        assert_eq!(stats.results[0].platforms[0].event, EventType::Offline);
        assert_eq!(
            stats.results[1].platforms[0].platform,
            PushPlatform::Unknown(12)
        );
        assert_eq!(stats.results[1].platforms[0].event.name(), "online");
    }

    #[test]
    fn an_answer_without_its_results_is_an_error_and_an_empty_list_is_not() {
        for envelope in [
            serde_json::json!({"ErrorCode": 0, "ErrorInfo": ""}),
            serde_json::json!({"ErrorCode": 0, "Results": null}),
            serde_json::json!({"ErrorCode": 0, "Results": {"TotalCount": 1}}),
            serde_json::json!({"ErrorCode": 0, "Results": "none"}),
        ] {
            assert!(
                PushStatistics::from_envelope(&envelope).is_err(),
                "{envelope}"
            );
        }
        let missing = PushStatistics::from_envelope(&serde_json::json!({"ErrorCode": 0}));
        assert!(missing.unwrap_err().to_string().contains("no Results"));
        let empty =
            PushStatistics::from_envelope(&serde_json::json!({"ErrorCode": 0, "Results": []}));
        assert_eq!(empty.unwrap().results, []);
    }

    #[test]
    fn request_omits_task_ids_when_empty() {
        let req = PushStatsRequest {
            start_time: 1,
            end_time: 2,
            task_ids: vec![],
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"StartTime":1,"EndTime":2}"#
        );
    }
}
