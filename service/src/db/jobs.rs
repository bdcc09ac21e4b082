//! The job queue.
//!
//! Claiming uses `FOR UPDATE SKIP LOCKED`, so any number of workers on any number of machines take
//! distinct jobs without blocking each other. A claim is a lease: the worker renews it with a
//! heartbeat; when a worker dies its lease expires and the job can be claimed again, at most
//! `max_attempts` times in all. Every write by a worker is guarded by `lease_owner = $worker`, so a
//! worker that lost its lease can never overwrite the work of the one that took the job over.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::types::PgInterval;
use sqlx::{PgConnection, PgPool};

use crate::domain::{JobId, JobStatus, JobTrigger, RosterId, ScenarioId};

/// A job as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    /// Id.
    pub id: JobId,
    /// Scenario solved.
    pub scenario_id: ScenarioId,
    /// Status name (see [`JobStatus`]).
    pub status: String,
    /// Options as submitted.
    pub options: serde_json::Value,
    /// Roster started from, for re-optimization.
    pub baseline_roster_id: Option<RosterId>,
    /// Idempotency key given at submission.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the submitted body.
    pub request_hash: String,
    /// A user asked to cancel.
    pub cancel_requested: bool,
    /// Claims so far.
    pub attempts: i32,
    /// Claims allowed.
    pub max_attempts: i32,
    /// Worker holding the lease.
    pub lease_owner: Option<String>,
    /// When the lease runs out.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Who submitted it.
    pub submitted_by: Option<String>,
    /// Why it was queued (see [`JobTrigger`]).
    pub trigger: String,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// First claim.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Solver status.
    pub solve_status: Option<String>,
    /// Objective of the roster, cents.
    pub objective_cents: Option<i64>,
    /// Best bound.
    pub bound: Option<f64>,
    /// Relative gap.
    pub gap: Option<f64>,
    /// Why it failed.
    pub error: Option<String>,
    /// The roster it produced.
    pub roster_id: Option<RosterId>,
}

impl JobRow {
    /// The typed status. The column's CHECK constraint guarantees a known name.
    pub fn status(&self) -> JobStatus {
        self.status.parse().unwrap_or(JobStatus::Failed)
    }

    /// The typed trigger. The column's CHECK constraint guarantees a known name; were it ever
    /// unknown, the job's roster would be treated as one nobody asked for (a draft).
    pub fn trigger(&self) -> JobTrigger {
        self.trigger.parse().unwrap_or(JobTrigger::HrAbsence)
    }
}

const COLUMNS: &str = "j.id, j.scenario_id, j.status, j.options, j.baseline_roster_id, j.idempotency_key, \
    j.request_hash, j.cancel_requested, j.attempts, j.max_attempts, j.lease_owner, j.lease_expires_at, \
    j.submitted_by, j.trigger, j.created_at, j.started_at, j.finished_at, j.solve_status, j.objective_cents, \
    j.bound, j.gap, j.error, (SELECT r.id FROM rosters r WHERE r.job_id = j.id) AS roster_id";

fn interval(d: Duration) -> PgInterval {
    PgInterval { months: 0, days: 0, microseconds: d.as_micros() as i64 }
}

/// A job to submit.
#[derive(Debug)]
pub struct NewJob<'a> {
    /// Id.
    pub id: JobId,
    /// Scenario to solve.
    pub scenario_id: ScenarioId,
    /// Validated options.
    pub options: &'a serde_json::Value,
    /// Roster to start from.
    pub baseline_roster_id: Option<RosterId>,
    /// Idempotency key.
    pub idempotency_key: Option<&'a str>,
    /// SHA-256 of the body.
    pub request_hash: &'a str,
    /// Claims allowed.
    pub max_attempts: i32,
    /// Submitter.
    pub submitted_by: Option<&'a str>,
    /// Why it is queued.
    pub trigger: JobTrigger,
}

/// Inserts a job; `None` when a job with the same idempotency key already exists (the caller then
/// compares request hashes). The unique constraint makes this safe under concurrent retries.
pub async fn insert(conn: &mut PgConnection, j: &NewJob<'_>) -> Result<Option<JobId>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO jobs (id, scenario_id, options, baseline_roster_id, idempotency_key, request_hash,
                           max_attempts, submitted_by, trigger)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(j.id)
    .bind(j.scenario_id)
    .bind(j.options)
    .bind(j.baseline_roster_id)
    .bind(j.idempotency_key)
    .bind(j.request_hash)
    .bind(j.max_attempts)
    .bind(j.submitted_by)
    .bind(j.trigger.as_str())
    .fetch_optional(conn)
    .await
}

/// The queued or running job that re-optimizes `roster` (has it as baseline), if any: the HR
/// consumer queues no second one while one is pending. Call it with the roster's row locked
/// ([`crate::db::rosters::hold`]) so that two consumers cannot both see none.
pub async fn active_from_baseline(conn: &mut PgConnection, roster: RosterId) -> Result<Option<JobId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM jobs WHERE baseline_roster_id = $1 AND status IN ('queued', 'running')
         ORDER BY created_at LIMIT 1",
    )
    .bind(roster)
    .fetch_optional(conn)
    .await
}

/// The job submitted with `key`.
pub async fn by_idempotency_key(conn: &mut PgConnection, key: &str) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs j WHERE j.idempotency_key = $1"))
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// One job.
pub async fn get(pool: &PgPool, id: JobId) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs j WHERE j.id = $1")).bind(id).fetch_optional(pool).await
}

/// One job, read inside a transaction (sees its uncommitted writes).
pub async fn get_in(conn: &mut PgConnection, id: JobId) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs j WHERE j.id = $1")).bind(id).fetch_optional(conn).await
}

/// Filters of the job listing; pagination is by keyset on (created_at, id), newest first.
#[derive(Debug, Default)]
pub struct JobFilter {
    /// Only this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this scenario.
    pub scenario_id: Option<ScenarioId>,
    /// Only jobs strictly after this (created_at, id) in listing order.
    pub after: Option<(DateTime<Utc>, JobId)>,
    /// Page size.
    pub limit: i64,
}

/// A page of jobs.
pub async fn list(pool: &PgPool, f: &JobFilter) -> Result<Vec<JobRow>, sqlx::Error> {
    let (after_at, after_id) = f.after.map_or((None, None), |(t, id)| (Some(t), Some(id)));
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM jobs j
         WHERE ($1::text IS NULL OR j.status = $1)
           AND ($2::uuid IS NULL OR j.scenario_id = $2)
           AND ($3::timestamptz IS NULL OR (j.created_at, j.id) < ($3, $4))
         ORDER BY j.created_at DESC, j.id DESC
         LIMIT $5"
    ))
    .bind(f.status.map(JobStatus::as_str))
    .bind(f.scenario_id)
    .bind(after_at)
    .bind(after_id)
    .bind(f.limit)
    .fetch_all(pool)
    .await
}

/// Asks for cancellation. A queued job is cancelled at once; a running one is flagged and its
/// worker stops the solver at its next heartbeat. Returns the job's status afterwards, `None` when
/// there is no such job.
pub async fn request_cancel(conn: &mut PgConnection, id: JobId) -> Result<Option<JobStatus>, sqlx::Error> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET
            cancel_requested = cancel_requested OR status IN ('queued', 'running'),
            status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
         WHERE id = $1
         RETURNING status",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(status.and_then(|s| s.parse().ok()))
}

/// A job claimed by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Id.
    pub id: JobId,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Options as stored.
    pub options: serde_json::Value,
    /// Baseline roster.
    pub baseline_roster_id: Option<RosterId>,
    /// This claim's number (1 for the first).
    pub attempts: i32,
    /// Submitter, carried into the events the job causes.
    pub submitted_by: Option<String>,
    /// Why it was queued; decides the status of the roster it produces.
    pub trigger: String,
}

impl Claimed {
    /// The typed trigger; see [`JobRow::trigger`] for why an unknown name means a draft.
    pub fn trigger(&self) -> JobTrigger {
        self.trigger.parse().unwrap_or(JobTrigger::HrAbsence)
    }
}

/// Claims the oldest claimable job for `worker`: a queued one, or a running one whose lease expired
/// with attempts left. Concurrent claimers skip each other's locked rows.
pub async fn claim(conn: &mut PgConnection, worker: &str, lease: Duration) -> Result<Option<Claimed>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE jobs SET status = 'running', lease_owner = $1, lease_expires_at = now() + $2,
                         attempts = attempts + 1, started_at = coalesce(started_at, now())
         WHERE id = (
             SELECT id FROM jobs
             WHERE (status = 'queued' AND attempts < max_attempts)
                OR (status = 'running' AND lease_expires_at < now() AND attempts < max_attempts)
             ORDER BY created_at
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, scenario_id, options, baseline_roster_id, attempts, submitted_by, trigger",
    )
    .bind(worker)
    .bind(interval(lease))
    .fetch_optional(conn)
    .await
}

/// Fails running jobs whose lease expired with no attempts left: their workers died every time.
pub async fn fail_abandoned(conn: &mut PgConnection) -> Result<Vec<JobId>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(),
                         error = format('worker lost %s times (lease expired); giving up', attempts)
         WHERE id IN (SELECT id FROM jobs
                      WHERE status = 'running' AND lease_expires_at < now() AND attempts >= max_attempts
                      FOR UPDATE SKIP LOCKED)
         RETURNING id",
    )
    .fetch_all(conn)
    .await
}

/// Renews `worker`'s lease. `None` when the lease was lost (expired and claimed by another worker);
/// otherwise whether a cancellation was requested.
pub async fn heartbeat(pool: &PgPool, id: JobId, worker: &str, lease: Duration) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE jobs SET lease_expires_at = now() + $3
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'
         RETURNING cancel_requested",
    )
    .bind(id)
    .bind(worker)
    .bind(interval(lease))
    .fetch_optional(pool)
    .await
}

/// Gives a job back to the queue (graceful shutdown): the claim does not count as an attempt.
pub async fn hand_back(conn: &mut PgConnection, id: JobId, worker: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL,
                         attempts = greatest(attempts - 1, 0)
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How a job ended, as written by its worker.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    /// Final status.
    pub status: JobStatus,
    /// Solver status name.
    pub solve_status: Option<&'a str>,
    /// Objective of the stored roster.
    pub objective_cents: Option<i64>,
    /// Best bound.
    pub bound: Option<f64>,
    /// Gap.
    pub gap: Option<f64>,
    /// Failure reason or diagnosis.
    pub error: Option<&'a str>,
}

/// Ends a job, inside the transaction that stores its roster. `false` when `worker` no longer holds
/// the lease: the caller must roll back, so a job is never finished twice.
pub async fn finish(conn: &mut PgConnection, id: JobId, worker: &str, o: &Outcome<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET status = $3, solve_status = $4, objective_cents = $5, bound = $6, gap = $7, error = $8,
                         finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(worker)
    .bind(o.status.as_str())
    .bind(o.solve_status)
    .bind(o.objective_cents)
    .bind(o.bound)
    .bind(o.gap)
    .bind(o.error)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Jobs per status, for the queue-depth gauge.
pub async fn counts_by_status(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, count(*) FROM jobs GROUP BY status").fetch_all(pool).await
}
