//! Time bounds as callers write them: unix seconds, an ISO-8601 date, or an
//! ISO-8601 (RFC 3339) timestamp with a UTC offset.

use chrono::format::ParseErrorKind;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// The latest instant accepted: 9999-12-31T23:59:59Z. Anything later is a
/// typo (e.g. milliseconds instead of seconds) and is reported as such.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// Why a time value was refused. The `Display` text completes a sentence
/// that starts with the parameter's name ("start must be …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("is empty")]
    Empty,
    #[error(
        "must be unix seconds (1793491200), a date (2026-11-01) or a timestamp with an offset \
         (2026-11-01T12:00:00Z, 2026-11-01T20:00:00+08:00)"
    )]
    Unrecognised,
    #[error("is a timestamp without a UTC offset: add Z or ±HH:MM (2026-11-01T12:00:00Z)")]
    MissingOffset,
    #[error("is not a real calendar date or time of day")]
    NotACalendarDate,
    #[error("must be between 1970-01-01 and 9999-12-31 (unix seconds, not milliseconds)")]
    OutOfRange,
    #[error("must be a whole number of seconds")]
    NotWholeSeconds,
}

/// Unix seconds within `0..=MAX_UNIX`.
pub fn from_unix(seconds: i64) -> Result<i64, TimeError> {
    if (0..=MAX_UNIX).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(TimeError::OutOfRange)
    }
}

/// Parses a time written as text (a query parameter or a JSON string).
///
/// - `1793491200`: unix seconds;
/// - `2026-11-01`: that day at 00:00 UTC;
/// - `2026-11-01T12:00:00Z`, `2026-11-01T20:00:00+08:00` (fractions of a
///   second are dropped). A `+` in an unencoded query string arrives as a
///   space (`…T20:00:00 08:00`); that spot cannot hold a space otherwise, so
///   it is read as the `+` the caller meant.
pub fn parse(text: &str) -> Result<i64, TimeError> {
    if text.is_empty() {
        return Err(TimeError::Empty);
    }
    let bytes = text.as_bytes();
    if bytes.iter().all(u8::is_ascii_digit) {
        // More than 12 digits is past year 9999 whatever it means.
        return match text.parse::<i64>() {
            Ok(seconds) if bytes.len() <= 12 => from_unix(seconds),
            _ => Err(TimeError::OutOfRange),
        };
    }
    if bytes[0] == b'-' && bytes.len() > 1 && bytes[1..].iter().all(u8::is_ascii_digit) {
        return Err(TimeError::OutOfRange);
    }
    if looks_like_date(bytes) {
        return if bytes.len() == 10 {
            parse_date(text)
        } else {
            parse_timestamp(text)
        };
    }
    Err(TimeError::Unrecognised)
}

/// `YYYY-MM-DD` at the start.
fn looks_like_date(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

fn parse_date(text: &str) -> Result<i64, TimeError> {
    let date =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| TimeError::NotACalendarDate)?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or(TimeError::NotACalendarDate)?;
    from_unix(midnight.and_utc().timestamp())
}

fn parse_timestamp(text: &str) -> Result<i64, TimeError> {
    let parsed =
        DateTime::parse_from_rfc3339(text).or_else(|first| match plus_lost_in_query(text) {
            Some(repaired) => DateTime::parse_from_rfc3339(&repaired),
            None => Err(first),
        });
    match parsed {
        Ok(instant) => from_unix(instant.timestamp()),
        Err(e)
            if e.kind() == ParseErrorKind::OutOfRange || e.kind() == ParseErrorKind::Impossible =>
        {
            Err(TimeError::NotACalendarDate)
        }
        Err(_) if has_no_offset(text) => Err(TimeError::MissingOffset),
        Err(_) => Err(TimeError::Unrecognised),
    }
}

/// `…T20:00:00 08:00` → `…T20:00:00+08:00`.
fn plus_lost_in_query(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let tail_is_offset = n > 16
        && bytes[n - 6] == b' '
        && bytes[n - 5].is_ascii_digit()
        && bytes[n - 4].is_ascii_digit()
        && bytes[n - 3] == b':'
        && bytes[n - 2].is_ascii_digit()
        && bytes[n - 1].is_ascii_digit();
    tail_is_offset.then(|| format!("{}+{}", &text[..n - 6], &text[n - 5..]))
}

fn has_no_offset(text: &str) -> bool {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .any(|format| NaiveDateTime::parse_from_str(text, format).is_ok())
}

/// `2026-11-01T00:00:00Z` for a validated unix time.
pub fn to_iso(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_1: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z

    #[test]
    fn accepts_every_documented_form() {
        assert_eq!(parse("1793491200"), Ok(NOV_1));
        assert_eq!(parse("2026-11-01"), Ok(NOV_1));
        assert_eq!(parse("2026-11-01T00:00:00Z"), Ok(NOV_1));
        assert_eq!(parse("2026-11-01T12:00:00Z"), Ok(NOV_1 + 12 * 3600));
        assert_eq!(parse("2026-11-01T08:00:00+08:00"), Ok(NOV_1));
        assert_eq!(parse("2026-10-31T19:00:00-05:00"), Ok(NOV_1));
        assert_eq!(parse("2026-11-01T00:00:00.999Z"), Ok(NOV_1));
        assert_eq!(parse("2026-11-01t00:00:00z"), Ok(NOV_1));
        assert_eq!(parse("0"), Ok(0));
    }

    #[test]
    fn reads_a_plus_turned_space_as_the_offset_sign() {
        assert_eq!(parse("2026-11-01T08:00:00 08:00"), Ok(NOV_1));
    }

    #[test]
    fn refuses_what_it_cannot_read_and_says_why() {
        assert_eq!(parse(""), Err(TimeError::Empty));
        assert_eq!(parse("yesterday"), Err(TimeError::Unrecognised));
        assert_eq!(parse(" 1793491200"), Err(TimeError::Unrecognised));
        assert_eq!(parse("1793491200.5"), Err(TimeError::Unrecognised));
        assert_eq!(parse("2026-11-01T12:00:00"), Err(TimeError::MissingOffset));
        assert_eq!(parse("2026-02-30"), Err(TimeError::NotACalendarDate));
        assert_eq!(
            parse("2026-11-01T25:00:00Z"),
            Err(TimeError::NotACalendarDate)
        );
        assert_eq!(parse("-5"), Err(TimeError::OutOfRange));
        assert_eq!(parse("1793491200000"), Err(TimeError::OutOfRange));
        assert_eq!(parse("99999999999999999999999"), Err(TimeError::OutOfRange));
        assert_eq!(parse("1969-12-31T23:59:59Z"), Err(TimeError::OutOfRange));
        assert_eq!(parse("2026/11/01"), Err(TimeError::Unrecognised));
    }

    #[test]
    fn formats_iso_in_utc() {
        assert_eq!(to_iso(NOV_1), "2026-11-01T00:00:00Z");
    }
}
