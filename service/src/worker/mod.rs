//! Solver workers: claim a job, solve it on a blocking thread, keep the lease alive, store progress
//! as it arrives, and store the result, all coordinated through PostgreSQL only.
//!
//! One job at a time per worker; run more workers (`roster serve --workers N`, or more `roster
//! worker` processes on any machine) to solve more at once. A worker that is shut down hands its
//! job back to the queue; a worker that dies loses its lease and another one takes the job over.

mod persist;
mod solve_job;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::Settings;
use crate::db;
use crate::domain::JobStatus;
use crate::events::emit;

pub use persist::roster_from_rows;
pub use solve_job::JobEnd;

/// A solver worker.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The database the queue lives in.
    pool: PgPool,
    /// Lease length, poll interval, thread cap.
    settings: Arc<Settings>,
    /// This worker's name in `jobs.lease_owner`: host, process and a random part, unique per run.
    id: String,
}

impl Worker {
    /// A worker named uniquely for this process.
    pub fn new(pool: PgPool, settings: Arc<Settings>) -> Worker {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        let id = format!("{host}:{}:{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Worker { pool, settings, id }
    }

    /// This worker's lease-owner name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims and solves jobs until `shutdown` fires. A job running at shutdown is handed back.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.id, "worker started");
        while !shutdown.is_cancelled() {
            match self.step(&shutdown).await {
                Ok(true) => {}
                Ok(false) => {
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    }
                }
                Err(e) => {
                    // The database is down or the connection dropped: back off and retry; the
                    // lease of a job we were solving will expire and the job be retried.
                    tracing::warn!(worker = %self.id, error = %e, "worker step failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Claims one job and runs it to its end. `Ok(false)` when the queue is empty.
    pub async fn step(&self, shutdown: &CancellationToken) -> Result<bool, sqlx::Error> {
        let topics = &self.settings.kafka.topics;
        let mut tx = self.pool.begin().await?;
        for id in db::jobs::fail_abandoned(&mut tx).await? {
            tracing::warn!(job_id = %id, "job failed: its workers kept dying");
            metrics::counter!("roster_jobs_finished_total", "status" => JobStatus::Failed.as_str()).increment(1);
            emit::job_changed(&mut tx, topics, id, Some("worker")).await?;
        }
        let claimed = db::jobs::claim(&mut tx, &self.id, self.settings.lease).await?;
        if let Some(job) = &claimed {
            emit::job_changed(&mut tx, topics, job.id, None).await?;
        }
        tx.commit().await?;
        let Some(job) = claimed else {
            return Ok(false);
        };
        // `actor` carries the submitter's principal from the request into the job's logs.
        let actor = job.submitted_by.as_deref().unwrap_or("");
        let span = tracing::info_span!("job", job_id = %job.id, attempt = job.attempts, worker = %self.id, actor);
        let started = Instant::now();
        let end = solve_job::run(self, job, shutdown).instrument(span).await?;
        if let JobEnd::Finished(status) = end {
            metrics::counter!("roster_jobs_finished_total", "status" => status.as_str()).increment(1);
            metrics::histogram!("roster_job_duration_seconds", "status" => status.as_str())
                .record(started.elapsed().as_secs_f64());
        }
        Ok(true)
    }
}
