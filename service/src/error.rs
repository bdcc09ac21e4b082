//! The service crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// What can go wrong in the application layer.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Domain data is malformed or inconsistent.
    #[error("{path}: {source}")]
    Model {
        /// The file it came from.
        path: PathBuf,
        /// What the domain said.
        source: model::ModelError,
    },
    /// The solver failed.
    #[error(transparent)]
    Solver(#[from] solver::SolverError),
    /// A command-line argument is malformed.
    #[error("{0}")]
    Usage(String),
}
