//! `usersig`: make, verify and inspect Tencent Cloud Chat UserSigs.
//!
//! ```text
//! TIM_KEY=... usersig gen --sdkappid 1400000000 --identifier administrator [--expire SECS] [--time UNIX]
//! TIM_KEY=... usersig verify --sdkappid 1400000000 --identifier administrator [--now UNIX] < token
//! usersig inspect < token
//! ```
//!
//! Exit codes: 0 success, 1 the UserSig is invalid (stderr names the reason:
//! `expired`, `signature`, `sdkappid`, `identifier`, `version`, `malformed`),
//! 2 usage or environment errors. The key comes from `TIM_KEY` only: a
//! command-line argument would land in shell history and process listings.

use std::env::VarError;
use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use clap::{Args, Parser};
use tim::usersig::{self, Clock, DEFAULT_EXPIRE_SECS, SecretKey, Signer, SystemClock};

/// Environment variable holding the app's secret key.
const KEY_VAR: &str = "TIM_KEY";

/// The app and account a UserSig is for.
#[derive(Args)]
struct Account {
    /// The app's SDKAppID.
    #[arg(long)]
    sdkappid: u64,
    /// The account the UserSig is for (the app admin for REST calls).
    #[arg(long)]
    identifier: String,
}

#[derive(Parser)]
#[command(
    name = "usersig",
    version,
    about = "Make, verify and inspect Tencent Cloud Chat UserSigs (TLSSigAPIv2)",
    after_help = "The app's secret key is read from the environment variable TIM_KEY, never from \
                  the command line.\nExit codes: 0 ok, 1 invalid UserSig (stderr names the \
                  reason), 2 usage error."
)]
enum Command {
    /// Sign a UserSig with the key in TIM_KEY and print it.
    Gen {
        #[command(flatten)]
        account: Account,
        /// Seconds of validity.
        #[arg(long = "expire", value_name = "EXPIRE", default_value_t = DEFAULT_EXPIRE_SECS)]
        secs: u64,
        /// Issue time, unix seconds (default: now).
        #[arg(long = "time", value_name = "TIME")]
        at: Option<u64>,
    },
    /// Verify the UserSig on stdin with the key in TIM_KEY; print its claims as JSON.
    Verify {
        #[command(flatten)]
        account: Account,
        /// Check expiry at this instant, unix seconds (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
    /// Print the claims of the UserSig on stdin as JSON, without checking it.
    Inspect,
}

/// Why the tool stopped short of success: a usage or I/O problem (exit 2),
/// or a UserSig that is not valid (exit 1, with its reason word).
enum ExitReason {
    Usage(String),
    Invalid(usersig::UserSigError),
}

fn main() -> ExitCode {
    // `parse` prints help/version and exits 0, or prints usage errors and exits 2.
    match run(Command::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ExitReason::Usage(message)) => {
            eprintln!("usersig: {message}");
            ExitCode::from(2)
        }
        Err(ExitReason::Invalid(err)) => {
            // The error names fields, never the key or the token itself.
            eprintln!("usersig: invalid UserSig ({}): {err}", err.reason());
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> Result<(), ExitReason> {
    let now = || SystemClock.now_unix();
    let line = match command {
        Command::Gen { account, secs, at } => {
            let signer = Signer::new(account.sdkappid, key_from_env()?);
            let usersig = signer.sign(&account.identifier, secs, at.unwrap_or_else(now));
            usersig.expose_secret().to_owned()
        }
        Command::Verify { account, now: at } => {
            let signer = Signer::new(account.sdkappid, key_from_env()?);
            let token = read_stdin()?;
            json(signer.verify(&token, &account.identifier, at.unwrap_or_else(now)))?
        }
        Command::Inspect => json(usersig::inspect(&read_stdin()?))?,
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|err| ExitReason::Usage(format!("cannot write to stdout: {err}")))
}

/// Used exactly as given (the HMAC key is the text's bytes); only an
/// all-blank value is refused, as it is certainly a mistake.
fn key_from_env() -> Result<SecretKey, ExitReason> {
    let usage = |problem: &str| Err(ExitReason::Usage(format!("{KEY_VAR} {problem}")));
    match std::env::var(KEY_VAR) {
        Ok(key) if !key.trim().is_empty() => Ok(SecretKey::new(key)),
        Ok(_) => usage("is empty: set it to the app's secret key"),
        Err(VarError::NotPresent) => usage("is not set: set it to the app's secret key"),
        Err(VarError::NotUnicode(_)) => usage("is not valid UTF-8"),
    }
}

/// The UserSig from stdin. Bytes that are not UTF-8 cannot be a UserSig:
/// reported as `malformed`, like any other garbage.
fn read_stdin() -> Result<String, ExitReason> {
    std::io::read_to_string(std::io::stdin()).map_err(|err| match err.kind() {
        ErrorKind::InvalidData => ExitReason::Invalid(usersig::UserSigError::Malformed(
            "stdin is not UTF-8 text".into(),
        )),
        _ => ExitReason::Usage(format!("cannot read the UserSig from stdin: {err}")),
    })
}

/// Verified or inspected claims as one JSON line.
fn json(claims: Result<usersig::Claims, usersig::UserSigError>) -> Result<String, ExitReason> {
    let claims = claims.map_err(ExitReason::Invalid)?;
    // Strings and integers always serialise.
    Ok(serde_json::to_string(&claims).unwrap_or_else(|_| unreachable!("claims serialise")))
}
