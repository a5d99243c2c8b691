//! `Apps::select`: which configured app answers, and the 400s.

use std::future::Future;

use tim::Deadline;
use tim::api::push::{PushStatistics, PushStatsRequest};

use super::*;

const A: u64 = 1_400_000_001;
const B: u64 = 1_400_000_002;

/// A source `select` never calls.
#[derive(Debug)]
struct Fake;

impl PushStatsSource for Fake {
    fn push_statistics(
        &self,
        _request: &PushStatsRequest,
        _deadline: Deadline,
    ) -> impl Future<Output = Result<PushStatistics, tim::Error>> + Send {
        std::future::ready(Err(tim::Error::credentials("not called here")))
    }
}

fn apps(ids: &[u64]) -> Apps<Fake> {
    let apps = ids.iter().map(|&sdkappid| App {
        sdkappid,
        source: Fake,
    });
    Apps::new(apps.collect())
}

fn selected(apps: &Apps<Fake>, requested: Option<u64>) -> Result<u64, ApiError> {
    apps.select(requested).map(|app| app.sdkappid)
}

#[test]
fn several_apps_are_chosen_by_sdkappid_and_none_given_or_an_unknown_one_is_refused() {
    let two = apps(&[A, B]);
    assert_eq!(selected(&two, Some(A)), Ok(A));
    assert_eq!(selected(&two, Some(B)), Ok(B));
    // The app handed out is the configured one.
    assert!(std::ptr::eq(two.select(Some(B)).unwrap(), &two.apps[1]));

    let required = two.select(None).unwrap_err();
    assert_eq!(
        (
            required.code,
            required.parameter.as_deref(),
            required.status()
        ),
        (ErrorCode::SdkappidRequired, Some("sdkappid"), 400)
    );
    assert!(required.message.contains("2 apps"), "{}", required.message);

    let unknown = two.select(Some(7)).unwrap_err();
    assert_eq!(
        (unknown.code, unknown.parameter.as_deref(), unknown.status()),
        (ErrorCode::UnknownSdkappid, Some("sdkappid"), 400)
    );
    assert!(
        unknown.message.contains("1400000001, 1400000002"),
        "{}",
        unknown.message
    );
}

#[test]
fn with_one_app_sdkappid_is_optional_but_must_match_when_given() {
    let one = apps(&[A]);
    assert_eq!(selected(&one, None), Ok(A));
    assert_eq!(selected(&one, Some(A)), Ok(A));
    let error = one.select(Some(B)).unwrap_err();
    assert_eq!(
        (error.code, error.parameter.as_deref()),
        (ErrorCode::UnknownSdkappid, Some("sdkappid"))
    );
}
