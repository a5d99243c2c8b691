//! `scale-bench [APPS ...]` (default 1 10 100): runs each scenario, prints
//! the Markdown tables on stdout (progress on stderr). Exit 1 when an app
//! exceeded an API's per-second limit, a run failed or a run of 100 apps or
//! more missed the goal (≤ 10 s, ≤ 64 MiB), 2 on a set-up error.
//!
//! Environment: `SCALE_S3_DELAY_MS` (default 20), `PUSH_ARCHIVE_DAYS`
//! (default 7), `MOTO_ENDPOINT` (else moto_server is started from .venv).

use std::process::ExitCode;
use std::time::Duration;

use scale_bench::bench::{self, Options};
use scale_bench::table;

fn env_number(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a number")),
        Err(_) => Ok(default),
    }
}

fn options() -> Result<(Vec<usize>, Options), String> {
    let mut apps: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .map_err(|_| format!("{a:?} is not a number of apps"))
        })
        .collect::<Result<_, _>>()?;
    if apps.is_empty() {
        apps = vec![1, 10, 100];
    }
    let child = std::env::current_exe()
        .map_err(|e| format!("own path: {e}"))?
        .with_file_name("ops-pull-child");
    if !child.exists() {
        return Err(format!("{} is missing: build the package", child.display()));
    }
    let work_dir = std::env::temp_dir().join(format!("scale-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir).map_err(|e| format!("{}: {e}", work_dir.display()))?;
    let options = Options {
        s3_delay: Duration::from_millis(env_number("SCALE_S3_DELAY_MS", 20)?),
        push_archive_days: u32::try_from(env_number("PUSH_ARCHIVE_DAYS", 7)?)
            .map_err(|_| "PUSH_ARCHIVE_DAYS is too large".to_owned())?,
        child,
        work_dir,
        moto_endpoint: testkit::moto().endpoint.clone(),
    };
    Ok((apps, options))
}

fn main() -> ExitCode {
    let (apps, options) = match options() {
        Ok(parsed) => parsed,
        Err(reason) => {
            eprintln!("scale-bench: {reason}");
            return ExitCode::from(2);
        }
    };
    // The emulator and the S3 stub share the machine with the child.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("scale-bench: no runtime: {err}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(apps, options))
}

async fn run(apps: Vec<usize>, options: Options) -> ExitCode {
    let machine = table::machine();
    let secrets = aws_sdk_secretsmanager::Client::new(&testkit::moto().sdk_config().await);
    let mut scenarios = Vec::new();
    for n in apps {
        eprintln!("==> {n} apps (load average {})", table::load_average());
        match bench::scenario(n, &options, &secrets).await {
            Ok(scenario) => scenarios.push(scenario),
            Err(reason) => {
                eprintln!("scale-bench: {n} apps: {reason}");
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "Machine: {machine}; load average {} at the end. S3 delay {} ms a request; PUSH_ARCHIVE_DAYS={}.\n",
        table::load_average(),
        options.s3_delay.as_millis(),
        options.push_archive_days
    );
    println!("{}", table::runs(&scenarios));
    println!("{}", table::growth(&scenarios));
    println!("{}", table::context(&scenarios));

    let rows: Vec<_> = scenarios.iter().flat_map(|s| &s.rows).collect();
    let violations: Vec<&String> = rows.iter().flat_map(|r| &r.violations).collect();
    for violation in &violations {
        eprintln!("scale-bench: rate limit exceeded: {violation}");
    }
    let missed: Vec<String> = rows.iter().filter_map(|r| r.missed_goal()).collect();
    for miss in &missed {
        eprintln!("scale-bench: goal missed: {miss}");
    }
    let failed = rows.iter().filter(|r| !r.succeeded()).count();
    if failed > 0 {
        eprintln!("scale-bench: {failed} run(s) did not succeed (see the result column)");
    }
    if violations.is_empty() && failed == 0 && missed.is_empty() {
        let _ = std::fs::remove_dir_all(&options.work_dir);
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "scale-bench: the children's stdout (logs) stays in {}",
            options.work_dir.display()
        );
        ExitCode::FAILURE
    }
}
