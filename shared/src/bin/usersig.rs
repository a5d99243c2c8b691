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

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tim::usersig::{self, Clock, DEFAULT_EXPIRE_SECS, SecretKey, Signer, SystemClock};

/// Environment variable holding the app's secret key.
const KEY_VAR: &str = "TIM_KEY";

/// Exit code for an invalid UserSig.
const EXIT_INVALID: u8 = 1;
/// Exit code for usage and environment errors (clap uses it too).
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "usersig",
    version,
    about = "Make, verify and inspect Tencent Cloud Chat UserSigs (TLSSigAPIv2)",
    after_help = "The app's secret key is read from the environment variable TIM_KEY, never from \
                  the command line.\nExit codes: 0 ok, 1 invalid UserSig (stderr names the \
                  reason), 2 usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a UserSig with the key in TIM_KEY and print it.
    Gen {
        /// The app's SDKAppID.
        #[arg(long)]
        sdkappid: u64,
        /// The account the UserSig is for (the app admin for REST calls).
        #[arg(long)]
        identifier: String,
        /// Seconds of validity.
        #[arg(long, default_value_t = DEFAULT_EXPIRE_SECS)]
        expire: u64,
        /// Issue time, unix seconds (default: now).
        #[arg(long)]
        time: Option<u64>,
    },
    /// Verify the UserSig on stdin with the key in TIM_KEY; print its claims as JSON.
    Verify {
        /// The SDKAppID the UserSig must be for.
        #[arg(long)]
        sdkappid: u64,
        /// The identifier the UserSig must be for.
        #[arg(long)]
        identifier: String,
        /// Check expiry at this instant, unix seconds (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
    /// Print the claims of the UserSig on stdin as JSON, without checking it.
    Inspect,
}

/// Why the tool stopped short of success; `main` maps each to its exit code.
/// Not called `Failure`: other crates of the workspace have `Failure` types.
enum ExitReason {
    /// A usage or I/O problem: [`EXIT_USAGE`].
    Usage(String),
    /// The UserSig is not valid: [`EXIT_INVALID`], with its reason word.
    Invalid(usersig::UserSigError),
}

fn main() -> ExitCode {
    // `parse` prints help/version and exits 0, or prints usage errors and exits 2.
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ExitReason::Usage(message)) => {
            eprintln!("usersig: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(ExitReason::Invalid(err)) => {
            // The error names fields, never the key or the token itself.
            eprintln!("usersig: invalid UserSig ({}): {err}", err.reason());
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn run(command: Command) -> Result<(), ExitReason> {
    match command {
        Command::Gen {
            sdkappid,
            identifier,
            expire,
            time,
        } => {
            let signer = Signer::new(sdkappid, key_from_env()?);
            let usersig = signer.sign(
                &identifier,
                expire,
                time.unwrap_or_else(|| SystemClock.now_unix()),
            );
            print_line(usersig.expose_secret())
        }
        Command::Verify {
            sdkappid,
            identifier,
            now,
        } => {
            let signer = Signer::new(sdkappid, key_from_env()?);
            let token = read_stdin()?;
            let claims = signer
                .verify(
                    &token,
                    &identifier,
                    now.unwrap_or_else(|| SystemClock.now_unix()),
                )
                .map_err(ExitReason::Invalid)?;
            print_json(&claims)
        }
        Command::Inspect => {
            let token = read_stdin()?;
            let claims = usersig::inspect(&token).map_err(ExitReason::Invalid)?;
            print_json(&claims)
        }
    }
}

fn key_from_env() -> Result<SecretKey, ExitReason> {
    match std::env::var(KEY_VAR) {
        // Used exactly as given (the HMAC key is the text's bytes); only an
        // all-blank value is refused, as it is certainly a mistake.
        Ok(key) if !key.trim().is_empty() => Ok(SecretKey::new(key)),
        Ok(_) => Err(ExitReason::Usage(format!(
            "{KEY_VAR} is empty: set it to the app's secret key"
        ))),
        Err(std::env::VarError::NotPresent) => Err(ExitReason::Usage(format!(
            "{KEY_VAR} is not set: set it to the app's secret key"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ExitReason::Usage(format!("{KEY_VAR} is not valid UTF-8")))
        }
    }
}

/// The UserSig from stdin, surrounding whitespace removed. Bytes that are not
/// UTF-8 cannot be a UserSig: reported as `malformed`, like any other garbage.
fn read_stdin() -> Result<String, ExitReason> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|err| ExitReason::Usage(format!("cannot read the UserSig from stdin: {err}")))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        ExitReason::Invalid(usersig::UserSigError::Malformed(
            "stdin is not UTF-8 text".into(),
        ))
    })?;
    Ok(text.trim().to_owned())
}

fn print_json(claims: &usersig::Claims) -> Result<(), ExitReason> {
    let json = serde_json::to_string(claims)
        .map_err(|err| ExitReason::Usage(format!("cannot encode the claims as JSON: {err}")))?;
    print_line(&json)
}

fn print_line(text: &str) -> Result<(), ExitReason> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|err| ExitReason::Usage(format!("cannot write to stdout: {err}")))
}
