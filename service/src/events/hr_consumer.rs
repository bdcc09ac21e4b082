//! The HR absence consumer: `hr.absences.v1` → driver availability.
//!
//! Each message is handled completely before the next: parsed and validated, then applied in one
//! database transaction with the entity-state checks of [`crate::db::absences::apply`], and only
//! after that transaction committed is its offset committed. A crash in between redelivers the
//! message, and the state check turns the redelivery into a no-op. A message that can never be
//! applied (not JSON, wrong type, invalid fields) goes to the dead-letter topic with the reason in
//! a header, and the consumer moves on; a database or broker failure is retried on the same
//! message instead, so nothing is skipped.
//!
//! With automatic re-optimization on (`ROSTER_AUTO_REOPTIMIZE`), the same transaction also queues a
//! re-optimization of every published roster the absence breaks
//! ([`crate::reoptimization::after_absence`]): the absence and its jobs commit together, and a
//! redelivered message, skipped by the state check, queues nothing.

use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{ClientConfig, Message};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use uuid::Uuid;

use super::envelope::{ABSENCE_RECORDED, AbsenceRecorded};
use super::{Envelope, EventsError, KafkaConfig};
use crate::db::absences::{self, ApplyOutcome};
use crate::reoptimization::{self, AutoOutcome, AutoReoptimize};

/// Header carrying why a message was dead-lettered.
pub const DLQ_REASON_HEADER: &str = "dlq.reason";

/// Tuning of the consumer; [`HrConsumerConfig::default`] suits production.
#[derive(Debug, Clone, PartialEq)]
pub struct HrConsumerConfig {
    /// Consumer group: every replica of `roster` shares it, so each message is applied by one.
    pub group_id: String,
    /// How long a dead-letter publication may take before it is retried.
    pub delivery_timeout: Duration,
    /// First pause before retrying a message whose handling failed; doubled each time.
    pub min_backoff: Duration,
    /// Longest pause between retries during an outage.
    pub max_backoff: Duration,
    /// How to re-optimize the published rosters an absence breaks; `None` (the default) only
    /// marks them, for a planner to act on.
    pub auto_reoptimize: Option<AutoReoptimize>,
}

impl Default for HrConsumerConfig {
    fn default() -> Self {
        HrConsumerConfig {
            group_id: "roster-hr-absences".into(),
            delivery_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            auto_reoptimize: None,
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// A valid absence went through the state checks with this outcome, and automatic
    /// re-optimization did this about each roster it broke (nothing when it is off).
    Absence(ApplyOutcome, Vec<AutoOutcome>),
    /// Invalid; published to the dead-letter topic with this reason.
    DeadLettered(String),
}

/// Consumes HR absences until shut down.
#[derive(Debug)]
pub struct HrConsumer {
    pool: PgPool,
    kafka: KafkaConfig,
    config: HrConsumerConfig,
}

impl HrConsumer {
    /// A consumer applying `kafka.topics.absences` to `pool`'s database.
    pub fn new(pool: PgPool, kafka: KafkaConfig, config: HrConsumerConfig) -> Self {
        HrConsumer { pool, kafka, config }
    }

    /// Consumes until `shutdown` is cancelled. Only a client that cannot be created or subscribed
    /// (bad configuration) is an error; outages are retried.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), EventsError> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("group.id", &self.config.group_id)
            .set("client.id", "roster-hr-consumer")
            // Offsets are committed by hand, after the database commit.
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .create()?;
        consumer.subscribe(&[&self.kafka.topics.absences])?;
        let timeout_ms = u64::try_from(self.config.delivery_timeout.as_millis()).unwrap_or(u64::MAX);
        let dlq: FutureProducer = self.kafka.producer_config(timeout_ms).create()?;
        info!(topic = %self.kafka.topics.absences, "HR absence consumer started");

        let mut backoff = self.config.min_backoff;
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => break,
                received = consumer.recv() => received,
            };
            let message = match received {
                Ok(message) => message,
                Err(e) => {
                    warn!(error = %e, retry_in = ?backoff, "HR absence consumer cannot receive");
                    pause_or_stop(&shutdown, &mut backoff, self.config.max_backoff).await;
                    continue;
                }
            };
            // The same message until it is handled: skipping it would lose an absence.
            let handled = loop {
                match self.handle(&message, &dlq).await {
                    Ok(handled) => break Some(handled),
                    Err(e) => {
                        warn!(error = %e, offset = message.offset(), retry_in = ?backoff, "HR absence not applied yet");
                        if !pause_or_stop(&shutdown, &mut backoff, self.config.max_backoff).await {
                            break None;
                        }
                    }
                }
            };
            let Some(handled) = handled else { break };
            backoff = self.config.min_backoff;
            info!(partition = message.partition(), offset = message.offset(), ?handled, "HR absence message handled");
            // Asynchronous: a synchronous commit would block a runtime thread for as long as the
            // broker is unreachable. A commit that fails or is lost at shutdown is harmless: the
            // next one covers it, or the message comes again and the state check skips it.
            if let Err(e) = consumer.commit_message(&message, CommitMode::Async) {
                warn!(error = %e, "HR absence consumer could not commit its offset");
            }
        }
        info!("HR absence consumer stopped");
        Ok(())
    }

    /// Applies a valid message in one transaction, or dead-letters an invalid one.
    async fn handle(&self, message: &BorrowedMessage<'_>, dlq: &FutureProducer) -> Result<Handled, EventsError> {
        match parse_absence(message.key(), message.payload()) {
            Ok((event_id, absence)) => {
                let mut tx = self.pool.begin().await?;
                let outcome = absences::apply(&mut tx, &absence, event_id).await?;
                let auto = match (&self.config.auto_reoptimize, outcome) {
                    (Some(auto), ApplyOutcome::Applied { disruptions }) if disruptions > 0 => {
                        reoptimization::after_absence(&mut tx, &absence, auto, &self.kafka.topics).await?
                    }
                    _ => Vec::new(),
                };
                tx.commit().await?;
                // Counted once committed: a rolled-back attempt is retried and counted then.
                for a in &auto {
                    metrics::counter!("roster_auto_reoptimizations_total", "outcome" => a.label()).increment(1);
                }
                Ok(Handled::Absence(outcome, auto))
            }
            Err(reason) => {
                self.dead_letter(message, dlq, &reason).await?;
                Ok(Handled::DeadLettered(reason))
            }
        }
    }

    /// Publishes the message unchanged to the dead-letter topic, with why and where it came from.
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        dlq: &FutureProducer,
        reason: &str,
    ) -> Result<(), EventsError> {
        warn!(reason, offset = message.offset(), "HR absence message dead-lettered");
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        let headers = OwnedHeaders::new()
            .insert(Header { key: DLQ_REASON_HEADER, value: Some(reason) })
            .insert(Header { key: "dlq.topic", value: Some(message.topic()) })
            .insert(Header { key: "dlq.partition", value: Some(partition.as_str()) })
            .insert(Header { key: "dlq.offset", value: Some(offset.as_str()) });
        let mut record: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&self.kafka.topics.absences_dlq).headers(headers);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        dlq.send(record, Timeout::After(self.config.delivery_timeout)).await.map_err(|(e, _)| e)?;
        Ok(())
    }
}

/// Sleeps for the backoff and doubles it; false if shutdown came first.
async fn pause_or_stop(shutdown: &CancellationToken, backoff: &mut Duration, max: Duration) -> bool {
    let pause = *backoff;
    *backoff = (*backoff * 2).min(max);
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = tokio::time::sleep(pause) => true,
    }
}

/// Validates an `hr.absences.v1` message: an envelope of type `hr.absence.recorded` version 1
/// whose data is a well-formed absence, keyed by its driver (the key is what keeps one driver's
/// messages in order). Returns the event id and the absence, or why it cannot be applied.
pub fn parse_absence(key: Option<&[u8]>, payload: Option<&[u8]>) -> Result<(Uuid, AbsenceRecorded), String> {
    let payload = payload.ok_or("message has no payload")?;
    let envelope: Envelope = serde_json::from_slice(payload).map_err(|e| format!("not an event envelope: {e}"))?;
    if envelope.event_type != ABSENCE_RECORDED {
        return Err(format!("unsupported event type {:?}", envelope.event_type));
    }
    if envelope.version != 1 {
        return Err(format!("unsupported version {} of {ABSENCE_RECORDED}", envelope.version));
    }
    let absence: AbsenceRecorded =
        serde_json::from_value(envelope.data).map_err(|e| format!("invalid {ABSENCE_RECORDED} data: {e}"))?;
    if absence.absence_id.trim().is_empty() || absence.driver_id.trim().is_empty() {
        return Err("absence_id and driver_id must not be empty".into());
    }
    if absence.from > absence.to {
        return Err(format!("absence ends ({}) before it starts ({})", absence.to, absence.from));
    }
    if absence.driver_version < 1 {
        return Err(format!("driver_version must be positive, not {}", absence.driver_version));
    }
    if key != Some(absence.driver_id.as_bytes()) {
        let key = key.map(String::from_utf8_lossy);
        return Err(format!("message key {key:?} is not the driver id {:?}", absence.driver_id));
    }
    Ok((envelope.event_id, absence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(data: serde_json::Value) -> Vec<u8> {
        serde_json::json!({
            "event_id": "5b0f3c8e-8c43-4d0a-9a57-0c4f1f6f2f10",
            "type": "hr.absence.recorded",
            "version": 1,
            "occurred_at": "2026-03-01T08:00:00Z",
            "actor": "hr-system",
            "trace_id": null,
            "data": data,
        })
        .to_string()
        .into_bytes()
    }

    fn absence() -> serde_json::Value {
        serde_json::json!({
            "absence_id": "A-1", "driver_id": "D7", "kind": "sickness",
            "from": "2026-03-02", "to": "2026-03-04", "driver_version": 3,
        })
    }

    #[test]
    fn a_well_formed_absence_keyed_by_its_driver_is_accepted() {
        let (_, parsed) = parse_absence(Some(b"D7"), Some(&message(absence()))).unwrap();
        assert_eq!(parsed.driver_version, 3);
        assert_eq!(parsed.to.to_string(), "2026-03-04");
    }

    #[test]
    fn malformed_messages_are_rejected_with_a_reason() {
        let mut backwards = absence();
        backwards["to"] = "2026-03-01".into();
        let mut unknown_kind = absence();
        unknown_kind["kind"] = "holiday".into();
        let d7: Option<&[u8]> = Some(b"D7");
        let d8: Option<&[u8]> = Some(b"D8");
        let none: Option<&[u8]> = None;
        let cases = [
            (d7, b"{not json".to_vec(), "not an event envelope"),
            (d7, message(backwards), "before it starts"),
            (d7, message(unknown_kind), "invalid hr.absence.recorded data"),
            (d8, message(absence()), "is not the driver id"),
            (none, message(absence()), "is not the driver id"),
        ];
        for (key, payload, reason) in cases {
            let error = parse_absence(key, Some(&payload)).unwrap_err();
            assert!(error.contains(reason), "{error:?} should mention {reason:?}");
        }
    }
}
