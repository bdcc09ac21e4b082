//! Human-readable reports: the roster grid and the KPI summary printed by `roster solve` and
//! `roster evaluate`.

use std::fmt::Write;

use model::{DriverIdx, Evaluation, Minutes, RosterGrid, ScenarioIndex};
use solver::SolveResult;

/// The roster as a grid, one line per driver (`.` = day off), at most `max_drivers` lines.
pub fn roster_grid(ix: &ScenarioIndex, grid: &RosterGrid, max_drivers: usize) -> String {
    let width = ix.scenario.shift_types.iter().map(|s| s.id.as_str().len()).max().unwrap_or(1).max(1);
    let name_w = ix.scenario.drivers.iter().map(|d| d.id.as_str().len()).max().unwrap_or(1);
    let mut out = String::new();
    let _ = write!(out, "{:name_w$} ", "");
    for t in 0..ix.days() {
        let wd = ix.scenario.horizon.weekday(t).to_string();
        let _ = write!(out, "{:>width$}", &wd[..1.min(wd.len())]);
        out.push(' ');
    }
    out.push('\n');
    for d in (0..ix.drivers()).take(max_drivers) {
        let _ = write!(out, "{:name_w$} ", ix.driver_id(DriverIdx(d)));
        for cell in grid.row(DriverIdx(d)) {
            let s = cell.map_or(".", |s| ix.shift_id(s).as_str());
            let _ = write!(out, "{s:>width$} ");
        }
        out.push('\n');
    }
    if ix.drivers() > max_drivers {
        let _ = writeln!(out, "… and {} more drivers (write the whole roster with --out)", ix.drivers() - max_drivers);
    }
    out
}

/// The KPI summary of an evaluated roster, with the solve's status when there is one.
pub fn kpis(ix: &ScenarioIndex, eval: &Evaluation, solve: Option<&SolveResult>) -> String {
    let s = &ix.scenario;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenario {}: {} drivers, {} days from {}, {} shift types",
        s.name,
        ix.drivers(),
        ix.days(),
        s.horizon.start_date,
        ix.shifts()
    );
    if let Some(r) = solve {
        let gap = r.gap().map_or("n/a".into(), |g| format!("{:.2} %", g * 100.0));
        let bound = r.bound.map_or("n/a".into(), |b| format!("{b:.1}"));
        let ttb = r.time_to_best.map_or("n/a".into(), |t| format!("{:.1} s", t.as_secs_f64()));
        let milp =
            r.size.map_or("no monolithic MILP".into(), |m| format!("MILP {} columns × {} rows", m.columns, m.rows));
        let _ = writeln!(
            out,
            "Status: {} in {:.1} s (best found at {ttb}); lower bound {bound}; gap {gap}; {milp}",
            r.status.as_str(),
            r.elapsed.as_secs_f64(),
        );
    }
    let o = &eval.objective;
    let _ = writeln!(out, "Objective: {} (cents; Curtois instances: the benchmark objective)", o.total().cents());
    for (name, amount) in o.terms() {
        if amount.cents() != 0 {
            let _ = writeln!(out, "  {name:<20} {:>14}", amount.cents());
        }
    }
    let c = &eval.coverage;
    let pct = if c.required == 0 { 100.0 } else { 100.0 * c.covered as f64 / c.required as f64 };
    let _ = writeln!(
        out,
        "Coverage: {}/{} driver-shifts ({pct:.1} %), {} missing, {} surplus",
        c.covered, c.required, c.missing, c.surplus
    );
    let total = &eval.cost.total;
    let ot: Minutes = total.overtime_minutes();
    let _ = writeln!(
        out,
        "Hours: {} worked, {} overtime; pay {} regular + {} overtime + {} premiums = {}",
        total.worked,
        ot,
        total.regular_pay,
        total.overtime_pay,
        total.premium_pay,
        total.total_pay()
    );
    if eval.violations.is_empty() {
        let _ = writeln!(out, "Hard rules: all satisfied");
    } else {
        let _ = writeln!(out, "Hard rules: {} violation(s)", eval.violations.len());
        for v in &eval.violations {
            let day = v.day.map_or(String::new(), |d| format!(" day {d}"));
            let _ = writeln!(out, "  {} driver {}{day}: {}", v.rule, v.driver, v.message);
        }
    }
    out
}
