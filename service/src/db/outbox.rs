//! The transactional outbox (migration 0010): writers enqueue events in their own transaction, the
//! relay reads what is unsent in id order and stamps it once the broker acknowledged it.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::events::Envelope;

/// Writes `event` to the outbox for `topic` with message key `key`.
///
/// Call it with the connection of the transaction that makes the change the event describes, so
/// the event exists if and only if the change committed. Update the entity's own row before
/// enqueueing: its row lock then orders concurrent writers, and the relay's id order is the
/// per-key order.
pub async fn enqueue(conn: &mut PgConnection, topic: &str, key: &str, event: &Envelope) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO outbox (event_id, topic, key, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(event.event_id)
        .bind(topic)
        .bind(key)
        .bind(Json(event))
        .bind(event.occurred_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// An event waiting to be published.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    /// Position in the outbox; publication order.
    pub id: i64,
    /// The envelope's event id.
    pub event_id: Uuid,
    /// Where it goes.
    pub topic: String,
    /// The message key (entity id).
    pub key: String,
    /// The envelope, as JSON.
    pub payload: serde_json::Value,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
}

/// The oldest `limit` unsent events, in id order.
pub async fn unsent(conn: &mut PgConnection, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, event_id, topic, key, payload, created_at FROM outbox
         WHERE sent_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Stamps the rows the broker acknowledged.
pub async fn mark_sent(conn: &mut PgConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET sent_at = now() WHERE id = ANY($1) AND sent_at IS NULL")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts a failed delivery attempt and keeps the broker's error, for operators.
pub async fn record_failure(conn: &mut PgConnection, id: i64, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1")
        .bind(id)
        .bind(error)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the relay's session-level advisory lock if it is free, so exactly one relay publishes
/// at a time (two would interleave one key's events) and the others stand by. The lock lives as
/// long as `conn`'s session.
pub async fn try_lock_relay(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(RELAY_LOCK).fetch_one(conn).await
}

/// Advisory lock key of the relay: "outbox" in ASCII, to stay clear of other advisory locks.
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;
