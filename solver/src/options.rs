//! Solve options, checked before any work starts.

use std::time::Duration;

use crate::error::SolverError;

/// Options of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// Wall-clock limit for the whole solve.
    pub time_limit: Duration,
    /// Relative MIP gap at which the solve stops as optimal (0 = prove optimality).
    pub gap: f64,
    /// Threads HiGHS may use.
    pub threads: u32,
    /// Random seed passed to HiGHS (and to the neighbourhood choice of LNS).
    pub seed: u64,
    /// Use the constructive heuristic as a MIP start.
    pub warm_start: bool,
    /// Print HiGHS's own log to stdout.
    pub verbose: bool,
    /// Share of the time limit given to the monolithic MILP before large neighbourhood search takes
    /// over (1.0 = MILP only, no LNS).
    pub milp_share: f64,
    /// Solve independent parts (depots whose drivers and duties do not mix) separately.
    pub decompose: bool,
    /// Run column generation (its bound, its rosters and a dive) before the MILP and LNS phases.
    pub column_generation: bool,
    /// Stop LNS after this many rounds (reproducible runs); `None` = until the time limit.
    pub lns_rounds: Option<u32>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: Duration::from_secs(60),
            gap: 0.0,
            threads: 2,
            seed: 0,
            warm_start: true,
            verbose: false,
            milp_share: 0.2,
            lns_rounds: None,
            decompose: true,
            column_generation: true,
        }
    }
}

impl SolveOptions {
    /// Options from raw user input, rejecting out-of-range values with a message naming the option.
    pub fn new(time_limit_secs: f64, gap: f64, threads: u32) -> Result<SolveOptions, SolverError> {
        if !time_limit_secs.is_finite() || time_limit_secs <= 0.0 {
            return Err(SolverError::BadOption {
                option: "time_limit",
                message: format!("must be a positive number of seconds, got {time_limit_secs}"),
            });
        }
        if !gap.is_finite() || !(0.0..=1.0).contains(&gap) {
            return Err(SolverError::BadOption {
                option: "gap",
                message: format!("must be between 0 and 1 (a fraction, 0.01 = 1 %), got {gap}"),
            });
        }
        if threads == 0 || threads > 256 {
            return Err(SolverError::BadOption {
                option: "threads",
                message: format!("must be between 1 and 256, got {threads}"),
            });
        }
        Ok(SolveOptions {
            time_limit: Duration::from_secs_f64(time_limit_secs),
            gap,
            threads,
            ..SolveOptions::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_time_limit_is_rejected_by_name() {
        let err = SolveOptions::new(-1.0, 0.0, 2).expect_err("negative");
        assert!(err.to_string().contains("time_limit"), "{err}");
    }

    #[test]
    fn a_gap_above_one_is_rejected_by_name() {
        let err = SolveOptions::new(10.0, 1.5, 2).expect_err("gap");
        assert!(err.to_string().contains("gap"), "{err}");
    }

    #[test]
    fn zero_threads_are_rejected_and_sane_options_accepted() {
        assert!(SolveOptions::new(10.0, 0.0, 0).is_err());
        let o = SolveOptions::new(2.5, 0.01, 1).expect("valid");
        assert_eq!(o.time_limit, Duration::from_millis(2500));
    }
}
