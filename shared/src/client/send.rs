//! One attempt: the endpoint's base URLs in fail-over order, one HTTP
//! exchange each, bounded by the request timeout and the deadline.

use std::time::Duration;

use tokio::time::Instant;

use crate::credentials::AppCredentials;
use crate::error::{Error, NetworkFailure};
use crate::region::Endpoint;

use super::Client;
use super::failover::{Base, PRIMARY};
use super::retry::Deadline;
use super::scrub::network_error;
use super::wire::{Response, parse_envelope, request_url};

/// The largest answer read. Tencent's are about 40 KB; a larger body is not
/// one, and a 128 MB function holding it several times would die of it.
pub const MAX_ANSWER_BYTES: usize = 4 << 20;

/// One attempt's inputs.
pub(super) struct Request<'a> {
    pub(super) command: &'a str,
    pub(super) body: &'a bytes::Bytes,
    pub(super) credentials: &'a AppCredentials,
    pub(super) deadline: Deadline,
    pub(super) attempt: u32,
}

impl Client {
    /// One attempt: the primary base URL, and the backup right away when the
    /// primary cannot be connected to (or the other way round while the
    /// primary is remembered as down).
    pub(super) async fn attempt(&self, request: &Request<'_>) -> Result<Response, Error> {
        let endpoint = self.endpoint_for(request.credentials)?;
        let (first, second) = self.failover.order(&endpoint, Instant::now());
        let outcome = self.send(request, &endpoint, first).await;
        match second {
            Some(second) if connect_failed(&outcome) && !request.deadline.is_past() => {
                tracing::warn!(
                    command = request.command,
                    attempt = request.attempt,
                    from = first.0,
                    "cannot connect to Tencent; trying the other domain"
                );
                self.send(request, &endpoint, second).await
            }
            _ => outcome,
        }
    }

    /// One HTTP request to one base URL.
    async fn send(
        &self,
        request: &Request<'_>,
        endpoint: &Endpoint,
        (route, base): Base<'_>,
    ) -> Result<Response, Error> {
        let command = request.command;
        let url = request_url(base, command, request.credentials)?;
        let remaining = request.deadline.remaining();
        let timeout = self.config.request_timeout.min(remaining);
        let started = Instant::now();
        let secret = request.credentials.usersig.expose_secret();
        let exchange = async {
            let response = self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.body.clone())
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| network_error(command, e, secret))?;
            let status = response.status().as_u16();
            // Read the body even for a failed status: a fully read answer
            // lets the connection go back to the pool.
            let raw = read_bounded(response, command, secret).await;
            Ok::<_, Error>((status, raw))
        };
        // reqwest's timeout covers the body too; this outer bound makes the
        // deadline hold whatever the transport does.
        let result = tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Network {
                    command: command.to_owned(),
                    kind: NetworkFailure::Timeout,
                    detail: format!("no complete answer within {} ms", timeout.as_millis()),
                })
            });
        let status = result.as_ref().ok().map(|(status, _)| *status);
        let outcome = match result {
            Err(e) => Err(e),
            Ok((200, raw)) => raw.and_then(|raw| parse_envelope(command, raw, secret)),
            Ok((status, _)) => Err(Error::Http {
                command: command.to_owned(),
                status,
            }),
        };
        if route == PRIMARY {
            let connected = !connect_failed(&outcome);
            self.failover
                .note_primary(endpoint, connected, Instant::now());
        }
        tracing::debug!(
            command,
            attempt = request.attempt,
            endpoint = route,
            status,
            code = outcome.as_ref().err().and_then(Error::code),
            elapsed_ms = elapsed_ms(started),
            "Tencent HTTP request done"
        );
        outcome
    }
}

fn connect_failed(outcome: &Result<Response, Error>) -> bool {
    matches!(
        outcome,
        Err(Error::Network {
            kind: NetworkFailure::Connect,
            ..
        })
    )
}

/// The body, or a decode error once it passes [`MAX_ANSWER_BYTES`].
async fn read_bounded(
    mut response: reqwest::Response,
    command: &str,
    secret: &str,
) -> Result<bytes::Bytes, Error> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| network_error(command, e, secret))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Error::Decode {
                command: command.to_owned(),
                reason: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(super) fn elapsed_ms(since: Instant) -> u64 {
    millis(since.elapsed())
}

pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
