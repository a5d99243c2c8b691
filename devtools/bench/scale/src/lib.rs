//! ops-pull at scale (issue 13, "Scale"): the Tencent emulator serving N
//! apps, an in-memory S3 that holds every request 20 ms, the apps' UserSig
//! secrets in moto_server, and ops-pull run in a child process built as
//! Lambda builds it. Measures wall time, peak RSS, S3 requests by
//! operation, Tencent calls by API and the busiest app's calls per second.
//!
//! Run by hand: `devtools/bench/scale/run.sh` (see devtools/bench/README.md).

pub mod bench;
pub mod child;
pub mod s3stub;
pub mod secrets;
pub mod table;
