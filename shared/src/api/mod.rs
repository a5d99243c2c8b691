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
