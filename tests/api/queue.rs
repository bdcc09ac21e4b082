//! The PostgreSQL job queue under concurrency and failure: racing claims, dead workers, shutdown.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use service::db;
use service::domain::JobId;
use service::worker::Worker;
use tokio_util::sync::CancellationToken;

use crate::helpers::{metro_small, small_scenario, spawn_app, spawn_app_with, test_settings};

/// A `roster worker` process on the test's database.
fn worker_process(database_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("worker")
        .env("DATABASE_URL", database_url)
        .env("ROSTER_LEASE_SECS", "3")
        .env("ROSTER_LOG_FORMAT", "pretty")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("roster binary")
}

#[tokio::test]
async fn concurrent_claims_never_hand_one_job_to_two_workers() {
    let app = spawn_app(0).await;
    let scenario = app.upload(&small_scenario(6, 7, 6)).await;
    for _ in 0..4 {
        app.submit(&scenario, 5.0).await;
    }
    let claims = (0..12).map(|i| {
        let pool = app.pool.clone();
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.expect("connection");
            db::jobs::claim(&mut conn, &format!("racer-{i}"), Duration::from_secs(60)).await
        })
    });
    let mut claimed: Vec<JobId> = Vec::new();
    for c in claims {
        if let Some(job) = c.await.expect("task").expect("claim") {
            claimed.push(job.id);
        }
    }
    claimed.sort();
    let before = claimed.len();
    claimed.dedup();
    assert_eq!(before, 4, "every queued job is claimed once");
    assert_eq!(claimed.len(), 4, "no job is claimed twice");
    app.stop().await;
}

#[tokio::test]
async fn two_workers_draining_the_queue_solve_every_job_exactly_once() {
    let app = spawn_app(2).await;
    let scenario = app.upload(&small_scenario(6, 7, 7)).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(app.submit(&scenario, 5.0).await);
    }
    for id in &ids {
        let job = app.wait_until_ended(id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "solved by one claim: {job}");
    }
    assert_eq!(app.count("rosters").await, 6, "one roster per job");
    app.stop().await;
}

#[tokio::test]
async fn a_job_whose_worker_was_killed_is_finished_by_another_worker_after_its_lease_expires() {
    let app = spawn_app(0).await;
    let scenario = app.upload(&metro_small()).await;
    let job = app.submit(&scenario, 8.0).await;

    let mut doomed = worker_process(&app.database_url);
    let running = app.wait_for_job(&job, Duration::from_secs(60), |j| j["status"] == "running").await;
    assert_eq!(running["attempts"], 1);
    doomed.kill().expect("SIGKILL the worker");
    let _ = doomed.wait();

    let survivor = Worker::new(app.pool.clone(), Arc::new(test_settings(&app.database_url)));
    let stop = CancellationToken::new();
    let handle = tokio::spawn(survivor.run(stop.clone()));
    let done = app.wait_until_ended(&job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "claimed again after the lease expired");
    assert_eq!(app.count("rosters").await, 1);
    stop.cancel();
    handle.await.expect("worker task");
    app.stop().await;
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_fails_with_the_reason_after_its_last_attempt() {
    let app = spawn_app_with(0, |s| s.max_attempts = 2).await;
    let scenario = app.upload(&small_scenario(6, 7, 8)).await;
    let job: JobId = app.submit(&scenario, 5.0).await.parse().expect("id");
    // Two workers claim it and vanish without renewing their leases.
    for ghost in ["ghost-1", "ghost-2"] {
        let mut conn = app.pool.acquire().await.expect("connection");
        let claimed = db::jobs::claim(&mut conn, ghost, Duration::from_millis(1)).await.expect("claim");
        assert_eq!(claimed.map(|c| c.id), Some(job));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let worker = Worker::new(app.pool.clone(), Arc::new(test_settings(&app.database_url)));
    let found_work = worker.step(&CancellationToken::new()).await.expect("step");
    assert!(!found_work, "the job is not claimable a third time");
    let failed: Value = app.job(&job.to_string()).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().expect("reason").contains("worker lost 2 times"), "{failed}");
    app.stop().await;
}

#[tokio::test]
async fn shutting_down_hands_a_running_job_back_to_the_queue() {
    let mut app = spawn_app(1).await;
    let scenario = app.upload(&metro_small()).await;
    let job = app.submit(&scenario, 600.0).await;
    app.wait_for_job(&job, Duration::from_secs(60), |j| j["status"] == "running").await;
    app.shutdown_server().await;
    let row = db::jobs::get(&app.pool, job.parse().expect("id")).await.expect("query").expect("job");
    assert_eq!(row.status, "queued");
    assert_eq!(row.attempts, 0, "a handed-back claim is not an attempt");
    assert!(row.lease_owner.is_none());
    app.stop().await;
}
