//! Events to and from other systems over Kafka (DESIGN §6).
//!
//! Outbound (`roster.jobs.v1`, `roster.published.v1`, `payroll.cost-forecast.v1`) goes through a
//! transactional outbox: whoever changes state calls [`crate::db::outbox::enqueue`] inside the same
//! PostgreSQL transaction, and the [`relay`] publishes the rows afterwards, marking each sent only
//! once the broker acknowledged it. Delivery is therefore at-least-once, in order per key;
//! consumers deduplicate on `event_id`.
//!
//! Inbound, [`hr_consumer`] applies sickness and leave from `hr.absences.v1` to driver
//! availability, idempotently through entity-state checks, and dead-letters what it cannot parse.
//!
//! * [`envelope`]: the envelope and the typed `data` of each event type (schemas in
//!   `service/schemas/events/`).
//! * [`emit`]: enqueue the events of a job transition or a roster publication in the caller's transaction.
//! * [`relay`]: outbox → Kafka.
//! * [`hr_consumer`]: Kafka → driver absences.

pub mod emit;
pub mod envelope;
pub mod hr_consumer;
pub mod relay;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use thiserror::Error;

pub use envelope::{Envelope, EventMeta};

/// What can go wrong while publishing or consuming events.
#[derive(Debug, Error)]
pub enum EventsError {
    /// The database failed; the operation is retried, nothing was half-applied.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A Kafka client could not be created or an operation on it failed.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// An event was asked for a roster that does not exist.
    #[error("roster {0} not found")]
    RosterNotFound(uuid::Uuid),
    /// A stored row does not hold what the schema promises (e.g. a negative day count).
    #[error("inconsistent data: {0}")]
    Inconsistent(String),
}

/// Topic names. Production uses [`Topics::default`]; tests suffix them to stay isolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// Job lifecycle, keyed by job id.
    pub jobs: String,
    /// Published rosters, keyed by roster id.
    pub published: String,
    /// Payroll cost forecasts, keyed by driver id.
    pub cost_forecast: String,
    /// Inbound HR absences, keyed by driver id.
    pub absences: String,
    /// Where HR messages we cannot apply go, with the reason in a header.
    pub absences_dlq: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            jobs: "roster.jobs.v1".into(),
            published: "roster.published.v1".into(),
            cost_forecast: "payroll.cost-forecast.v1".into(),
            absences: "hr.absences.v1".into(),
            absences_dlq: "hr.absences.v1.dlq".into(),
        }
    }
}

impl Topics {
    /// The default names with `suffix` appended to each (`roster.jobs.v1.<suffix>`).
    pub fn with_suffix(suffix: &str) -> Self {
        let d = Topics::default();
        let s = |t: String| format!("{t}.{suffix}");
        Topics {
            jobs: s(d.jobs),
            published: s(d.published),
            cost_forecast: s(d.cost_forecast),
            absences: s(d.absences),
            absences_dlq: s(d.absences_dlq),
        }
    }

    /// Every topic, for creating them.
    pub fn all(&self) -> [&str; 5] {
        [&self.jobs, &self.published, &self.cost_forecast, &self.absences, &self.absences_dlq]
    }
}

/// How to reach Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, e.g. `127.0.0.1:9092`.
    pub brokers: String,
    /// Whether producers are idempotent (`enable.idempotence`). On by default: it keeps retries
    /// from duplicating or reordering messages within a partition. Only a broker without
    /// InitProducerId support needs it off, and then order per key still holds because the relay
    /// sends one key's events one at a time.
    pub idempotence: bool,
    /// Topic names.
    pub topics: Topics,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig { brokers: "127.0.0.1:9092".into(), idempotence: true, topics: Topics::default() }
    }
}

impl KafkaConfig {
    /// Reads `KAFKA_BROKERS` and `KAFKA_IDEMPOTENCE` (`false` or `0` turns it off), defaults otherwise.
    pub fn from_env() -> Self {
        let mut config = KafkaConfig::default();
        if let Ok(brokers) = std::env::var("KAFKA_BROKERS") {
            config.brokers = brokers;
        }
        if let Ok(flag) = std::env::var("KAFKA_IDEMPOTENCE") {
            config.idempotence = !matches!(flag.trim(), "false" | "0" | "no" | "off");
        }
        config
    }

    /// Producer settings shared by the relay and the dead-letter producer: every in-sync replica
    /// must acknowledge (`acks=all`) and `delivery_timeout_ms` bounds how long librdkafka retries
    /// one message before reporting failure to us, so an outage surfaces instead of hanging.
    pub fn producer_config(&self, delivery_timeout_ms: u64) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", "roster")
            .set("acks", "all")
            .set("enable.idempotence", if self.idempotence { "true" } else { "false" })
            .set("message.timeout.ms", delivery_timeout_ms.to_string())
            .set("linger.ms", "5");
        config
    }
}
