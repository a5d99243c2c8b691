//! `tim-emulator`: the emulator as a process, for scripts and local runs.
//!
//! ```text
//! tim-emulator --listen 127.0.0.1:0 --app 1400000000=KEY [--app ...] [--admin NAME ...] [--enforce-rate-limits]
//! ```
//! Apps also come from `TIM_EMULATOR_APPS` (`id=key,id=key`). Prints one line,
//! `tim-emulator listening on http://127.0.0.1:PORT`, then serves until
//! SIGTERM or SIGINT. Logs go to stderr and never carry a key or a UserSig.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tim_emulator::{Emulator, EmulatorConfig};

/// A local emulator of Tencent Cloud Chat's REST API.
#[derive(Debug, Parser)]
#[command(name = "tim-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// An app as SDKAPPID=KEY (repeatable). Also read from TIM_EMULATOR_APPS
    /// as `id=key,id=key`. Use demo keys only: argv is visible to other users.
    #[arg(long = "app", value_name = "SDKAPPID=KEY", value_parser = parse_app)]
    apps: Vec<(u64, String)>,
    /// Admin identifier every app accepts (repeatable); replaces the
    /// defaults "administrator" and "admin".
    #[arg(long = "admin", value_name = "NAME")]
    admins: Vec<String>,
    /// Answer 60007 to a call beyond its API's per-second limit for its app
    /// (getappinfo 200/s, all_member_push_statistics 1/s). Calls per second
    /// are counted in /__emulator/stats either way.
    #[arg(long)]
    enforce_rate_limits: bool,
}

fn parse_app(text: &str) -> Result<(u64, String), String> {
    let (id, key) = text
        .split_once('=')
        .ok_or_else(|| "expected SDKAPPID=KEY".to_owned())?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("SDKAPPID {:?} is not a number", id.trim()))?;
    if key.is_empty() {
        return Err(format!("the key of app {id} is empty"));
    }
    Ok((id, key.to_owned()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let mut apps = args.apps;
    if let Ok(list) = std::env::var("TIM_EMULATOR_APPS") {
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            match parse_app(item) {
                Ok(app) => apps.push(app),
                Err(reason) => {
                    eprintln!("tim-emulator: TIM_EMULATOR_APPS: {reason}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    if apps.is_empty() {
        eprintln!(
            "tim-emulator: no app configured: pass --app SDKAPPID=KEY or set TIM_EMULATOR_APPS"
        );
        return ExitCode::from(2);
    }

    let mut config = EmulatorConfig::default()
        .with_listen(args.listen)
        .with_enforced_rate_limits(args.enforce_rate_limits);
    for (sdkappid, key) in apps {
        config = if args.admins.is_empty() {
            config.with_app(sdkappid, key)
        } else {
            config.with_app_admins(sdkappid, key, args.admins.iter().cloned())
        };
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tim-emulator: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

async fn serve(config: EmulatorConfig) -> ExitCode {
    let apps: Vec<u64> = config.sdkappids().collect();
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("tim-emulator: cannot listen: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "tim-emulator listening on {}", emulator.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Whoever started us is gone; serving on is harmless.
        tracing::warn!("cannot write the listening line to stdout");
    }
    drop(stdout);
    tracing::info!(addr = %emulator.addr(), ?apps, "serving");

    wait_for_signal().await;
    tracing::info!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "cannot watch SIGTERM; stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
