//! Job progress as it arrives from the solver: one row per report, numbered per job.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::JobId;

/// One progress report.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ProgressRow {
    /// Report number within the job (from 1, increasing).
    pub seq: i32,
    /// Solver time since the start of this attempt, in milliseconds.
    pub elapsed_ms: i64,
    /// Solver phase (`heuristic`, `column_generation`, `milp`, `lns`, `local_search`).
    pub phase: String,
    /// Objective of the best roster so far (cents).
    pub incumbent: Option<f64>,
    /// Best proven lower bound (cents).
    pub bound: Option<f64>,
    /// Relative gap between them.
    pub gap: Option<f64>,
    /// When it was stored.
    pub recorded_at: DateTime<Utc>,
}

/// Stores one report. The worker numbers them; a retried attempt continues the numbering.
pub async fn insert(pool: &PgPool, job: JobId, seq: i32, p: &solver::Progress) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO job_progress (job_id, seq, elapsed_ms, phase, incumbent, bound, gap)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id, seq) DO NOTHING",
    )
    .bind(job)
    .bind(seq)
    .bind(p.elapsed.as_millis() as i64)
    .bind(p.phase.as_str())
    .bind(p.incumbent.filter(|v| v.is_finite()))
    .bind(p.bound.filter(|v| v.is_finite()))
    .bind(p.gap.filter(|v| v.is_finite()))
    .execute(pool)
    .await?;
    Ok(())
}

/// The highest report number of a job (0 when none).
pub async fn last_seq(pool: &PgPool, job: JobId) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM job_progress WHERE job_id = $1")
        .bind(job)
        .fetch_one(pool)
        .await
}

/// Reports after `after_seq`, in order.
pub async fn after(pool: &PgPool, job: JobId, after_seq: i32) -> Result<Vec<ProgressRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, elapsed_ms, phase, incumbent, bound, gap, recorded_at FROM job_progress
         WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
    )
    .bind(job)
    .bind(after_seq)
    .fetch_all(pool)
    .await
}
