//! `roster bench metro`: the scaling table of DESIGN §4 — metro scenarios of growing size, each
//! solved once with the given options, measuring when the first complete legal roster appeared,
//! when the incumbent came within 1 % of the final lower bound, and the peak resident memory.

use std::fmt::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use model::ScenarioIndex;
use serde::Serialize;
use solver::{CancelToken, Progress, SolveHooks, SolveOptions, solve};

use super::opt;
use crate::error::ServiceError;
use crate::files::load_index;

/// One line of the scaling table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScalingRow {
    /// Dataset folder or generated scenario name.
    pub scenario: String,
    /// Drivers.
    pub drivers: usize,
    /// Days in the horizon.
    pub days: usize,
    /// Duty (shift) types.
    pub duties: usize,
    /// Independent parts solved separately.
    pub parts: usize,
    /// Seconds until the first complete legal roster.
    pub first_feasible: Option<f64>,
    /// Seconds until the incumbent was within 1 % of the final lower bound.
    pub within_1pct_of_bound: Option<f64>,
    /// Objective of the returned roster (cents).
    pub objective: Option<i64>,
    /// Final lower bound (cents).
    pub bound: Option<f64>,
    /// Final relative gap.
    pub gap: Option<f64>,
    /// Seconds of the whole solve.
    pub elapsed: f64,
    /// Peak resident memory of the process during this solve, MiB (Linux; `None` elsewhere).
    pub peak_rss_mib: Option<f64>,
    /// Solve status.
    pub status: String,
}

/// Solves each scenario folder (or file) in `paths` and measures it.
pub fn run_metro(
    paths: &[&Path],
    opts: &SolveOptions,
    on_row: &mut dyn FnMut(&ScalingRow),
) -> Result<Vec<ScalingRow>, ServiceError> {
    let mut rows = Vec::new();
    for path in paths {
        let ix = load_index(path)?;
        let row = measure(&path.display().to_string(), &ix, opts)?;
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// Solves `ix` and measures the times and the memory of that solve.
pub fn measure(name: &str, ix: &ScenarioIndex, opts: &SolveOptions) -> Result<ScalingRow, ServiceError> {
    reset_peak_rss();
    let reports: Mutex<Vec<(Duration, f64)>> = Mutex::new(Vec::new());
    let sink = |p: &Progress| {
        if let (Some(inc), Ok(mut r)) = (p.incumbent, reports.lock()) {
            r.push((p.elapsed, inc));
        }
    };
    let cancel = CancelToken::new();
    let res = solve(ix, opts, SolveHooks { progress: &sink, cancel: &cancel, initial: None })?;
    let peak_rss_mib = peak_rss_kib().map(|k| k as f64 / 1024.0);
    let reports = reports.into_inner().unwrap_or_default();
    let objective = res.objective().map(|m| m.cents());
    // The first report of a complete roster; the returned roster's time if no report came.
    let first_feasible =
        reports.first().map(|(t, _)| t.as_secs_f64()).or_else(|| res.time_to_best.map(|t| t.as_secs_f64()));
    let within_1pct_of_bound = res.bound.and_then(|b| {
        let close = |inc: f64| inc - b <= 0.01 * inc.abs();
        reports
            .iter()
            .find(|(_, inc)| close(*inc))
            .map(|(t, _)| t.as_secs_f64())
            .or_else(|| objective.filter(|o| close(*o as f64)).and(res.time_to_best.map(|t| t.as_secs_f64())))
    });
    Ok(ScalingRow {
        scenario: name.to_string(),
        drivers: ix.drivers(),
        days: ix.days(),
        duties: ix.shifts(),
        parts: res.parts,
        first_feasible,
        within_1pct_of_bound,
        objective,
        bound: res.bound,
        gap: res.gap(),
        elapsed: res.elapsed.as_secs_f64(),
        peak_rss_mib,
        status: res.status.as_str().to_string(),
    })
}

/// Resets the kernel's peak-RSS counter of this process (Linux ≥ 4.0), so each solve reports its
/// own peak; elsewhere a no-op.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size (`VmHWM`) in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The scaling table as Markdown.
pub fn to_markdown(rows: &[ScalingRow]) -> String {
    let mut out = String::from(
        "| scenario | drivers × days × duties | parts | first legal roster (s) | within 1 % of bound (s) | objective (cents) | lower bound | gap | time (s) | peak RSS (MiB) | status |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} × {} × {} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {} |",
            r.scenario,
            r.drivers,
            r.days,
            r.duties,
            r.parts,
            opt(r.first_feasible.map(|t| format!("{t:.1}"))),
            opt(r.within_1pct_of_bound.map(|t| format!("{t:.1}"))),
            opt(r.objective),
            opt(r.bound.map(|b| format!("{b:.0}"))),
            opt(r.gap.map(|g| format!("{:.2} %", g * 100.0))),
            r.elapsed,
            opt(r.peak_rss_mib.map(|m| format!("{m:.0}"))),
            r.status
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_metro_scenario_is_measured_with_a_first_roster_and_a_peak() {
        let p = model::generate::GeneratorParams {
            drivers: 12,
            days: 7,
            depots: 2,
            seed: 5,
            start_date: chrono::NaiveDate::from_ymd_opt(2027, 1, 4).expect("date"),
        };
        let ix = ScenarioIndex::new(model::generate::generate(&p).expect("generate")).expect("valid");
        let opts = SolveOptions::new(10.0, 0.0, 1).expect("options");
        let row = measure("generated", &ix, &opts).expect("solve");
        assert_eq!(row.drivers, 12);
        assert!(row.objective.is_some(), "{row:?}");
        assert!(row.first_feasible.is_some_and(|t| t <= row.elapsed + 1e-9), "{row:?}");
        if cfg!(target_os = "linux") {
            assert!(row.peak_rss_mib.is_some_and(|m| m > 0.0), "{row:?}");
        }
        let md = to_markdown(&[row]);
        assert!(md.contains("| generated | 12 × 7 × "), "{md}");
    }
}
