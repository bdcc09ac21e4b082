//! Configuration from environment variables with local defaults (DESIGN §5).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/roster` | PostgreSQL |
//! | `ROSTER_LISTEN` | `127.0.0.1:8080` | HTTP listen address |
//! | `ROSTER_LEASE_SECS` | `30` | how long a worker's claim on a job lasts without a heartbeat |
//! | `ROSTER_MAX_ATTEMPTS` | `3` | claims of one job before it fails as lost |
//! | `ROSTER_SOLVER_THREADS` | `1` | upper bound on HiGHS threads per job on a worker |
//! | `ROSTER_BODY_LIMIT_BYTES` | `16777216` | largest request body (a 2,000-driver scenario is ~2 MB) |
//! | `ROSTER_REQUEST_TIMEOUT_SECS` | `30` | longest a request may take (not the SSE stream) |
//! | `ROSTER_LOG_FORMAT` | `json` | `json` or `pretty` |
//! | `ROSTER_MIGRATE_ON_START` | `true` | apply pending migrations when `serve` or `worker` starts |
//! | `KAFKA_BROKERS` | `127.0.0.1:9092` | Kafka bootstrap servers |
//! | `KAFKA_IDEMPOTENCE` | `true` | idempotent producer |
//! | `ROSTER_EVENTS` | `true` | run the outbox relay and the HR consumer inside `serve` |

use std::env;
use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

/// A variable that is set but unusable.
#[derive(Debug, Error)]
#[error("environment variable {name}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// Why it is refused.
    pub reason: String,
}

/// Everything the server and the workers read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// PostgreSQL connection string.
    pub database_url: String,
    /// HTTP listen address (`127.0.0.1:0` picks a free port, as the tests do).
    pub listen: SocketAddr,
    /// Lease length of a claimed job; the heartbeat renews it every third of it.
    pub lease: Duration,
    /// Claims of one job before it is failed as lost.
    pub max_attempts: i32,
    /// How often an idle worker looks for work.
    pub poll_interval: Duration,
    /// Upper bound on HiGHS threads per job.
    pub solver_threads: u32,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// JSON logs (production) rather than human-readable ones.
    pub json_logs: bool,
    /// Apply pending migrations at startup (`ROSTER_MIGRATE_ON_START`, default true). Turned off
    /// when migrations are rolled out separately, step by step, while old and new versions run.
    pub migrate_on_start: bool,
    /// Kafka brokers and topics (`KAFKA_BROKERS`, `KAFKA_IDEMPOTENCE`).
    pub kafka: crate::events::KafkaConfig,
    /// Run the outbox relay and the HR absence consumer inside `serve` (`ROSTER_EVENTS`, default
    /// true). Off when they run as their own processes, and in tests without a broker.
    pub events: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            database_url: "postgres://postgres@127.0.0.1:5432/roster".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            lease: Duration::from_secs(30),
            max_attempts: 3,
            poll_interval: Duration::from_millis(500),
            solver_threads: 1,
            body_limit: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            json_logs: true,
            migrate_on_start: true,
            kafka: crate::events::KafkaConfig::default(),
            events: true,
        }
    }
}

fn var<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match env::var(name) {
        Ok(value) => value.parse().map_err(|e: T::Err| ConfigError { name, value, reason: e.to_string() }),
        Err(_) => Ok(default),
    }
}

impl Settings {
    /// Reads the environment; unset variables take their local default.
    pub fn from_env() -> Result<Settings, ConfigError> {
        let d = Settings::default();
        let lease_secs: u64 = var("ROSTER_LEASE_SECS", d.lease.as_secs())?;
        if lease_secs < 3 {
            let value = lease_secs.to_string();
            return Err(ConfigError { name: "ROSTER_LEASE_SECS", value, reason: "must be at least 3".into() });
        }
        let format: String = var("ROSTER_LOG_FORMAT", "json".to_string())?;
        let json_logs = match format.as_str() {
            "json" => true,
            "pretty" => false,
            _ => {
                let reason = "expected json or pretty".into();
                return Err(ConfigError { name: "ROSTER_LOG_FORMAT", value: format, reason });
            }
        };
        Ok(Settings {
            database_url: var("DATABASE_URL", d.database_url)?,
            listen: var("ROSTER_LISTEN", d.listen)?,
            lease: Duration::from_secs(lease_secs),
            max_attempts: var("ROSTER_MAX_ATTEMPTS", d.max_attempts)?.max(1),
            poll_interval: d.poll_interval,
            solver_threads: var("ROSTER_SOLVER_THREADS", d.solver_threads)?.max(1),
            body_limit: var("ROSTER_BODY_LIMIT_BYTES", d.body_limit)?,
            request_timeout: Duration::from_secs(var("ROSTER_REQUEST_TIMEOUT_SECS", d.request_timeout.as_secs())?),
            json_logs,
            migrate_on_start: var("ROSTER_MIGRATE_ON_START", d.migrate_on_start)?,
            kafka: crate::events::KafkaConfig::from_env(),
            events: var("ROSTER_EVENTS", d.events)?,
        })
    }
}
