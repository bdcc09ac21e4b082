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
//! | `ROSTER_AUTO_REOPTIMIZE` | `false` | re-optimize each published roster an absence breaks, as a draft |
//! | `REDIS_URL` | `redis://127.0.0.1:6379` | Redis: sessions and rate limits |
//! | `ROSTER_REDIS_KEY_PREFIX` | `roster:` | prefix of every Redis key (one per deployment sharing a Redis) |
//! | `ROSTER_BCRYPT_COST` | `12` | bcrypt work factor of stored password hashes (4–31) |
//! | `ROSTER_SESSION_IDLE_SECS` | `1800` | a session ends after this long without a request (sliding expiry) |
//! | `ROSTER_SESSION_MAX_SECS` | `43200` | a session ends this long after login, however active |
//! | `ROSTER_RATE_LIMIT_PER_MINUTE` | `600` | requests per minute per principal on authenticated routes |
//! | `ROSTER_LOGIN_RATE_LIMIT_PER_MINUTE` | `10` | login attempts per minute per client address |

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
    /// The HR consumer queues a re-optimization of every published roster an absence breaks, in
    /// the transaction that applies the absence (`ROSTER_AUTO_REOPTIMIZE`, default false). Off by
    /// default because each one costs a solver run and leaves a draft for dispatchers to review;
    /// an operator who wants that turns it on. Off, absences only mark the disruptions.
    pub auto_reoptimize: bool,
    /// Redis connection string (sessions, rate limits).
    pub redis_url: String,
    /// Prefix of every Redis key this deployment writes; tests use a random one so that they never
    /// see each other's sessions or limits.
    pub redis_key_prefix: String,
    /// bcrypt work factor for new password hashes (12 in production; tests use 4, the minimum).
    pub bcrypt_cost: u32,
    /// A session ends after this long without a request; every request renews it.
    pub session_idle: Duration,
    /// A session ends this long after login even if it stays active, so a stolen token has a bound.
    pub session_max_lifetime: Duration,
    /// Requests admitted per principal on authenticated routes.
    pub api_rate_limit: Quota,
    /// Login attempts admitted per client address.
    pub login_rate_limit: Quota,
}

/// A rate: at most `limit` requests per `period`, a burst of up to `limit` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests per period (at least 1).
    pub limit: u32,
    /// The period.
    pub period: Duration,
}

impl Quota {
    /// `limit` requests per minute.
    pub fn per_minute(limit: u32) -> Quota {
        Quota { limit: limit.max(1), period: Duration::from_secs(60) }
    }
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
            auto_reoptimize: false,
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_key_prefix: "roster:".into(),
            bcrypt_cost: 12,
            session_idle: Duration::from_secs(30 * 60),
            session_max_lifetime: Duration::from_secs(12 * 3600),
            api_rate_limit: Quota::per_minute(600),
            login_rate_limit: Quota::per_minute(10),
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
        let bcrypt_cost: u32 = var("ROSTER_BCRYPT_COST", d.bcrypt_cost)?;
        if !(4..=31).contains(&bcrypt_cost) {
            let value = bcrypt_cost.to_string();
            return Err(ConfigError { name: "ROSTER_BCRYPT_COST", value, reason: "must be within 4..=31".into() });
        }
        let positive = |name: &'static str, n: u64| match n {
            0 => Err(ConfigError { name, value: "0".into(), reason: "must be at least 1".into() }),
            n => Ok(n),
        };
        let idle = positive("ROSTER_SESSION_IDLE_SECS", var("ROSTER_SESSION_IDLE_SECS", d.session_idle.as_secs())?)?;
        let max =
            positive("ROSTER_SESSION_MAX_SECS", var("ROSTER_SESSION_MAX_SECS", d.session_max_lifetime.as_secs())?)?;
        let api_limit = var("ROSTER_RATE_LIMIT_PER_MINUTE", d.api_rate_limit.limit)?;
        let login_limit = var("ROSTER_LOGIN_RATE_LIMIT_PER_MINUTE", d.login_rate_limit.limit)?;
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
            auto_reoptimize: var("ROSTER_AUTO_REOPTIMIZE", d.auto_reoptimize)?,
            redis_url: var("REDIS_URL", d.redis_url)?,
            redis_key_prefix: var("ROSTER_REDIS_KEY_PREFIX", d.redis_key_prefix)?,
            bcrypt_cost,
            session_idle: Duration::from_secs(idle),
            session_max_lifetime: Duration::from_secs(max),
            api_rate_limit: Quota::per_minute(api_limit),
            login_rate_limit: Quota::per_minute(login_limit),
        })
    }
}
