//! One ops-pull run, built exactly as the Lambda binary builds it: settings
//! from the environment (`Settings::from_env`), the AWS SDK config from the
//! default chain (`aws_config::load_defaults`, as `lambda_kit` loads it),
//! `Setup::build`, then one `OpsPull::handle` of the scheduled event. The
//! driver (`scale-bench`) sets the environment and reads the peak RSS.
//!
//! `ops-pull-child REPORT_FILE`: writes a `ChildReport` (JSON) there.
//! Exit 0 when the report is written, whatever the run's outcome.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use lambda_kit::Setup;
use ops_pull::lambda::Settings;
use ops_pull::{Deadlines, OpsPull};
use scale_bench::child::ChildReport;
use tim::config::Env;

/// The event EventBridge sends every day.
const SCHEDULED: &str = include_str!("../../../../../events/ops-pull/scheduled.json");
/// Lambda's timeout for ops-pull is 120 s; `Deadlines::within(invocation.time_left())`
/// would leave this much to the run.
const RUN_TIME: Duration = Duration::from_secs(110);

fn main() -> ExitCode {
    let started = Instant::now();
    let Some(report_file) = std::env::args_os().nth(1) else {
        eprintln!("usage: ops-pull-child REPORT_FILE");
        return ExitCode::from(2);
    };
    // As `#[tokio::main]` in functions/ops-pull/src/main.rs.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("ops-pull-child: no runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let report = match runtime.block_on(run(started)) {
        Ok(report) => report,
        Err(reason) => {
            eprintln!("ops-pull-child: {reason}");
            return ExitCode::from(2);
        }
    };
    let written = serde_json::to_vec(&report)
        .map_err(|e| e.to_string())
        .and_then(|json| std::fs::write(&report_file, json).map_err(|e| e.to_string()));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("ops-pull-child: cannot write the report: {reason}");
            ExitCode::FAILURE
        }
    }
}

async fn run(started: Instant) -> Result<ChildReport, String> {
    let env = Env::from_process();
    lambda_kit::logging::init(&env);
    let settings = Settings::from_env(&env).map_err(|e| format!("settings: {e}"))?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let function = settings.build(&aws).await;
    let event = serde_json::from_str(SCHEDULED).map_err(|e| format!("scheduled.json: {e}"))?;

    let init = started.elapsed();
    let handle_started = Instant::now();
    let result = OpsPull::handle(&function, event, Deadlines::after(RUN_TIME), None).await;
    let handle = handle_started.elapsed();

    let mut report = ChildReport {
        handle_ms: handle.as_secs_f64() * 1000.0,
        init_ms: init.as_secs_f64() * 1000.0,
        ok: result.is_ok(),
        ..ChildReport::default()
    };
    let summary = match &result {
        Ok(summary) => Some(summary),
        Err(error) => {
            report.error = Some(error.to_string());
            error.summary()
        }
    };
    if let Some(summary) = summary {
        let json = serde_json::to_value(summary).map_err(|e| format!("summary: {e}"))?;
        report.count_summary(&json);
    }
    Ok(report)
}
