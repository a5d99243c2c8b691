//! UserSig sign and verify in a steady loop, for devtools/bench/sign/run.sh.
//!
//! Criterion (`cargo bench -p tim --bench usersig`) times each call in
//! isolation; this loop is timed the same way as the Python and Node scripts
//! next to it (warm-up, then rounds of many calls, median round) so the three
//! figures compare. It also counts heap allocations per call: the cost that
//! made signing slow in a long-running process was allocator churn.
//!
//! Parameters come from the environment, shared with bench_py.py and
//! bench_node.js: BENCH_SDKAPPID, BENCH_KEY, BENCH_IDENTIFIER, BENCH_EXPIRE,
//! BENCH_WARMUP, BENCH_ITERS, BENCH_ROUNDS, and BENCH_FOREIGN_TOKEN (a token
//! another library made, verified as a second figure). Prints one JSON line.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tim::usersig::{SecretKey, Signer, SystemClock};

/// The system allocator, counting allocations (a relaxed increment: a few
/// nanoseconds, paid by the code under test and the baseline alike).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Params {
    sdkappid: u64,
    key: String,
    identifier: String,
    expire: u64,
    warmup: u64,
    iters: u64,
    rounds: u64,
    foreign_token: Option<String>,
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set (run devtools/bench/sign/run.sh)"))
}

fn env_number(name: &str) -> Result<u64, String> {
    env(name)?
        .parse()
        .map_err(|_| format!("{name} is not a non-negative integer"))
}

impl Params {
    fn from_env() -> Result<Self, String> {
        Ok(Self {
            sdkappid: env_number("BENCH_SDKAPPID")?,
            key: env("BENCH_KEY")?,
            identifier: env("BENCH_IDENTIFIER")?,
            expire: env_number("BENCH_EXPIRE")?,
            warmup: env_number("BENCH_WARMUP")?,
            iters: env_number("BENCH_ITERS")?.max(1),
            rounds: env_number("BENCH_ROUNDS")?.max(1),
            foreign_token: env("BENCH_FOREIGN_TOKEN").ok().filter(|t| !t.is_empty()),
        })
    }
}

/// Median of `rounds` rounds of `iters` calls, in ns per call, and the heap
/// allocations per call over the timed rounds.
fn measure(params: &Params, mut op: impl FnMut()) -> (f64, f64) {
    for _ in 0..params.warmup {
        op();
    }
    let allocations_before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut rounds: Vec<f64> = (0..params.rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..params.iters {
                op();
            }
            start.elapsed().as_nanos() as f64 / params.iters as f64
        })
        .collect();
    let calls = (params.iters * params.rounds) as f64;
    let allocations = (ALLOCATIONS.load(Ordering::Relaxed) - allocations_before) as f64 / calls;
    rounds.sort_by(f64::total_cmp);
    (rounds[rounds.len() / 2], allocations)
}

fn now_unix() -> u64 {
    use tim::usersig::Clock as _;
    SystemClock.now_unix()
}

fn run(params: &Params) -> Result<String, String> {
    let signer = Signer::new(params.sdkappid, SecretKey::new(params.key.as_str()));
    let identifier = params.identifier.as_str();
    let own = signer.sign_with_clock(identifier, params.expire, &SystemClock);
    let now = now_unix();
    // Timing a failing verify would measure the wrong path.
    signer
        .verify(own.expose_secret(), identifier, now)
        .map_err(|err| format!("our own token does not verify: {err}"))?;

    let (sign_ns, sign_allocs) = measure(params, || {
        black_box(signer.sign_with_clock(
            black_box(identifier),
            black_box(params.expire),
            &SystemClock,
        ));
    });
    let (verify_ns, verify_allocs) = measure(params, || {
        let _ = black_box(signer.verify(
            black_box(own.expose_secret()),
            black_box(identifier),
            black_box(now),
        ));
    });
    let mut line = format!(
        "{{\"impl\":\"rust\",\"sign_ns\":{sign_ns:.1},\"sign_allocs\":{sign_allocs:.2},\
         \"verify_ns\":{verify_ns:.1},\"verify_allocs\":{verify_allocs:.2},\"token_len\":{}",
        own.expose_secret().len()
    );
    if let Some(foreign) = params.foreign_token.as_deref() {
        signer
            .verify(foreign, identifier, now)
            .map_err(|err| format!("BENCH_FOREIGN_TOKEN does not verify: {err}"))?;
        let (foreign_ns, foreign_allocs) = measure(params, || {
            let _ =
                black_box(signer.verify(black_box(foreign), black_box(identifier), black_box(now)));
        });
        line.push_str(&format!(
            ",\"verify_foreign_ns\":{foreign_ns:.1},\"verify_foreign_allocs\":{foreign_allocs:.2}"
        ));
    }
    line.push('}');
    Ok(line)
}

fn main() -> ExitCode {
    match Params::from_env().and_then(|params| run(&params)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("sign-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
