//! What comes from Tencent: the source of an app's data (`source`), the
//! paced push-statistics history (`push_history`), and Tencent's calendar
//! (`freshness`).

pub mod freshness;
pub mod push_history;
pub mod source;
