//! Anytime progress and cooperative cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

/// Where an incumbent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The constructive heuristic.
    Heuristic,
    /// HiGHS branch and bound.
    Milp,
    /// Column generation: its bound, and the rosters of its pricing and its dives.
    ColumnGeneration,
    /// Large neighbourhood search.
    Lns,
    /// Local search: the exchange search (simulated annealing over moves between drivers) and the
    /// final phase's passes of best responses.
    LocalSearch,
}

impl Phase {
    /// Snake-case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Heuristic => "heuristic",
            Phase::Milp => "milp",
            Phase::ColumnGeneration => "column_generation",
            Phase::Lns => "lns",
            Phase::LocalSearch => "local_search",
        }
    }
}

/// One progress report: sent whenever the incumbent improves (and when the bound moves, from HiGHS).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Time since the solve started.
    pub elapsed: Duration,
    /// Objective of the best roster so far (cents), if any.
    pub incumbent: Option<f64>,
    /// Best proven lower bound (cents), if known.
    pub bound: Option<f64>,
    /// Relative gap `(incumbent − bound) / incumbent`, if both are known.
    pub gap: Option<f64>,
    /// What produced this report.
    pub phase: Phase,
}

/// Receives progress reports; called from the solver's threads, so it must be quick and `Sync`.
pub type ProgressSink<'a> = &'a (dyn Fn(&Progress) + Sync);

/// Relative gap between an incumbent and a bound, as HiGHS defines it.
pub fn relative_gap(incumbent: f64, bound: f64) -> f64 {
    if incumbent.abs() < 1e-9 {
        if (incumbent - bound).abs() < 1e-9 { 0.0 } else { f64::INFINITY }
    } else {
        ((incumbent - bound) / incumbent.abs()).max(0.0)
    }
}

/// A cancellation flag shared between whoever may cancel (a CLI signal, a job API) and the solver.
/// Cancelling makes the solver stop at its next check (HiGHS polls it in its interrupt callback) and
/// return the best roster found so far.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A fresh, not cancelled token.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Requests cancellation.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
