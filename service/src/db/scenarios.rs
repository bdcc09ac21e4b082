//! Stored scenarios.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::ScenarioId;

/// A scenario as stored, without its body.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScenarioRow {
    /// Id.
    pub id: ScenarioId,
    /// Name from the document.
    pub name: String,
    /// Drivers in it.
    pub drivers: i32,
    /// Days of the horizon.
    pub days: i32,
    /// Date of day 0.
    pub start_date: NaiveDate,
    /// SHA-256 of the stored body (hex): the scenario's ETag.
    pub content_hash: Option<String>,
    /// Who uploaded it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A new scenario.
#[derive(Debug)]
pub struct NewScenario<'a> {
    /// Id to store it under.
    pub id: ScenarioId,
    /// Name.
    pub name: &'a str,
    /// The validated native JSON.
    pub body: &'a serde_json::Value,
    /// Drivers.
    pub drivers: i32,
    /// Days.
    pub days: i32,
    /// Date of day 0.
    pub start_date: NaiveDate,
    /// Uploader.
    pub created_by: Option<&'a str>,
}

const COLUMNS: &str = "id, name, drivers, days, start_date, content_hash, created_by, created_at";

/// Stores a scenario. The content hash is computed by PostgreSQL from the stored JSON so that the
/// backfill migration (0003) and this insert agree by construction.
pub async fn insert(conn: &mut PgConnection, s: &NewScenario<'_>) -> Result<ScenarioRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO scenarios (id, name, body, drivers, days, start_date, created_by, content_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, encode(sha256(convert_to($3::jsonb::text, 'UTF8')), 'hex'))
         RETURNING {COLUMNS}"
    ))
    .bind(s.id.0)
    .bind(s.name)
    .bind(s.body)
    .bind(s.drivers)
    .bind(s.days)
    .bind(s.start_date)
    .bind(s.created_by)
    .fetch_one(conn)
    .await
}

/// One scenario's metadata.
pub async fn get(pool: &PgPool, id: ScenarioId) -> Result<Option<ScenarioRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM scenarios WHERE id = $1")).bind(id.0).fetch_optional(pool).await
}

/// One scenario's body (the native JSON).
pub async fn body(conn: &mut PgConnection, id: ScenarioId) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar("SELECT body FROM scenarios WHERE id = $1").bind(id.0).fetch_optional(conn).await
}

/// Scenarios newest first, `limit` of them, strictly older than `before` when given.
pub async fn list(pool: &PgPool, limit: i64, before: Option<DateTime<Utc>>) -> Result<Vec<ScenarioRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM scenarios WHERE ($1::timestamptz IS NULL OR created_at < $1)
         ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}
