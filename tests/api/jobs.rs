//! Submitting, solving, reading, cancelling and following jobs.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{metro_small, small_scenario, spawn_app};

#[tokio::test]
async fn a_submitted_job_is_solved_by_a_worker_and_its_roster_is_stored_and_served() {
    let app = spawn_app(1).await;
    let scenario = app.upload(&small_scenario(8, 14, 1)).await;
    let job = app.submit(&scenario, 20.0).await;

    let done = app.wait_until_ended(&job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1);
    let roster_id = done["roster_id"].as_str().expect("a roster").to_string();

    let res = app.get(&format!("/v1/rosters/{roster_id}")).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().expect("etag").to_string();
    let roster: Value = res.json().await.expect("json");
    assert_eq!(roster["status"], "proposed");
    assert_eq!(roster["objective_cents"], done["objective_cents"]);
    let assignments = roster["assignments"].as_array().expect("assignments");
    assert!(!assignments.is_empty());
    assert_eq!(assignments.len() as i64, app.count("assignments").await);
    assert_eq!(roster["drivers"].as_array().expect("drivers").len(), 8);

    let again = app.client.get(app.url(&format!("/v1/rosters/{roster_id}"))).header("if-none-match", &etag);
    assert_eq!(again.send().await.expect("request").status(), 304);

    let csv = app.get(&format!("/v1/rosters/{roster_id}/export?format=csv")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
    let text = csv.text().await.expect("text");
    assert_eq!(text.lines().count(), assignments.len() + 1, "a header and one line per worked shift");

    let forecast: Value = app.get(&format!("/v1/rosters/{roster_id}/cost-forecast")).await.json().await.expect("json");
    let per_driver: i64 =
        forecast["drivers"].as_array().expect("drivers").iter().map(|d| d["cost_cents"].as_i64().unwrap_or(0)).sum();
    assert_eq!(forecast["cost_cents"].as_i64(), Some(per_driver));
    assert!(per_driver > 0);

    let progress: Value = app.get(&format!("/v1/jobs/{job}/progress")).await.json().await.expect("json");
    assert!(!progress.as_array().expect("progress").is_empty(), "progress was stored");

    // Every transition wrote its event in the same transaction, in order, keyed by the job.
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT payload->'data'->>'status' FROM outbox WHERE topic = 'roster.jobs.v1' AND key = $1 ORDER BY id",
    )
    .bind(&job)
    .fetch_all(&app.pool)
    .await
    .expect("outbox");
    assert_eq!(statuses, ["queued", "running", "succeeded"]);
    app.stop().await;
}

#[tokio::test]
async fn resubmitting_with_the_same_idempotency_key_returns_the_same_job_and_another_body_conflicts() {
    let app = spawn_app(0).await;
    let scenario = app.upload(&small_scenario(6, 7, 2)).await;
    let body = json!({"scenario_id": scenario, "options": {"time_limit_secs": 5}});
    let send =
        |b: Value| app.client.post(app.url("/v1/jobs")).header("idempotency-key", "plan-2026-w02").json(&b).send();

    let first = send(body.clone()).await.expect("request");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let second = send(body.clone()).await.expect("request");
    assert_eq!(second.status(), 202);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.expect("json");
    assert_eq!(first["id"], second["id"]);

    let other = json!({"scenario_id": scenario, "options": {"time_limit_secs": 5, "seed": 7}});
    let conflict = send(other).await.expect("request");
    assert_eq!(conflict.status(), 409);
    assert_eq!(conflict.headers()["content-type"], "application/problem+json");
    assert_eq!(app.count("jobs").await, 1);
    app.stop().await;
}

#[tokio::test]
async fn cancelling_a_running_job_stops_the_solver_and_keeps_the_best_roster_so_far() {
    let app = spawn_app(1).await;
    let scenario = app.upload(&metro_small()).await;
    let job = app.submit(&scenario, 600.0).await;
    // Wait until the solver has a roster (an incumbent in the progress history).
    let start = std::time::Instant::now();
    loop {
        let progress: Value = app.get(&format!("/v1/jobs/{job}/progress")).await.json().await.expect("json");
        if progress.as_array().is_some_and(|p| p.iter().any(|r| r["incumbent"].is_number())) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no incumbent reported");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = app.client.post(app.url(&format!("/v1/jobs/{job}/cancel"))).send().await.expect("request");
    assert_eq!(res.status(), 202);

    let done = app.wait_for_job(&job, Duration::from_secs(60), |j| j["status"] != "running").await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert!(done["roster_id"].is_string(), "the best roster found before the cancellation is kept");
    assert!(done["cancel_requested"].as_bool().unwrap_or(false));
    app.stop().await;
}

#[tokio::test]
async fn cancelling_a_queued_job_ends_it_at_once_and_a_second_cancel_names_the_state() {
    let app = spawn_app(0).await;
    let scenario = app.upload(&small_scenario(6, 7, 3)).await;
    let job = app.submit(&scenario, 5.0).await;
    let res = app.client.post(app.url(&format!("/v1/jobs/{job}/cancel"))).send().await.expect("request");
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "cancelled");
    assert!(body["roster_id"].is_null());

    let again = app.client.post(app.url(&format!("/v1/jobs/{job}/cancel"))).send().await.expect("request");
    assert_eq!(again.status(), 409);
    let problem: Value = again.json().await.expect("json");
    assert_eq!(problem["current_state"], "cancelled");
    app.stop().await;
}

#[tokio::test]
async fn progress_streams_as_server_sent_events_until_the_job_ends() {
    let app = spawn_app(1).await;
    let scenario = app.upload(&small_scenario(8, 14, 4)).await;
    let job = app.submit(&scenario, 20.0).await;
    let res = app.get(&format!("/v1/jobs/{job}/events")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/event-stream"));
    let mut body = String::new();
    let mut chunks = res.bytes_stream();
    let read = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(chunk) = chunks.next().await {
            body.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
        }
    });
    read.await.expect("the stream closes after the end event");
    assert!(body.contains("event: progress"), "{body}");
    let end = body.split("event: end\n").nth(1).expect("an end event");
    let data = end.lines().find_map(|l| l.strip_prefix("data: ")).expect("data");
    let job_end: Value = serde_json::from_str(data).expect("job json");
    assert_eq!(job_end["status"], "succeeded");
    app.stop().await;
}

#[tokio::test]
async fn listing_filters_by_status_and_pages_through_every_job_once() {
    let app = spawn_app(0).await;
    let scenario = app.upload(&small_scenario(6, 7, 5)).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.submit(&scenario, 5.0).await);
    }
    for id in &ids[..2] {
        app.client.post(app.url(&format!("/v1/jobs/{id}/cancel"))).send().await.expect("request");
    }
    let cancelled: Value = app.get("/v1/jobs?status=cancelled").await.json().await.expect("json");
    assert_eq!(cancelled["items"].as_array().expect("items").len(), 2);

    let mut seen = Vec::new();
    let mut path = "/v1/jobs?limit=2".to_string();
    loop {
        let page: Value = app.get(&path).await.json().await.expect("json");
        seen.extend(page["items"].as_array().expect("items").iter().map(|j| j["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/jobs?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);
    app.stop().await;
}
