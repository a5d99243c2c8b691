//! The `usersig` operator tool, end to end: arguments, TIM_KEY, stdin,
//! stdout JSON, stderr reason words and exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tim::usersig::{SecretKey, Signer};

use crate::common::usersig::{KEY, REFERENCE_ADMIN, SDKAPPID, TIME};

/// Runs the tool with `args`, TIM_KEY set to `key` (or removed), `stdin` fed.
fn usersig(args: &[&str], key: Option<&str>, stdin: &[u8]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usersig"));
    command
        .args(args)
        .env_remove("TIM_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("TIM_KEY", key);
    }
    let mut child = command.spawn().expect("usersig binary runs");
    // The tool may exit before reading stdin (usage errors): ignore EPIPE.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn verify_args(sdkappid: &str, identifier: &'static str, now: &str) -> Vec<String> {
    [
        "verify",
        "--sdkappid",
        sdkappid,
        "--identifier",
        identifier,
        "--now",
        now,
    ]
    .map(String::from)
    .to_vec()
}

fn run_verify(
    token: &str,
    key: &str,
    sdkappid: &str,
    identifier: &'static str,
    now: &str,
) -> Output {
    let args = verify_args(sdkappid, identifier, now);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    usersig(&args, Some(key), token.as_bytes())
}

/// Exit 1, the reason word on stderr, nothing on stdout, no secret anywhere.
fn assert_invalid(output: &Output, reason: &str, token: &str) {
    let err = stderr(output);
    assert_eq!(code(output), 1, "stderr: {err}");
    assert!(err.contains(reason), "{reason:?} not in {err:?}");
    assert!(stdout(output).is_empty());
    assert!(!err.contains(KEY));
    if !token.trim().is_empty() {
        assert!(!err.contains(token.trim()), "{err}");
    }
}

fn parse_claims(output: &Output) -> Value {
    let out = stdout(output);
    assert_eq!(out.lines().count(), 1, "one JSON line: {out:?}");
    assert!(out.ends_with('\n'));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn gen_prints_the_same_usersig_as_the_library() {
    let output = usersig(
        &[
            "gen",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "administrator",
            "--expire",
            "86400",
            "--time",
            "1700000000",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let expected = Signer::new(SDKAPPID, SecretKey::new(KEY)).sign("administrator", 86_400, TIME);
    assert_eq!(stdout(&output), format!("{}\n", expected.expose_secret()));
    assert!(stderr(&output).is_empty());
}

#[test]
fn gen_for_admin_at_the_reference_time_makes_the_reference_token() {
    let output = usersig(
        &[
            "gen",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
            "--time",
            "1700000000",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(code(&output), 0);
    // Default expire (15552000); Python's compact output differs only in
    // JSON whitespace, so compare the claims and signatures via verify.
    let ours = stdout(&output);
    let claims = parse_claims(&run_verify(&ours, KEY, "1400000000", "admin", "1700000000"));
    let reference = parse_claims(&run_verify(
        REFERENCE_ADMIN,
        KEY,
        "1400000000",
        "admin",
        "1700000000",
    ));
    assert_eq!(claims, reference);
    assert_eq!(claims["expire"], 15_552_000);
}

#[test]
fn gen_defaults_time_to_now() {
    let output = usersig(
        &["gen", "--sdkappid", "1400000000", "--identifier", "admin"],
        Some(KEY),
        b"",
    );
    assert_eq!(code(&output), 0);
    let claims = parse_claims(&usersig(&["inspect"], None, stdout(&output).as_bytes()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let time = claims["time"].as_u64().unwrap();
    assert!(time.abs_diff(now) < 300, "time {time} vs now {now}");
    // And verify's default "now" accepts it.
    let output = usersig(
        &[
            "verify",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
        ],
        Some(KEY),
        stdout(&output).as_bytes(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn gen_handles_unicode_identifiers() {
    for identifier in ["管理员", "😀 <\"quoted\"> \\", "مرحبا"] {
        let output = usersig(
            &[
                "gen",
                "--sdkappid",
                "1400000000",
                "--identifier",
                identifier,
                "--time",
                "1700000000",
            ],
            Some(KEY),
            b"",
        );
        assert_eq!(code(&output), 0);
        let args = [
            "verify",
            "--sdkappid",
            "1400000000",
            "--identifier",
            identifier,
            "--now",
            "1700000000",
        ];
        let verified = usersig(&args, Some(KEY), stdout(&output).as_bytes());
        assert_eq!(code(&verified), 0, "{}", stderr(&verified));
        assert_eq!(parse_claims(&verified)["identifier"], identifier);
    }
}

#[test]
fn gen_without_a_key_is_a_usage_error_naming_tim_key() {
    for key in [None, Some(""), Some("  ")] {
        let output = usersig(
            &["gen", "--sdkappid", "1400000000", "--identifier", "admin"],
            key,
            b"",
        );
        assert_eq!(code(&output), 2, "key {key:?}");
        assert!(stderr(&output).contains("TIM_KEY"), "{}", stderr(&output));
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn the_key_is_never_taken_from_argv() {
    for flag in ["--key", "--tim-key", "-k"] {
        let output = usersig(
            &[
                "gen",
                "--sdkappid",
                "1400000000",
                "--identifier",
                "admin",
                flag,
                KEY,
            ],
            Some(KEY),
            b"",
        );
        assert_eq!(code(&output), 2, "{flag}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["gen"],
        &["gen", "--identifier", "admin"],
        &["gen", "--sdkappid", "1400000000"],
        &["gen", "--sdkappid", "abc", "--identifier", "admin"],
        &["gen", "--sdkappid", "-1", "--identifier", "admin"],
        &[
            "gen",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
            "--expire",
            "soon",
        ],
        &[
            "gen",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
            "--time",
            "-5",
        ],
        &["verify", "--identifier", "admin"],
        &[
            "verify",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
            "--now",
            "x",
        ],
        &["inspect", "--sdkappid", "1"],
    ] {
        let output = usersig(args, Some(KEY), REFERENCE_ADMIN.as_bytes());
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_exit_zero() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["-V"],
        &["gen", "--help"],
        &["verify", "--help"],
        &["inspect", "--help"],
        &["help"],
    ] {
        let output = usersig(args, None, b"");
        assert_eq!(code(&output), 0, "{args:?}");
        assert!(!stdout(&output).is_empty(), "{args:?}");
    }
    let help = stdout(&usersig(&["--help"], None, b""));
    for word in ["gen", "verify", "inspect", "TIM_KEY"] {
        assert!(help.contains(word), "{word} in {help}");
    }
    let version = stdout(&usersig(&["--version"], None, b""));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
}

#[test]
fn verify_prints_the_claims_as_one_json_line() {
    let output = run_verify(
        &format!("\n  {REFERENCE_ADMIN}\r\n"),
        KEY,
        "1400000000",
        "admin",
        "1700000000",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let claims = parse_claims(&output);
    assert_eq!(
        claims,
        serde_json::json!({
            "identifier": "admin",
            "sdkappid": 1400000000u64,
            "time": 1700000000u64,
            "expire": 15552000u64,
            "expires_at": "2024-05-12T22:13:20Z",
        })
    );
    assert!(stderr(&output).is_empty());
}

#[test]
fn verify_accepts_the_exact_last_second_and_rejects_the_next() {
    let last = (TIME + 15_552_000).to_string();
    assert_eq!(
        code(&run_verify(
            REFERENCE_ADMIN,
            KEY,
            "1400000000",
            "admin",
            &last
        )),
        0
    );
    let next = (TIME + 15_552_001).to_string();
    assert_invalid(
        &run_verify(REFERENCE_ADMIN, KEY, "1400000000", "admin", &next),
        "expired",
        REFERENCE_ADMIN,
    );
}

#[test]
fn verify_names_each_reason() {
    let signer = Signer::new(SDKAPPID, SecretKey::new(KEY));
    let wrong_version = {
        // Re-encode the reference JSON with another version.
        let json = r#"{"TLS.ver": "1.0", "TLS.identifier": "admin", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1700000000, "TLS.sig": "3cjTnO/gKL/+FXJRADCK1V3clKvy6z5MYmn9ENXsWkI="}"#;
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(json.as_bytes()).unwrap();
        STANDARD
            .encode(zlib.finish().unwrap())
            .replace('+', "*")
            .replace('/', "-")
            .replace('=', "_")
    };
    let other_key = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    let fresh = signer.sign("admin", 86_400, TIME);
    let fresh = fresh.expose_secret();
    for (token, key, sdkappid, identifier, reason) in [
        (fresh, other_key, "1400000000", "admin", "signature"),
        (fresh, KEY, "1400000001", "admin", "sdkappid"),
        (fresh, KEY, "1400000000", "administrator", "identifier"),
        (
            wrong_version.as_str(),
            KEY,
            "1400000000",
            "admin",
            "version",
        ),
        ("not a usersig", KEY, "1400000000", "admin", "malformed"),
        ("", KEY, "1400000000", "admin", "malformed"),
        (&fresh[..40], KEY, "1400000000", "admin", "malformed"),
    ] {
        let output = run_verify(token, key, sdkappid, identifier, "1700000000");
        assert_invalid(&output, reason, token);
    }
    let expired = run_verify(fresh, KEY, "1400000000", "admin", "1700086401");
    assert_invalid(&expired, "expired", fresh);
}

#[test]
fn verify_of_non_utf8_stdin_is_malformed() {
    let output = usersig(
        &[
            "verify",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
        ],
        Some(KEY),
        &[0xff, 0xfe, b'e', b'J'],
    );
    assert_invalid(&output, "malformed", "");
}

#[test]
fn verify_without_a_key_is_a_usage_error() {
    let output = usersig(
        &[
            "verify",
            "--sdkappid",
            "1400000000",
            "--identifier",
            "admin",
        ],
        None,
        REFERENCE_ADMIN.as_bytes(),
    );
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("TIM_KEY"));
}

#[test]
fn inspect_needs_no_key_and_checks_nothing() {
    // Signed with a key nobody knows, long expired: inspect still reads it.
    let token =
        Signer::new(42, SecretKey::new("unknown")).sign_with_userbuf("管理员", 1, 1, Some(b"abc"));
    let output = usersig(
        &["inspect"],
        None,
        format!("{}\n", token.expose_secret()).as_bytes(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        parse_claims(&output),
        serde_json::json!({
            "identifier": "管理员",
            "sdkappid": 42,
            "time": 1,
            "expire": 1,
            "expires_at": "1970-01-01T00:00:02Z",
            "userbuf": "YWJj",
        })
    );
}

#[test]
fn inspect_gives_the_same_json_as_verify() {
    let inspected = usersig(&["inspect"], None, REFERENCE_ADMIN.as_bytes());
    let verified = run_verify(REFERENCE_ADMIN, KEY, "1400000000", "admin", "1700000000");
    assert_eq!(parse_claims(&inspected), parse_claims(&verified));
}

#[test]
fn inspect_of_garbage_is_malformed() {
    for garbage in [&b""[..], b"hello", b"eJyrVgrx", &[0xc3, 0x28]] {
        let output = usersig(&["inspect"], None, garbage);
        assert_invalid(&output, "malformed", "");
    }
}

#[test]
fn identifiers_starting_with_a_dash_pass_with_the_equals_form() {
    let output = usersig(
        &[
            "gen",
            "--sdkappid=1400000000",
            "--identifier=-dash",
            "--time=1700000000",
        ],
        Some(KEY),
        b"",
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let verified = usersig(
        &[
            "verify",
            "--sdkappid=1400000000",
            "--identifier=-dash",
            "--now=1700000000",
        ],
        Some(KEY),
        stdout(&output).as_bytes(),
    );
    assert_eq!(code(&verified), 0, "{}", stderr(&verified));
    assert_eq!(parse_claims(&verified)["identifier"], "-dash");
}
