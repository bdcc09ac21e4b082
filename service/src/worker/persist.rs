//! Storing a job's end: the roster, its summaries and forecast, and the job's final row, in one
//! transaction guarded by the lease.

use chrono::{Days, NaiveDate};
use model::overtime::cost_forecast;
use model::{Assignment, DriverId, Roster, ScenarioIndex, ShiftTypeId};
use solver::SolveResult;
use sqlx::PgPool;

use super::Worker;
use super::solve_job::{JobEnd, outcome, outcome_row};
use crate::db;
use crate::db::jobs::{Claimed, Outcome};
use crate::db::rosters::AssignmentRow;
use crate::domain::{JobStatus, RosterId};
use crate::events::emit;

/// Stores the result of a finished solve.
pub(super) async fn store(
    worker: &Worker,
    job: &Claimed,
    index: &ScenarioIndex,
    result: &SolveResult,
    cancelled: bool,
) -> Result<JobEnd, sqlx::Error> {
    let (status, error) = outcome(result, cancelled);
    let mut tx = worker.pool.begin().await?;
    if let (Some(grid), Some(eval)) = (&result.roster, &result.evaluation) {
        let roster = Roster::from_grid(index, grid);
        let forecast = cost_forecast(index, grid);
        // A roster the system queued on its own starts as a draft for a dispatcher to review.
        let lifecycle = job.trigger().roster_status();
        db::rosters::insert(
            &mut tx,
            RosterId::new(),
            job.scenario_id,
            Some(job.id),
            lifecycle,
            &roster,
            eval,
            &forecast,
        )
        .await?;
    }
    let row = outcome_row(result, status, error.as_deref());
    if !db::jobs::finish(&mut tx, job.id, &worker.id, &row).await? {
        tx.rollback().await?;
        tracing::warn!("lease lost before the result was stored; discarded");
        return Ok(JobEnd::LeaseLost);
    }
    emit::job_changed(&mut tx, &worker.settings.kafka.topics, job.id, None).await?;
    tx.commit().await?;
    tracing::info!(
        status = status.as_str(),
        solve_status = result.status.as_str(),
        objective = ?row.objective_cents,
        gap = ?row.gap,
        elapsed_s = result.elapsed.as_secs_f64(),
        "job finished"
    );
    Ok(JobEnd::Finished(status))
}

/// Fails a job that cannot be solved.
pub(super) async fn fail(worker: &Worker, job: &Claimed, reason: &str) -> Result<JobEnd, sqlx::Error> {
    let row = Outcome {
        status: JobStatus::Failed,
        solve_status: None,
        objective_cents: None,
        bound: None,
        gap: None,
        error: Some(reason),
    };
    let mut tx = worker.pool.begin().await?;
    if !db::jobs::finish(&mut tx, job.id, &worker.id, &row).await? {
        tx.rollback().await?;
        return Ok(JobEnd::LeaseLost);
    }
    emit::job_changed(&mut tx, &worker.settings.kafka.topics, job.id, None).await?;
    tx.commit().await?;
    Ok(JobEnd::Finished(JobStatus::Failed))
}

/// A stored roster in the exchange form, `None` when it does not exist.
pub(super) async fn load_roster(pool: &PgPool, id: RosterId) -> Result<Option<Roster>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let start: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT s.start_date FROM rosters r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(start_date) = start else { return Ok(None) };
    let rows = db::rosters::assignments(&mut conn, id).await?;
    Ok(Some(rows_to_roster(start_date, rows)))
}

/// The exchange form of stored assignment rows.
fn rows_to_roster(start_date: NaiveDate, rows: Vec<AssignmentRow>) -> Roster {
    let assignments = rows
        .into_iter()
        .map(|a| Assignment {
            driver: DriverId(a.driver_id),
            day: a.day as usize,
            date: start_date.checked_add_days(Days::new(a.day as u64)).unwrap_or(start_date),
            shift: ShiftTypeId(a.shift_id),
        })
        .collect();
    Roster { start_date, assignments }
}

/// The exchange form of a roster's stored rows, for its scenario.
pub fn roster_from_rows(ix: &ScenarioIndex, rows: Vec<AssignmentRow>) -> Roster {
    rows_to_roster(ix.scenario.horizon.start_date, rows)
}
