//! Cost of one UserSig sign, verify and inspect (the REST client signs once
//! per validity period; the emulator verifies on every request).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tim::usersig::{self, SecretKey, Signer};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const SDKAPPID: u64 = 1_400_000_000;
const TIME: u64 = 1_700_000_000;
const EXPIRE: u64 = 15_552_000;
/// What Tencent's Python library made for `admin` at TIME (zlib level 6):
/// compressed, where our own tokens are stored blocks.
const REFERENCE_ADMIN: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_";

fn usersig_benches(c: &mut Criterion) {
    let signer = Signer::new(SDKAPPID, SecretKey::new(KEY));
    let token = signer.sign("administrator", EXPIRE, TIME);
    // A sanity check outside the timed loops: benchmarking a failing verify
    // would measure the wrong path.
    assert!(
        signer
            .verify(token.expose_secret(), "administrator", TIME)
            .is_ok()
    );
    assert!(signer.verify(REFERENCE_ADMIN, "admin", TIME).is_ok());

    let mut group = c.benchmark_group("usersig");
    group.bench_function("sign", |b| {
        b.iter(|| {
            signer.sign(
                black_box("administrator"),
                black_box(EXPIRE),
                black_box(TIME),
            )
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            signer.verify(
                black_box(token.expose_secret()),
                black_box("administrator"),
                black_box(TIME + 60),
            )
        })
    });
    group.bench_function("verify_reference_token", |b| {
        b.iter(|| {
            signer.verify(
                black_box(REFERENCE_ADMIN),
                black_box("admin"),
                black_box(TIME + 60),
            )
        })
    });
    group.bench_function("inspect", |b| {
        b.iter(|| usersig::inspect(black_box(token.expose_secret())))
    });
    group.finish();
}

criterion_group!(benches, usersig_benches);
criterion_main!(benches);
