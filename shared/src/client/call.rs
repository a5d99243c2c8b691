//! The call loop: credentials, attempts, backoff retries within the
//! deadline, and the one re-sign after a UserSig rejection (only when the
//! refresh yields a different UserSig).

use serde::Serialize;
use tokio::time::Instant;

use crate::credentials::AppCredentials;
use crate::error::{Error, ErrorClass};

use super::Client;
use super::retry::{Deadline, MIN_RETRY_WINDOW, slow_down};
use super::send::{Request, elapsed_ms, millis};
use super::wire::{Response, encode_body};

impl Client {
    /// Calls `v4/{command}` with `body`, returning the success envelope.
    pub async fn call(
        &self,
        command: &str,
        body: &(impl Serialize + Sync),
        deadline: Deadline,
    ) -> Result<Response, Error> {
        let body = encode_body(command, body)?;
        let started = Instant::now();
        let policy = self.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        // HTTP attempts made (the re-sign retry included).
        let mut attempts: u32 = 0;
        // Backoff retries used: at most `max_attempts - 1`. The re-sign
        // retry after a UserSig rejection does not count against them.
        let mut retries: u32 = 0;
        let mut refreshed: Option<AppCredentials> = None;
        let mut last: Option<Error> = None;

        loop {
            if deadline.is_past() {
                return Err(deadline_error(command, attempts, last));
            }
            attempts += 1;
            // A credentials failure counts as a failed attempt: a transient
            // one (Secrets Manager throttling) is retried like any other.
            let credentials = match &refreshed {
                Some(fresh) => Ok(fresh.clone()),
                None => tokio::time::timeout_at(deadline.0, self.credentials.credentials())
                    .await
                    .map_err(|_| deadline_error(command, attempts - 1, last.take()))?,
            };
            let outcome = match &credentials {
                Ok(credentials) => {
                    let request = Request {
                        command,
                        body: &body,
                        credentials,
                        deadline,
                        attempt: attempts,
                    };
                    self.attempt(&request).await
                }
                Err(e) => Err(e.clone()),
            };
            let error = match outcome {
                Ok(response) => {
                    tracing::debug!(
                        command,
                        attempts,
                        elapsed_ms = elapsed_ms(started),
                        "Tencent call succeeded"
                    );
                    return Ok(response);
                }
                Err(error) => error,
            };
            tracing::warn!(
                command,
                attempt = attempts,
                error_type = error.error_type(),
                code = error.code(),
                status = match error {
                    Error::Http { status, .. } => Some(status),
                    _ => None,
                },
                elapsed_ms = elapsed_ms(started),
                "Tencent call attempt failed: {}",
                error
            );

            let usersig_rejected =
                matches!(error, Error::Api { .. }) && error.class() == ErrorClass::UserSigRejected;
            if let (true, None, Ok(used)) = (usersig_rejected, &refreshed, &credentials) {
                tracing::info!(
                    command,
                    code = error.code(),
                    "Tencent refused the UserSig; refreshing credentials once"
                );
                let refresh = self.credentials.refresh(used);
                let fresh = match tokio::time::timeout_at(deadline.0, refresh).await {
                    Ok(Ok(fresh)) => fresh,
                    Ok(Err(e)) => {
                        if let Some(code) = error.code() {
                            self.credentials.note_refusal(code);
                        }
                        return Err(e.after_refusal(&error));
                    }
                    Err(_) => return Err(deadline_error(command, attempts, Some(error))),
                };
                // The refusal is Tencent's verdict on this UserSig: sending it
                // again gets the same answer and counts towards the 70050
                // lock-out. Only a different one is worth a second request.
                let same = (fresh.sdkappid, &fresh.identifier) == (used.sdkappid, &used.identifier);
                if same && fresh.usersig == used.usersig {
                    tracing::info!(
                        command,
                        code = error.code(),
                        "the refresh gave the same UserSig: not sending it again"
                    );
                    return Err(error);
                }
                refreshed = Some(fresh);
                last = Some(error);
                continue;
            }
            if !self.config.on_rate_limit.retries(&error) {
                return Err(error);
            }
            // An attempt cut short by the deadline (its timeout was the time
            // left) is the deadline's doing, whatever the retry budget says.
            if deadline.remaining() < MIN_RETRY_WINDOW {
                return Err(deadline_error(command, attempts, Some(error)));
            }
            if retries + 1 >= max_attempts {
                return Err(error);
            }
            retries += 1;
            let pause = policy.delay(retries, slow_down(&error), fastrand::f64());
            if deadline.remaining() < pause + MIN_RETRY_WINDOW {
                tracing::warn!(
                    command,
                    attempts,
                    elapsed_ms = elapsed_ms(started),
                    "Tencent call: no time left to retry before the deadline"
                );
                return Err(deadline_error(command, attempts, Some(error)));
            }
            tracing::debug!(
                command,
                attempt = attempts,
                delay_ms = millis(pause),
                "retrying Tencent call"
            );
            last = Some(error);
            tokio::time::sleep(pause).await;
        }
    }
}

fn deadline_error(command: &str, attempts: u32, last: Option<Error>) -> Error {
    Error::Deadline {
        command: command.to_owned(),
        attempts,
        last: last.map(Box::new),
    }
}
