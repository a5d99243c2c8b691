//! The ops-pull child process: what it reports back, and how the driver
//! runs it and reads its peak RSS.

use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the child writes to the file named by its first argument.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildReport {
    /// Wall time of `OpsPull::handle`, in milliseconds.
    pub handle_ms: f64,
    /// Time from process start to the handle call (settings, SDK config,
    /// build), in milliseconds.
    pub init_ms: f64,
    /// The handle call returned Ok.
    pub ok: bool,
    /// The run's error, when it returned one.
    pub error: Option<String>,
    /// Apps in the summary (on success).
    pub apps: usize,
    pub days_written: usize,
    pub days_unchanged: usize,
    pub days_failed: usize,
    /// Apps whose summary carries an error.
    pub apps_failed: usize,
}

impl ChildReport {
    /// From the summary's JSON (`RunSummary` serialised), so that fields
    /// ops-pull adds later do not break the child.
    pub fn count_summary(&mut self, summary: &serde_json::Value) {
        let apps = summary["apps"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let sum = |field: &str| -> usize {
            apps.iter()
                .filter_map(|app| app[field].as_u64())
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                .sum()
        };
        self.apps = apps.len();
        self.days_written = sum("days_written");
        self.days_unchanged = sum("days_unchanged");
        self.days_failed = sum("days_failed");
        self.apps_failed = apps.iter().filter(|app| !app["error"].is_null()).count();
    }
}

/// How a child ended.
#[derive(Debug, Clone)]
pub struct ChildRun {
    pub report: Option<ChildReport>,
    /// Peak resident set size of the child (`ru_maxrss`), in KiB.
    pub max_rss_kib: u64,
    /// `wait4`'s status: exit code, or the signal.
    pub exit: String,
    /// Bytes the child wrote to stdout (logs and EMF documents).
    pub stdout_bytes: u64,
    pub wall: Duration,
}

/// Spawns `command` (stdout to `stdout_file`), waits for it with `wait4`
/// and reads its report from `report_file`.
pub fn run(mut command: Command, stdout_file: &Path, report_file: &Path) -> io::Result<ChildRun> {
    let started = std::time::Instant::now();
    let _ = std::fs::remove_file(report_file);
    command.stdout(std::fs::File::create(stdout_file)?);
    let child = command.spawn()?;
    let pid = libc::pid_t::try_from(child.id())
        .map_err(|_| io::Error::other("child pid out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with valid out-pointers. The
    // std `Child` is not waited on (it would find the pid already reaped).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        return Err(io::Error::last_os_error());
    }
    let wall = started.elapsed();
    let exit = if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("status {status}")
    };
    let report = std::fs::read(report_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(ChildRun {
        report,
        // Linux reports ru_maxrss in KiB.
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        exit,
        stdout_bytes: std::fs::metadata(stdout_file).map_or(0, |m| m.len()),
        wall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_counts_add_up_over_apps() {
        let mut report = ChildReport::default();
        report.count_summary(&json!({"apps": [
            {"days_written": 30, "days_unchanged": 0, "days_failed": 1},
            {"days_written": 2, "days_unchanged": 28, "days_failed": 0, "error": "boom"},
        ]}));
        assert_eq!(
            (
                report.apps,
                report.days_written,
                report.days_unchanged,
                report.days_failed,
                report.apps_failed
            ),
            (2, 32, 28, 1, 1)
        );
    }

    #[test]
    fn peak_rss_of_a_child_is_its_own() {
        let dir = std::env::temp_dir().join(format!("scale-bench-child-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo hi; exit 3"]);
        let run = run(command, &dir.join("out"), &dir.join("report")).unwrap();
        assert_eq!(run.exit, "exit 3");
        assert_eq!(run.stdout_bytes, 3);
        assert!(run.report.is_none());
        assert!(
            run.max_rss_kib > 0 && run.max_rss_kib < 64 * 1024,
            "{}",
            run.max_rss_kib
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
