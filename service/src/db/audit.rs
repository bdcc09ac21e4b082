//! The roster audit trail.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::RosterId;

/// One audited action.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    /// Sequence number (global, increasing).
    pub id: i64,
    /// Version the action produced (for `reoptimize`, the version the re-optimization starts from).
    pub version: i32,
    /// Who (a user, or `hr-consumer` for a re-optimization queued after an HR absence).
    pub actor: String,
    /// `transition`, `edit`, `forced_edit` or `reoptimize`.
    pub action: String,
    /// Status before a transition.
    pub from_status: Option<String>,
    /// Status after a transition.
    pub to_status: Option<String>,
    /// Why (required for forced edits).
    pub reason: Option<String>,
    /// Changed cells, violations and cost delta of an edit; job, trigger, window and absences of a
    /// re-optimization.
    pub details: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// An action to record.
#[derive(Debug)]
pub struct NewAudit<'a> {
    /// Roster.
    pub roster_id: RosterId,
    /// Version produced.
    pub version: i32,
    /// Who.
    pub actor: &'a str,
    /// What kind.
    pub action: &'a str,
    /// From.
    pub from_status: Option<&'a str>,
    /// To.
    pub to_status: Option<&'a str>,
    /// Why.
    pub reason: Option<&'a str>,
    /// Details.
    pub details: serde_json::Value,
}

/// Records an action, in the transaction that performs it.
pub async fn insert(conn: &mut PgConnection, a: &NewAudit<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO roster_audit (roster_id, version, actor, action, from_status, to_status, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.roster_id)
    .bind(a.version)
    .bind(a.actor)
    .bind(a.action)
    .bind(a.from_status)
    .bind(a.to_status)
    .bind(a.reason)
    .bind(&a.details)
    .execute(conn)
    .await?;
    Ok(())
}

/// A roster's trail, oldest first.
pub async fn list(pool: &PgPool, roster: RosterId) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, version, actor, action, from_status, to_status, reason, details, at
         FROM roster_audit WHERE roster_id = $1 ORDER BY id",
    )
    .bind(roster)
    .fetch_all(pool)
    .await
}
