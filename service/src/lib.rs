//! The application layer between the `roster` binary and the domain.
//!
//! A tour of the modules:
//!
//! * [`files`], [`report`], [`bench`]: scenario and roster files, the CLI's reports, `roster bench`.
//! * [`config`]: settings from environment variables with local defaults.
//! * [`domain`]: typed ids of stored aggregates, the job state machine, validated job options.
//! * [`db`]: PostgreSQL, one module per aggregate; migrations are embedded from `migrations/`.
//! * [`api`]: the axum HTTP API, its problem documents and its OpenAPI document.
//! * [`worker`]: solver workers that claim jobs with leases, report progress and store rosters.
//! * [`reoptimization`]: re-optimizing a roster after a disruption, asked for through the API or
//!   queued by the HR consumer when an absence breaks a published roster.
//! * [`identity`]: roles, users' passwords, sessions in Redis, the role × endpoint matrix, rate limits.
//! * [`app`]: building and running server and workers with shutdown passed in.
//! * [`events`]: Kafka events: the transactional outbox, its relay, the HR absence consumer.
//! * [`telemetry`]: JSON logs and the Prometheus recorder.
//! * [`error`]: the error type of the file-based commands.

pub mod api;
pub mod app;
pub mod bench;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod files;
pub mod identity;
pub mod reoptimization;
pub mod report;
pub mod telemetry;
pub mod worker;

pub use error::ServiceError;
