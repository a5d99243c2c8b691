//! The token size limits and redaction; the reference library's answers and
//! refusals are the integration tests' (`tests/it/usersig_*.rs`).

use super::framing::{MAX_INFLATED_LEN, MAX_USERSIG_LEN};
use super::*;

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const SDKAPPID: u64 = 1_400_000_000;
const TIME: u64 = 1_700_000_000;

fn signer() -> Signer {
    Signer::new(SDKAPPID, SecretKey::new(KEY))
}

#[test]
fn largest_acceptable_document_fits_the_token_length_limit() {
    // Incompressible userbuf: the inflated JSON lands just under the
    // inflate limit, so the token is as long as a valid one can get.
    let mut rng = fastrand::Rng::with_seed(7);
    let userbuf: Vec<u8> = (0..48_000).map(|_| rng.u8(..)).collect();
    let token = signer().sign_with_userbuf("admin", 60, TIME, Some(&userbuf));
    let json = framing::decode(token.expose_secret()).unwrap();
    assert!(
        json.len() as u64 > MAX_INFLATED_LEN - 2_000,
        "{}",
        json.len()
    );
    assert!(token.expose_secret().len() < MAX_USERSIG_LEN);
    assert!(
        signer()
            .verify(token.expose_secret(), "admin", TIME)
            .is_ok()
    );
}

#[test]
fn secrets_are_redacted_in_debug_and_display() {
    let token = signer().sign("admin", 60, TIME);
    assert!(!format!("{token:?} {token}").contains(token.expose_secret()));
}
