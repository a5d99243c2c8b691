//! The checks Tencent makes before answering, over real HTTP: the calling
//! convention's violations and UserSig failures get Tencent's codes.

use base64::Engine as _;
use serde_json::{Value, json};
use tim_emulator::EmulatorConfig;

use crate::common::*;

/// (command, query, body, expected ErrorCode)
type Case<'a> = (&'a str, Vec<(String, String)>, &'a str, i64);

#[tokio::test]
async fn calling_convention_violations_get_the_documented_codes() {
    let emu = start().await;
    let client = reqwest::Client::new();
    let good = good_params(&admin_sig());

    let get = client
        .get(url_with(&emu, APPINFO, &good))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_fail(&get.json().await.unwrap(), 60002);

    let cases: Vec<Case> = vec![
        ("openconfigsvr/nosuchcommand", good.clone(), "{}", 60009),
        ("nosuchservice/getappinfo", good.clone(), "{}", 60009),
        (APPINFO, with_param(&good, "sdkappid", None), "{}", 60012),
        (
            APPINFO,
            with_param(
                &with_param(&good, "sdkappid", None),
                "SdkAppId",
                Some(&APP.to_string()),
            ),
            "{}",
            60012,
        ),
        (
            APPINFO,
            with_param(&good, "sdkappid", Some("1400000001")),
            "{}",
            60006,
        ),
        (APPINFO, with_param(&good, "identifier", None), "{}", 60004),
        (APPINFO, with_param(&good, "usersig", None), "{}", 70002),
        (APPINFO, with_param(&good, "usersig", Some("")), "{}", 70002),
        (APPINFO, with_param(&good, "random", None), "{}", 60002),
        (
            APPINFO,
            with_param(&good, "random", Some("abc")),
            "{}",
            60002,
        ),
        (
            APPINFO,
            with_param(&good, "random", Some("4294967296")),
            "{}",
            60002,
        ),
        (APPINFO, with_param(&good, "contenttype", None), "{}", 60002),
        (
            APPINFO,
            with_param(&good, "contenttype", Some("xml")),
            "{}",
            60002,
        ),
        (APPINFO, good.clone(), "", 60003),
        (APPINFO, good.clone(), "{\"RequestField\":", 60003),
        (PUSH, good.clone(), "not json", 60003),
    ];
    for (command, params, body, code) in cases {
        let answer = post_json(&client, &emu, command, &params, body).await;
        assert_eq!(
            answer["ErrorCode"], code,
            "{command} {params:?} {body:?}: {answer}"
        );
        assert_fail(&answer, code);
    }
    // The largest u32 is a valid random.
    let ok = post_json(
        &client,
        &emu,
        APPINFO,
        &with_param(&good, "random", Some("4294967295")),
        "{}",
    )
    .await;
    assert_eq!(ok["ErrorCode"], 0);
}

/// A token with Tencent's framing but arbitrary JSON inside.
fn forge(doc: &Value) -> String {
    use std::io::Write as _;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(doc.to_string().as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD
        .encode(zlib.finish().unwrap())
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

#[tokio::test]
async fn usersig_failures_get_tencents_codes() {
    let emu = start_with(
        EmulatorConfig::default()
            .with_app(APP, KEY)
            .with_app_admins(APP + 1, "other-app-key", ["ops-admin"]),
    )
    .await;
    let client = reqwest::Client::new();
    let code_for = |usersig: String, identifier: &str, sdkappid: u64| {
        let params = with_param(
            &with_param(&good_params(&usersig), "identifier", Some(identifier)),
            "sdkappid",
            Some(&sdkappid.to_string()),
        );
        let client = client.clone();
        let emu = &emu;
        async move {
            post_json(&client, emu, APPINFO, &params, "{}").await["ErrorCode"]
                .as_i64()
                .unwrap()
        }
    };

    assert_eq!(code_for(admin_sig(), "admin", APP).await, 0);
    // Valid through its last second, expired one second later.
    assert_eq!(
        code_for(sign(APP, KEY, "admin", 100, NOW - 100), "admin", APP).await,
        0
    );
    assert_eq!(
        code_for(sign(APP, KEY, "admin", 99, NOW - 100), "admin", APP).await,
        70001
    );
    assert_eq!(
        code_for("definitely-not-a-usersig".into(), "admin", APP).await,
        70003
    );
    assert_eq!(
        code_for(sign(APP, "another-key", "admin", 600, NOW), "admin", APP).await,
        70009
    );
    assert_eq!(code_for(admin_sig(), "administrator", APP).await, 70013);
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "admin", 600, NOW),
            "admin",
            APP
        )
        .await,
        70014
    );
    let old_version = forge(&json!({
        "TLS.ver": "1.0", "TLS.identifier": "admin", "TLS.sdkappid": APP,
        "TLS.expire": 600, "TLS.time": NOW, "TLS.sig": "AAAA"
    }));
    assert_eq!(code_for(old_version, "admin", APP).await, 70003);
    // A valid UserSig of an account that is not an admin.
    assert_eq!(
        code_for(sign(APP, KEY, "alice", 600, NOW), "alice", APP).await,
        60010
    );
    // Both default admins are accepted.
    assert_eq!(
        code_for(
            sign(APP, KEY, "administrator", 600, NOW),
            "administrator",
            APP
        )
        .await,
        0
    );
    // with_app_admins replaces the defaults.
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "ops-admin", 600, NOW),
            "ops-admin",
            APP + 1
        )
        .await,
        0
    );
    assert_eq!(
        code_for(
            sign(APP + 1, "other-app-key", "admin", 600, NOW),
            "admin",
            APP + 1
        )
        .await,
        60010
    );
}
