//! `roster bench`: runs the planner on benchmark instances and tabulates the results against the
//! best known values (Markdown and CSV); [`metro`] measures how the planner scales on metro
//! scenarios.

pub mod metro;

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use serde::Serialize;
use solver::{CancelToken, SolveHooks, SolveOptions, solve};

use crate::error::ServiceError;
use crate::files::load_index;

/// Published values of one Curtois instance (`best_known.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestKnown {
    /// Best known objective (upper bound).
    pub best: i64,
    /// Best published lower bound.
    pub lower_bound: i64,
}

/// Reads `best_known.csv` keyed by instance name (`Instance4`).
pub fn read_best_known(path: &Path) -> Result<HashMap<String, BestKnown>, ServiceError> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| ServiceError::Usage(format!("{}: {e}", path.display())))?;
    let mut out = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| ServiceError::Usage(format!("{}: {e}", path.display())))?;
        let num = |col: usize| -> Result<i64, ServiceError> {
            rec.get(col).and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
                ServiceError::Usage(format!("{} line {}: column {} is not an integer", path.display(), i + 2, col + 1))
            })
        };
        let name = rec.get(0).unwrap_or_default().to_string();
        out.insert(name, BestKnown { best: num(4)?, lower_bound: num(5)? });
    }
    Ok(out)
}

/// Parses an instance selection such as `1-12`, `3,5,7` or `1-7,9-11`.
pub fn parse_instances(spec: &str) -> Result<Vec<u32>, ServiceError> {
    let bad =
        || ServiceError::Usage(format!("--instances: \"{spec}\" is not a list of numbers and ranges like 1-12,15"));
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().map_err(|_| bad())?, b.trim().parse::<u32>().map_err(|_| bad())?),
            None => {
                let n = part.parse::<u32>().map_err(|_| bad())?;
                (n, n)
            }
        };
        if a == 0 || b < a {
            return Err(bad());
        }
        out.extend(a..=b);
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// One line of a benchmark table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRow {
    /// Instance name.
    pub instance: String,
    /// Drivers × days × shift types.
    pub size: String,
    /// Objective of the returned roster (evaluator), if any.
    pub objective: Option<i64>,
    /// Best known objective, if published.
    pub best_known: Option<i64>,
    /// `(objective − best known) / best known`.
    pub gap_to_best_known: Option<f64>,
    /// Our proven lower bound.
    pub lower_bound: Option<f64>,
    /// Seconds until the returned roster was found.
    pub time_to_best: Option<f64>,
    /// Seconds of the whole solve.
    pub elapsed: f64,
    /// Solve status.
    pub status: String,
}

/// Solves every selected Curtois instance in `dir` with `opts`, calling `on_row` after each.
pub fn run_curtois(
    dir: &Path,
    instances: &[u32],
    opts: &SolveOptions,
    on_row: &mut dyn FnMut(&BenchRow),
) -> Result<Vec<BenchRow>, ServiceError> {
    let best = read_best_known(&dir.join("best_known.csv"))?;
    let mut rows = Vec::new();
    for n in instances {
        let name = format!("Instance{n}");
        let ix = load_index(&dir.join(format!("{name}.txt")))?;
        let cancel = CancelToken::new();
        let quiet = |_: &solver::Progress| {};
        let res = solve(&ix, opts, SolveHooks { progress: &quiet, cancel: &cancel, initial: None })?;
        let known = best.get(&name).map(|b| b.best);
        let objective = res.objective().map(|m| m.cents());
        let row = BenchRow {
            size: format!("{}×{}×{}", ix.drivers(), ix.days(), ix.shifts()),
            instance: name,
            objective,
            best_known: known,
            gap_to_best_known: objective.zip(known).map(|(o, b)| (o - b) as f64 / b as f64),
            lower_bound: res.bound,
            time_to_best: res.time_to_best.map(|t| t.as_secs_f64()),
            elapsed: res.elapsed.as_secs_f64(),
            status: res.status.as_str().to_string(),
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// A table cell: the value, or a dash when there is none.
pub(crate) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

/// The table as Markdown.
pub fn to_markdown(rows: &[BenchRow]) -> String {
    let mut out = String::from(
        "| instance | size | objective | best known | gap to best known | lower bound | time to best (s) | time (s) | status |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            r.instance,
            r.size,
            opt(r.objective),
            opt(r.best_known),
            opt(r.gap_to_best_known.map(|g| format!("{:.2} %", g * 100.0))),
            opt(r.lower_bound.map(|b| format!("{b:.1}"))),
            opt(r.time_to_best.map(|t| format!("{t:.1}"))),
            r.elapsed,
            r.status
        );
    }
    out
}

/// A table (Curtois or metro rows) as CSV, one line per row with the field names as header.
pub fn to_csv<R: Serialize>(rows: &[R]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        // Serializing plain fields into a Vec cannot fail.
        let _ = w.serialize(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_selections_accept_ranges_and_lists() {
        assert_eq!(parse_instances("1-3,7").expect("valid"), vec![1, 2, 3, 7]);
        assert!(parse_instances("3-1").is_err());
        assert!(parse_instances("x").is_err());
        assert!(parse_instances("0").is_err());
    }
}
