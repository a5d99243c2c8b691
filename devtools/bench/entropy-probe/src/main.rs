//! Prints, as one JSON line, how long aws-lc takes to hand out its first
//! random bytes on the main thread, the next ones, and the first ones on a
//! fresh thread (each thread seeds its own generator).
//!
//! The benchmarks talk plain HTTP to moto and the emulator, so no TLS
//! handshake, and so no aws-lc random bytes, happen in their cold starts; in
//! AWS every first request is a TLS handshake that waits for exactly this.
//! `devtools/bench/run.sh` reports it beside the cold-start table, built the
//! way the functions are (with or without `AWS_LC_SYS_NO_JITTER_ENTROPY`).

use std::time::{Duration, Instant};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

fn fill_once() -> Duration {
    let mut bytes = [0u8; 32];
    let started = Instant::now();
    let filled = SystemRandom::new().fill(&mut bytes);
    let elapsed = started.elapsed();
    if filled.is_err() {
        eprintln!("aws-lc could not produce random bytes");
        std::process::exit(1);
    }
    elapsed
}

fn main() {
    let first = fill_once();
    let second = fill_once();
    let thread = std::thread::spawn(fill_once).join().unwrap_or_default();
    println!(
        "{{\"first_us\":{},\"second_us\":{},\"new_thread_us\":{}}}",
        first.as_micros(),
        second.as_micros(),
        thread.as_micros()
    );
}
