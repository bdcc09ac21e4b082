//! The application layer between the `roster` binary and the domain: files, reports, benchmarks.
//!
//! A tour of the modules:
//!
//! * [`files`]: reading scenarios (native JSON or Curtois text) and rosters, writing outputs.
//! * [`report`]: the roster grid and the KPI summary printed by the CLI.
//! * [`bench`]: `roster bench`: the Curtois suite against best known values, as Markdown and CSV.
//! * [`error`]: the crate's error type.
//! * [`db`]: PostgreSQL access (outbox, driver absences).
//! * [`events`]: Kafka events: the outbox relay and the HR absence consumer.

pub mod bench;
pub mod db;
pub mod error;
pub mod events;
pub mod files;
pub mod report;

pub use error::ServiceError;
