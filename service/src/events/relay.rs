//! The outbox relay: publishes unsent outbox rows to Kafka and marks them sent after the ack.
//!
//! Guarantees, and how:
//! * **None lost**: a row is stamped `sent_at` only after the broker acknowledged it with
//!   `acks=all`; anything else leaves it unsent and it is retried, with backoff, until it goes.
//! * **Order per key**: rows are read in id order; one key's rows are sent one at a time and its
//!   chain stops at the first failure, so a later event of that key never overtakes an earlier one.
//!   Different keys go concurrently. One relay publishes at a time (a PostgreSQL advisory lock);
//!   others stand by and take over when its session ends.
//! * **At-least-once**: a crash between the ack and the stamp resends the row; consumers
//!   deduplicate on `event_id`.

use std::collections::HashMap;
use std::time::Duration;

use futures::future::join_all;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{EventsError, KafkaConfig};
use crate::db::outbox::{self, OutboxRow};

/// Tuning of the relay; [`RelayConfig::default`] suits production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    /// Rows read per round. Bounds memory and how long the advisory-lock connection is busy.
    pub batch_size: i64,
    /// Pause when the outbox is empty: the latency added to an event in a quiet system.
    pub poll_interval: Duration,
    /// How long librdkafka retries one message before reporting failure (`message.timeout.ms`).
    pub delivery_timeout: Duration,
    /// First pause after a failed round; doubled on each further failure.
    pub min_backoff: Duration,
    /// Longest pause between rounds during an outage.
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            batch_size: 200,
            poll_interval: Duration::from_millis(200),
            delivery_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// Publishes the outbox; run one (or more, standing by) per deployment.
#[derive(Debug)]
pub struct Relay {
    pool: PgPool,
    kafka: KafkaConfig,
    config: RelayConfig,
}

/// What one round achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Round {
    fetched: usize,
    sent: usize,
    failed: usize,
}

impl Relay {
    /// A relay reading `pool`'s outbox and producing to `kafka`'s brokers.
    pub fn new(pool: PgPool, kafka: KafkaConfig, config: RelayConfig) -> Self {
        Relay { pool, kafka, config }
    }

    /// Publishes until `shutdown` is cancelled. A round in flight is finished first (bounded by
    /// the delivery timeout) so that nothing delivered is left unstamped. Database and broker
    /// outages are ridden out with backoff; only an invalid producer configuration is an error.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), EventsError> {
        let mut producer = self.producer()?;
        let mut backoff = self.config.min_backoff;
        let mut conn: Option<PgConnection> = None;
        while !shutdown.is_cancelled() {
            let Some(locked) = conn.as_mut() else {
                match self.lock().await {
                    Ok(Some(c)) => {
                        info!("outbox relay active");
                        conn = Some(c);
                    }
                    // Another relay is active; check again later in case it went away.
                    Ok(None) => pause(&shutdown, self.config.poll_interval.max(Duration::from_secs(1))).await,
                    Err(e) => {
                        warn!(error = %e, "outbox relay cannot reach the database");
                        pause(&shutdown, backoff).await;
                        backoff = (backoff * 2).min(self.config.max_backoff);
                    }
                }
                continue;
            };
            match self.round(locked, &producer).await {
                Ok(round) if round.failed == 0 => {
                    backoff = self.config.min_backoff;
                    if round.fetched < self.config.batch_size as usize {
                        pause(&shutdown, self.config.poll_interval).await;
                    }
                }
                Ok(round) => {
                    warn!(sent = round.sent, failed = round.failed, retry_in = ?backoff, "outbox relay: broker refused events");
                    if let Some((code, reason)) = producer.client().fatal_error() {
                        // A fatal error (e.g. the idempotent producer's sequence broke) leaves the
                        // producer unusable; a fresh one gets a new producer id and carries on.
                        warn!(?code, reason, "outbox relay: producer failed fatally, recreating it");
                        producer = self.producer()?;
                    }
                    pause(&shutdown, backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
                Err(e) => {
                    // The session (and with it the lock) may be gone: start over with a new one.
                    warn!(error = %e, retry_in = ?backoff, "outbox relay: database error");
                    conn = None;
                    pause(&shutdown, backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
        info!("outbox relay stopped");
        Ok(())
    }

    fn producer(&self) -> Result<FutureProducer, EventsError> {
        let timeout_ms = u64::try_from(self.config.delivery_timeout.as_millis()).unwrap_or(u64::MAX);
        Ok(self.kafka.producer_config(timeout_ms).create()?)
    }

    /// A connection of its own holding the relay lock, or `None` if another relay holds it. The
    /// connection is detached from the pool: returned to it, it would keep the lock forever.
    async fn lock(&self) -> Result<Option<PgConnection>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?.detach();
        if outbox::try_lock_relay(&mut conn).await? { Ok(Some(conn)) } else { Ok(None) }
    }

    /// Sends one batch: each key's rows in order and one at a time, keys concurrently; stamps
    /// what was acknowledged and records the first failure of each key.
    async fn round(&self, conn: &mut PgConnection, producer: &FutureProducer) -> Result<Round, sqlx::Error> {
        let rows = outbox::unsent(conn, self.config.batch_size).await?;
        let mut chains: Vec<Vec<&OutboxRow>> = Vec::new();
        let mut chain_of_key: HashMap<&str, usize> = HashMap::new();
        for row in &rows {
            let index = *chain_of_key.entry(row.key.as_str()).or_insert_with(|| {
                chains.push(Vec::new());
                chains.len() - 1
            });
            chains[index].push(row);
        }
        let results = join_all(chains.iter().map(|chain| self.send_chain(producer, chain))).await;

        let mut sent = Vec::with_capacity(rows.len());
        let mut failed = 0;
        for (delivered, failure) in results {
            sent.extend(delivered);
            if let Some((id, error)) = failure {
                failed += 1;
                outbox::record_failure(conn, id, &error).await?;
            }
        }
        outbox::mark_sent(conn, &sent).await?;
        if !sent.is_empty() {
            debug!(sent = sent.len(), "outbox relay published events");
        }
        Ok(Round { fetched: rows.len(), sent: sent.len(), failed })
    }

    /// Sends one key's rows in order, stopping at the first failure; returns the ids delivered and
    /// the failed row with the broker's error.
    async fn send_chain(&self, producer: &FutureProducer, chain: &[&OutboxRow]) -> (Vec<i64>, Option<(i64, String)>) {
        let mut delivered = Vec::with_capacity(chain.len());
        for row in chain {
            let payload = row.payload.to_string();
            let event_id = row.event_id.to_string();
            let event_type = row.payload.get("type").and_then(|t| t.as_str()).unwrap_or_default();
            // Headers let consumers route or drop events without parsing the payload.
            let headers = OwnedHeaders::new()
                .insert(Header { key: "event_id", value: Some(event_id.as_str()) })
                .insert(Header { key: "type", value: Some(event_type) });
            let record = FutureRecord::to(&row.topic)
                .key(&row.key)
                .payload(&payload)
                .headers(headers)
                .timestamp(row.created_at.timestamp_millis());
            match producer.send(record, Timeout::After(self.config.delivery_timeout)).await {
                Ok(_) => delivered.push(row.id),
                Err((error, _)) => return (delivered, Some((row.id, error.to_string()))),
            }
        }
        (delivered, None)
    }
}

/// Sleeps for `duration` unless shutdown comes first.
async fn pause(shutdown: &CancellationToken, duration: Duration) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = tokio::time::sleep(duration) => {}
    }
}
