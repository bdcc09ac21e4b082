//! One claimed job from start to end: load, solve on a blocking thread, heartbeat, progress, store.

use std::time::Duration;

use model::{DriverIdx, Roster, RosterGrid, Scenario, ScenarioIndex};
use solver::{CancelToken, Progress, SolveHooks, SolveResult};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Worker;
use super::persist;
use crate::db;
use crate::db::jobs::{Claimed, Outcome};
use crate::domain::{JobOptions, JobStatus};

/// How a claimed job left this worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEnd {
    /// The job ended with this status.
    Finished(JobStatus),
    /// Shutdown: the job went back to the queue.
    HandedBack,
    /// The lease expired and another worker took the job; this worker's result was discarded.
    LeaseLost,
}

/// Everything the solver thread needs, owned.
struct Prepared {
    index: ScenarioIndex,
    options: solver::SolveOptions,
    initial: Option<RosterGrid>,
}

/// Why a job cannot even start: its stored input no longer makes sense (e.g. a baseline roster
/// that does not fit the scenario). The job fails with this reason; retrying would not help.
fn prepare(
    worker: &Worker,
    job: &Claimed,
    body: serde_json::Value,
    baseline: Option<Roster>,
) -> Result<Prepared, String> {
    let scenario: Scenario = serde_json::from_value(body).map_err(|e| format!("stored scenario unreadable: {e}"))?;
    let index = ScenarioIndex::new(scenario).map_err(|e| format!("stored scenario invalid: {e}"))?;
    let opts: JobOptions = serde_json::from_value(job.options.clone()).map_err(|e| format!("options: {e}"))?;
    let mut options = opts.solve_options().map_err(|i| i.to_string())?;
    options.threads = options.threads.min(worker.settings.solver_threads);
    let initial = match baseline {
        Some(r) => {
            let mut grid = r.to_grid(&index).map_err(|e| format!("baseline roster: {e}"))?.0;
            // A re-optimization adds absences: the baseline's shifts on those days cannot stay, and
            // without them the rest of it is still a good start.
            for d in (0..index.drivers()).map(DriverIdx) {
                for t in 0..index.days() {
                    if grid.get(d, t).is_some_and(|s| !index.can_work(d, t, s)) {
                        grid.set(d, t, None);
                    }
                }
            }
            Some(grid)
        }
        None => None,
    };
    Ok(Prepared { index, options, initial })
}

/// Runs `job` to its end on `worker`.
pub(super) async fn run(worker: &Worker, job: Claimed, shutdown: &CancellationToken) -> Result<JobEnd, sqlx::Error> {
    let pool = &worker.pool;
    tracing::info!("job claimed");
    let body = {
        let mut conn = pool.acquire().await?;
        db::scenarios::body(&mut conn, job.scenario_id).await?
    };
    let baseline = match job.baseline_roster_id {
        Some(id) => Some(persist::load_roster(pool, id).await?),
        None => None,
    };
    let prepared = match body {
        None => Err("scenario no longer exists".to_string()),
        Some(body) => prepare(worker, &job, body, baseline.flatten()),
    };
    let prepared = match prepared {
        Ok(p) => p,
        Err(reason) => {
            tracing::warn!(%reason, "job cannot start");
            return persist::fail(worker, &job, &reason).await;
        }
    };

    let cancel = CancelToken::new();
    let (tx, rx) = mpsc::unbounded_channel::<Progress>();
    let solver_cancel = cancel.clone();
    let span = tracing::Span::current();
    let solving = tokio::task::spawn_blocking(move || {
        let _enter = span.enter();
        let sink = move |p: &Progress| {
            let _ = tx.send(p.clone());
        };
        let hooks = SolveHooks { progress: &sink, cancel: &solver_cancel, initial: prepared.initial.as_ref() };
        let result = solver::solve(&prepared.index, &prepared.options, hooks);
        (prepared.index, result)
    });

    let watch = watch_job(worker, &job, &cancel, shutdown, rx, solving).await?;
    match watch {
        Watched::LeaseLost => {
            tracing::warn!("lease lost; result discarded");
            Ok(JobEnd::LeaseLost)
        }
        Watched::ShuttingDown => {
            let mut tx = pool.begin().await?;
            let back = db::jobs::hand_back(&mut tx, job.id, &worker.id).await?;
            if back {
                crate::events::emit::job_changed(&mut tx, &worker.settings.kafka.topics, job.id, None).await?;
            }
            tx.commit().await?;
            tracing::info!(handed_back = back, "job handed back at shutdown");
            Ok(if back { JobEnd::HandedBack } else { JobEnd::LeaseLost })
        }
        Watched::Done { solved, cancelled } => match &solved.1 {
            Ok(result) => persist::store(worker, &job, &solved.0, result, cancelled).await,
            Err(e) => persist::fail(worker, &job, &format!("solver error: {e}")).await,
        },
    }
}

enum Watched {
    /// The solver returned: the scenario it solved and its result (boxed: both are large).
    Done {
        solved: Box<(ScenarioIndex, Result<SolveResult, solver::SolverError>)>,
        cancelled: bool,
    },
    LeaseLost,
    ShuttingDown,
}

/// Waits for the solver while renewing the lease, relaying cancellation and storing progress.
async fn watch_job(
    worker: &Worker,
    job: &Claimed,
    cancel: &CancelToken,
    shutdown: &CancellationToken,
    mut rx: mpsc::UnboundedReceiver<Progress>,
    mut solving: tokio::task::JoinHandle<(ScenarioIndex, Result<SolveResult, solver::SolverError>)>,
) -> Result<Watched, sqlx::Error> {
    let pool = &worker.pool;
    let mut heartbeat = tokio::time::interval(worker.settings.lease / 3);
    // Progress is coalesced: at most a few rows per second, always the latest report.
    let mut flush = tokio::time::interval(Duration::from_millis(250));
    let mut seq = db::progress::last_seq(pool, job.id).await?;
    let mut pending: Option<Progress> = None;
    let (mut cancelled, mut lost, mut shutting_down) = (false, false, false);
    loop {
        tokio::select! {
            joined = &mut solving => {
                while let Ok(p) = rx.try_recv() {
                    pending = Some(p);
                }
                if let Some(p) = pending.take() {
                    seq += 1;
                    db::progress::insert(pool, job.id, seq, &p).await?;
                }
                let solved = joined.map_err(|e| sqlx::Error::Protocol(format!("solver thread: {e}")))?;
                return Ok(if lost {
                    Watched::LeaseLost
                } else if shutting_down {
                    Watched::ShuttingDown
                } else {
                    Watched::Done { solved: Box::new(solved), cancelled }
                });
            }
            Some(p) = rx.recv() => pending = Some(p),
            _ = flush.tick() => {
                if let Some(p) = pending.take() {
                    seq += 1;
                    db::progress::insert(pool, job.id, seq, &p).await?;
                    if let Some(gap) = p.gap {
                        metrics::gauge!("roster_solver_gap").set(gap);
                    }
                }
            }
            _ = heartbeat.tick() => match db::jobs::heartbeat(pool, job.id, &worker.id, worker.settings.lease).await {
                Ok(Some(true)) if !cancelled => {
                    tracing::info!("cancellation requested; stopping the solver");
                    cancelled = true;
                    cancel.cancel();
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    lost = true;
                    cancel.cancel();
                }
                // A missed heartbeat is not fatal: the lease has two more renewals of slack.
                Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
            },
            _ = shutdown.cancelled(), if !shutting_down => {
                shutting_down = true;
                cancel.cancel();
            }
        }
    }
}

/// The outcome stored for a finished solve.
pub(super) fn outcome(result: &SolveResult, cancelled: bool) -> (JobStatus, Option<String>) {
    use solver::SolveStatus as S;
    match (result.status, result.roster.is_some()) {
        (_, true) if cancelled => (JobStatus::Cancelled, None),
        (_, true) => (JobStatus::Succeeded, None),
        (S::Infeasible, _) => {
            let why = result.diagnosis.as_ref().map_or("infeasible".to_string(), |d| format!("infeasible: {d}"));
            (JobStatus::Failed, Some(why))
        }
        (_, false) if cancelled => (JobStatus::Cancelled, Some("cancelled before any roster was found".into())),
        (_, false) => {
            (JobStatus::Failed, Some(format!("no roster found within {:.0} s", result.elapsed.as_secs_f64())))
        }
    }
}

/// The job's row for an outcome.
pub(super) fn outcome_row<'a>(result: &'a SolveResult, status: JobStatus, error: Option<&'a str>) -> Outcome<'a> {
    Outcome {
        status,
        solve_status: Some(result.status.as_str()),
        objective_cents: result.objective().map(|m| m.cents()),
        bound: result.bound.filter(|b| b.is_finite()),
        gap: result.gap().filter(|g| g.is_finite()),
        error,
    }
}
