//! The model crate's error type.

use std::fmt;

use thiserror::Error;

/// One problem found in a scenario or a roster, located by a path into the document
/// (`drivers[12].contract`) and described in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Where: a JSON-style path (`drivers[3].max_shifts.N`) or `line 12` for text formats.
    pub path: String,
    /// What is wrong, with the offending values.
    pub message: String,
}

impl Issue {
    /// An issue at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything that can go wrong when reading or checking domain data.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The scenario (or roster) is well-formed but breaks consistency rules; every problem is listed.
    #[error("{} problem(s): {}", .0.len(), join(.0))]
    Invalid(Vec<Issue>),
    /// A JSON document could not be read: wrong type, missing field, unknown field, bad syntax.
    #[error("{path}: {message}")]
    Json {
        /// Path of the offending value (`drivers[2].contract.weekly_minutes`), `.` for the root.
        path: String,
        /// What serde reported.
        message: String,
    },
    /// A Curtois & Qu text file could not be read.
    #[error("line {line}: {message}")]
    Curtois {
        /// 1-based line number (the line after the last one for a truncated file).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn join(issues: &[Issue]) -> String {
    issues.iter().map(Issue::to_string).collect::<Vec<_>>().join("; ")
}

impl ModelError {
    /// The issues behind an `Invalid` error, or one issue describing any other error.
    pub fn issues(&self) -> Vec<Issue> {
        match self {
            ModelError::Invalid(v) => v.clone(),
            ModelError::Json { path, message } => vec![Issue::new(path.clone(), message.clone())],
            ModelError::Curtois { line, message } => {
                vec![Issue::new(format!("line {line}"), message.clone())]
            }
        }
    }
}
