//! Calls per second per API and app, by the emulator's clock, and the
//! optional enforcement of Tencent's per-API limits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use tim::usersig::{Clock, SecretKey, Signer};
use tim_emulator::{Emulator, EmulatorConfig, Fault};

use crate::common::{APPINFO, NOW, PUSH};

const A: u64 = 1_400_000_001;
const B: u64 = 1_400_000_002;

/// A clock the test moves by hand.
#[derive(Default)]
struct StepClock(AtomicU64);

impl StepClock {
    fn at(now: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(now)))
    }

    fn tick(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Clock for StepClock {
    fn now_unix(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn key(sdkappid: u64) -> String {
    format!("rates-test-key-{sdkappid}")
}

async fn start(clock: Arc<StepClock>, enforce: bool) -> Emulator {
    let config = EmulatorConfig::default()
        .with_app(A, key(A))
        .with_app(B, key(B))
        .with_clock(clock)
        .with_enforced_rate_limits(enforce);
    Emulator::start(config).await.unwrap()
}

struct Caller {
    http: reqwest::Client,
    base_url: String,
}

impl Caller {
    fn new(emu: &Emulator) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: emu.base_url(),
        }
    }

    /// Calls `command` as `sdkappid`'s admin, signed with `key`.
    async fn call_signed(&self, command: &str, sdkappid: u64, key: &str) -> Value {
        let usersig = Signer::new(sdkappid, SecretKey::new(key)).sign("admin", 86_400, NOW);
        let body = match command {
            PUSH => json!({"StartTime": NOW - 86_400, "EndTime": NOW}),
            _ => json!({}),
        };
        let url = format!(
            "{}/v4/{command}?sdkappid={sdkappid}&identifier=admin&usersig={}&random=7&contenttype=json",
            self.base_url,
            usersig.expose_secret()
        );
        let response = self
            .http
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn call(&self, command: &str, sdkappid: u64) -> Value {
        self.call_signed(command, sdkappid, &key(sdkappid)).await
    }

    async fn admin_stats(&self) -> Value {
        self.http
            .get(format!("{}/__emulator/stats", self.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn assert_ok(answer: &Value) {
    assert_eq!(answer["ErrorCode"], 0, "{answer}");
}

fn assert_rate_limited(answer: &Value) {
    assert_eq!(answer["ErrorCode"], 60007, "{answer}");
    assert_eq!(answer["ActionStatus"], "FAIL", "{answer}");
    assert!(
        answer["ErrorInfo"]
            .as_str()
            .is_some_and(|info| info.contains("frequency")),
        "{answer}"
    );
}

#[tokio::test]
async fn calls_are_counted_per_second_per_api_and_app_and_not_refused_by_default() {
    let clock = StepClock::at(NOW);
    let emu = start(clock.clone(), false).await;
    let caller = Caller::new(&emu);

    for _ in 0..3 {
        assert_ok(&caller.call(APPINFO, A).await);
    }
    for _ in 0..2 {
        assert_ok(&caller.call(PUSH, B).await);
    }
    clock.tick();
    assert_ok(&caller.call(APPINFO, A).await);
    assert_ok(&caller.call(PUSH, B).await);
    // Neither a fault answered before the checks nor a refused UserSig is a call.
    emu.inject_for(APPINFO, Fault::ErrorCode(60008), 1);
    assert_eq!(caller.call(APPINFO, A).await["ErrorCode"], 60008);
    assert_eq!(
        caller.call_signed(APPINFO, A, &key(B)).await["ErrorCode"],
        70009
    );

    let stats = emu.stats();
    assert_eq!(stats.requests, 9);
    assert_eq!(stats.calls_of(APPINFO, A), 4);
    assert_eq!(stats.max_per_second(APPINFO, A), 3);
    assert_eq!(stats.calls_of(PUSH, B), 3);
    assert_eq!(stats.max_per_second(PUSH, B), 2, "over the limit, counted");
    assert_eq!(
        (stats.calls_of(PUSH, A), stats.calls_of(APPINFO, B)),
        (0, 0)
    );
    assert!(stats.rate_limited.is_empty(), "{:?}", stats.rate_limited);

    let json = caller.admin_stats().await;
    assert_eq!(json["requests"], 9, "{json}");
    assert_eq!(json["calls"][APPINFO][A.to_string()], 4, "{json}");
    assert_eq!(json["calls"][PUSH][B.to_string()], 3, "{json}");
    assert_eq!(json["calls_per_second_max"][APPINFO][A.to_string()], 3);
    assert_eq!(json["calls_per_second_max"][PUSH][B.to_string()], 2);
    assert_eq!(json["rate_limited"], json!({}));

    emu.reset();
    assert_ok(&caller.call(PUSH, B).await);
    let stats = emu.stats();
    assert_eq!(
        (stats.calls_of(PUSH, B), stats.max_per_second(PUSH, B)),
        (1, 1)
    );
    assert_eq!(stats.calls_of(APPINFO, A), 0);
}

#[tokio::test]
async fn enforced_limits_refuse_the_call_beyond_each_apis_rate_with_60007() {
    let clock = StepClock::at(NOW);
    let emu = start(clock.clone(), true).await;
    let caller = Caller::new(&emu);

    // all_member_push_statistics: 1 call per second per app.
    assert_ok(&caller.call(PUSH, A).await);
    assert_rate_limited(&caller.call(PUSH, A).await);
    assert_ok(&caller.call(PUSH, B).await);
    clock.tick();
    assert_ok(&caller.call(PUSH, A).await);

    // getappinfo: 200 calls per second per app; the push calls do not count.
    for _ in 0..200 {
        assert_ok(&caller.call(APPINFO, A).await);
    }
    assert_rate_limited(&caller.call(APPINFO, A).await);
    assert_ok(&caller.call(APPINFO, B).await);
    clock.tick();
    assert_ok(&caller.call(APPINFO, A).await);

    let stats = emu.stats();
    assert_eq!(stats.calls_of(PUSH, A), 3);
    assert_eq!(stats.max_per_second(PUSH, A), 2);
    assert_eq!(stats.calls_of(APPINFO, A), 202);
    assert_eq!(stats.max_per_second(APPINFO, A), 201);
    let refused: Vec<(&str, u64, u64)> = stats
        .rate_limited
        .iter()
        .flat_map(|(command, apps)| apps.iter().map(move |(id, n)| (command.as_str(), *id, *n)))
        .collect();
    assert_eq!(refused, [(APPINFO, A, 1), (PUSH, A, 1)]);
    let json = caller.admin_stats().await;
    assert_eq!(json["rate_limited"][PUSH][A.to_string()], 1, "{json}");
}
