//! The solver crate's error type.

use thiserror::Error;

/// What can stop a solve from producing a result.
#[derive(Debug, Error)]
pub enum SolverError {
    /// An option is out of range; the message names it and the accepted values.
    #[error("invalid option {option}: {message}")]
    BadOption {
        /// The option (`time_limit`, `gap`, `threads`).
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// HiGHS refused the model or failed while solving (not infeasibility, which is a status).
    #[error("HiGHS failed: {0}")]
    Highs(String),
    /// The roster the solver built breaks a hard rule according to the evaluator: a solver bug,
    /// never returned as a success.
    #[error("internal error: the solver's roster breaks {count} hard rule(s), first: {first}")]
    InvalidRoster {
        /// Number of violations.
        count: usize,
        /// The first one, in words.
        first: String,
    },
}

impl SolverError {
    /// The error for a roster the evaluator rejected, or `None` when `eval` has no violation.
    pub fn if_invalid(eval: &model::Evaluation) -> Option<SolverError> {
        eval.violations.first().map(|v| SolverError::InvalidRoster {
            count: eval.violations.len(),
            first: format!("{} {}: {}", v.rule, v.driver, v.message),
        })
    }
}
