//! The MILP planner (DESIGN §4): HiGHS through `good_lp`.
//!
//! A tour of the modules:
//!
//! * [`options`]: time limit, gap, threads, seed; checked before any work.
//! * [`progress`]: anytime progress reports and the cancellation token.
//! * [`formulation`]: [`formulation::RosterModel`] owns the variables and builds one constraint family
//!   per hard rule (R1–R11) and one objective term per soft term.
//! * [`heuristic`]: the constructive warm start.
//! * [`row_dp`]: the best legal row of one driver given a cost per cell, exactly, by dynamic
//!   programming (the fast move of the searches and the pricing problem of column generation).
//! * [`best_response`]: a roster searched one driver's row at a time (best responses to the
//!   others' cover, row descent), priced exactly as the evaluator prices it.
//! * [`exchange`]: simulated annealing over moves between drivers (segment swaps, cell changes),
//!   priced in O(1) per day and checked by the evaluator's per-driver rules.
//! * [`colgen`]: column generation over whole legal rows: a Lagrangian bound valid at every
//!   iteration, rosters by diving, branch and price on small scenarios.
//! * [`cover_bound`]: a Lagrangian bound of the cover rows over relaxed rows, by subgradient
//!   steps: the bound of scenarios too large for column generation's pricing.
//! * [`highs_run`]: runs a model on HiGHS with callbacks (progress, interrupt) and a MIP start.
//! * [`diagnosis`]: the elastic model that names the conflicting rules of an infeasible scenario.
//! * [`decompose`] and [`solve_parts`]: independent parts (depots) solved separately in parallel.
//! * [`lns`]: MILP-based large neighbourhood search, in parallel on rayon.
//! * [`solve`]: the entry point and its pipeline (warm start, row descent, column generation,
//!   the monolithic MILP on small models, dives or branch and price, then turns of the exchange
//!   search, LNS and the row descent); every returned roster has passed the evaluator.

pub mod best_response;
pub mod colgen;
pub mod cover_bound;
pub mod decompose;
pub mod diagnosis;
pub mod error;
pub mod exchange;
pub mod formulation;
pub mod heuristic;
pub mod highs_run;
pub mod lns;
pub mod options;
pub mod progress;
pub mod row_dp;
pub mod solve;
pub mod solve_parts;

pub use diagnosis::{Conflict, Diagnosis};
pub use error::SolverError;
pub use options::SolveOptions;
pub use progress::{CancelToken, Phase, Progress, ProgressSink};
pub use solve::{ModelSize, SolveHooks, SolveResult, SolveStatus, solve};
