//! The results as Markdown: the machine, one row a run, the growth per app.

use std::fmt::Write as _;

use crate::bench::{Row, Run, Scenario};

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn secs(ms: f64) -> String {
    format!("{:.2}", ms / 1000.0)
}

/// The machine, from /proc: cores, CPU, kernel, memory, load.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or_else(
            || "?".into(),
            |kib| format!("{:.0} GiB", kib as f64 / 1048576.0),
        );
    format!(
        "{cores} cores, {model}, Linux {}, {memory}, load average {}",
        read("/proc/sys/kernel/osrelease").trim(),
        load_average()
    )
}

/// The 1-minute load average.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn result(row: &Row) -> String {
    match &row.child.report {
        None => format!("no report ({})", row.child.exit),
        Some(report) if report.ok => "ok".into(),
        Some(report) => {
            let error = report.error.as_deref().unwrap_or("error");
            let short: String = error.chars().take(90).collect();
            let cut = if short.len() < error.len() { "…" } else { "" };
            format!("error: {}{cut}", short.replace('|', "/"))
        }
    }
}

/// One row a run.
pub fn runs(scenarios: &[Scenario]) -> String {
    let mut out = String::from(
        "| apps | run | handle (s) | peak RSS (MiB) | S3 HEAD | S3 GET | S3 PUT | S3 LIST | S3 total | S3 max in flight | getappinfo calls | push-statistics calls | max calls/s per app (getappinfo / push) | days written / unchanged / failed | result |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in scenarios.iter().flat_map(|s| &s.rows) {
        let report = row.child.report.clone().unwrap_or_default();
        let api = |i: usize| row.apis.get(i).cloned();
        let (appinfo, push) = (api(0), api(1));
        let calls = |a: &Option<crate::bench::ApiFigures>| a.as_ref().map_or(0, |a| a.calls);
        let rate = |a: &Option<crate::bench::ApiFigures>| {
            a.as_ref().map_or("-".into(), |a| {
                format!("{} (≤ {})", a.max_per_second, a.limit)
            })
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} / {} | {} |",
            row.apps,
            row.run.name(),
            secs(report.handle_ms),
            mib(row.child.max_rss_kib),
            row.s3.head,
            row.s3.get,
            row.s3.put,
            row.s3.list,
            row.s3.total(),
            row.s3.max_in_flight,
            calls(&appinfo),
            calls(&push),
            rate(&appinfo),
            rate(&push),
            report.days_written,
            report.days_unchanged,
            report.days_failed,
            result(row),
        );
    }
    out
}

fn find(scenarios: &[Scenario], apps: usize, run: Run) -> Option<&Row> {
    scenarios
        .iter()
        .filter(|s| s.apps == apps)
        .flat_map(|s| &s.rows)
        .find(|r| r.run == run)
}

/// Each figure's growth per app between the two largest app counts.
pub fn growth(scenarios: &[Scenario]) -> String {
    let mut counts: Vec<usize> = scenarios.iter().map(|s| s.apps).collect();
    counts.sort_unstable();
    counts.dedup();
    let [.., small, large] = counts[..] else {
        return "(growth needs two app counts)\n".into();
    };
    let mut out = format!(
        "Growth per app, from {small} to {large} apps ((figure at {large} − figure at {small}) / {}):\n\n\
         | run | handle (ms/app) | peak RSS (KiB/app) | S3 requests/app | Tencent calls/app |\n|---|---:|---:|---:|---:|\n",
        large - small
    );
    let span = (large - small) as f64;
    for run in [Run::First, Run::Steady] {
        let (Some(a), Some(b)) = (find(scenarios, small, run), find(scenarios, large, run)) else {
            continue;
        };
        let handle = |r: &Row| r.child.report.as_ref().map_or(0.0, |r| r.handle_ms);
        let per_app = |x: f64, y: f64| (y - x) / span;
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.0} | {:.1} | {:.1} |",
            run.name(),
            per_app(handle(a), handle(b)),
            per_app(a.child.max_rss_kib as f64, b.child.max_rss_kib as f64),
            per_app(a.s3.total() as f64, b.s3.total() as f64),
            per_app(a.tencent_calls() as f64, b.tencent_calls() as f64),
        );
    }
    out
}

/// Secrets Manager (moto) and the child's stdout, a line a scenario.
pub fn context(scenarios: &[Scenario]) -> String {
    let mut out = String::new();
    for scenario in scenarios {
        let stdout: Vec<String> = scenario
            .rows
            .iter()
            .map(|r| format!("{:.0} KiB", r.child.stdout_bytes as f64 / 1024.0))
            .collect();
        let init: Vec<String> = scenario
            .rows
            .iter()
            .map(|r| {
                r.child
                    .report
                    .as_ref()
                    .map_or("-".into(), |rep| format!("{:.0} ms", rep.init_ms))
            })
            .collect();
        let _ = writeln!(
            out,
            "- {} apps: moto answered {} GetSecretValue at once in {:.0} ms; the child's init (settings, SDK config, build) {}; its stdout (logs, EMF) {}.",
            scenario.apps,
            scenario.apps,
            scenario.moto_reads.as_secs_f64() * 1000.0,
            init.join(" / "),
            stdout.join(" / "),
        );
    }
    out
}
