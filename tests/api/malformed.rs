//! Every class of malformed request gets a problem document naming what is wrong, and writes nothing.

use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, small_scenario, spawn_app, spawn_app_with};

/// Asserts a problem document with `status` and returns it.
async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "wrong status");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.expect("problem json");
    assert_eq!(p["status"], status);
    assert!(p["title"].is_string() && p["detail"].is_string(), "{p}");
    p
}

async fn send(b: RequestBuilder) -> Response {
    b.send().await.expect("request")
}

fn paths(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map_or(Vec::new(), |e| e.iter().map(|x| x["path"].as_str().unwrap_or("").to_string()).collect())
}

async fn assert_nothing_written(app: &TestApp) {
    for table in ["scenarios", "jobs", "rosters", "assignments"] {
        assert_eq!(app.count(table).await, 0, "{table} is untouched");
    }
}

#[tokio::test]
async fn malformed_scenario_uploads_are_refused_with_the_field_named() {
    let app = spawn_app(0).await;
    let url = app.url("/v1/scenarios");
    let post = || app.client.post(&url);

    let p = problem(send(post().header("content-type", "application/json").body("{\"name\": ")).await, 422).await;
    assert_eq!(paths(&p).len(), 1);

    let mut unknown = small_scenario(4, 7, 1);
    unknown["drivers"][0]["nickname"] = json!("Ace");
    let p = problem(send(post().json(&unknown)).await, 422).await;
    assert!(paths(&p)[0].starts_with("drivers[0]"), "{p}");

    let mut inconsistent = small_scenario(4, 7, 1);
    inconsistent["drivers"][1]["contract"]["min_minutes"] = json!(9_000);
    inconsistent["drivers"][1]["contract"]["max_minutes"] = json!(100);
    inconsistent["demand"][0]["shift"] = json!("NO_SUCH_SHIFT");
    let p = problem(send(post().json(&inconsistent)).await, 422).await;
    let found = paths(&p);
    assert!(found.iter().any(|x| x.starts_with("drivers[1].contract")), "{p}");
    assert!(found.iter().any(|x| x.starts_with("demand[0]")), "every problem is listed: {p}");

    problem(send(post().header("content-type", "application/xml").body("<scenario/>")).await, 415).await;
    problem(send(post().body("{}")).await, 415).await;
    let p =
        problem(send(post().header("content-type", "text/plain").body("SECTION_HORIZON\nnot a number\n")).await, 422)
            .await;
    assert!(paths(&p)[0].starts_with("line"), "{p}");
    assert_nothing_written(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_as_too_large() {
    let app = spawn_app_with(0, |s| s.body_limit = 4096).await;
    let big = small_scenario(40, 28, 1);
    problem(send(app.client.post(app.url("/v1/scenarios")).json(&big)).await, 413).await;
    assert_nothing_written(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn malformed_job_submissions_are_refused_with_the_field_named() {
    let app = spawn_app(0).await;
    let url = app.url("/v1/jobs");
    let post = || app.client.post(&url);
    let unknown_scenario = json!({"scenario_id": uuid::Uuid::new_v4()});
    let p = problem(send(post().json(&unknown_scenario)).await, 422).await;
    assert_eq!(paths(&p), ["scenario_id"]);
    let p = problem(send(post().json(&json!({"scenario_id": "not-a-uuid"}))).await, 422).await;
    assert_eq!(paths(&p), ["scenario_id"]);
    let bad_gap = json!({"scenario_id": uuid::Uuid::new_v4(), "options": {"gap": 2.0}});
    let p = problem(send(post().json(&bad_gap)).await, 422).await;
    assert_eq!(paths(&p), ["options.gap"]);
    let bad_limit = json!({"scenario_id": uuid::Uuid::new_v4(), "options": {"time_limit_secs": -1}});
    assert_eq!(paths(&problem(send(post().json(&bad_limit)).await, 422).await), ["options.time_limit_secs"]);
    let extra = json!({"scenario_id": uuid::Uuid::new_v4(), "priority": "high"});
    problem(send(post().json(&extra)).await, 422).await;
    let long_key = "k".repeat(300);
    let keyed = post().header("idempotency-key", long_key).json(&unknown_scenario);
    assert_eq!(paths(&problem(send(keyed).await, 422).await), ["Idempotency-Key"]);
    problem(send(post().body("{}")).await, 415).await;
    assert_nothing_written(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn malformed_paths_and_queries_are_answered_with_problems() {
    let app = spawn_app(0).await;
    problem(app.get("/v1/jobs/not-a-uuid").await, 404).await;
    problem(app.get(&format!("/v1/jobs/{}", uuid::Uuid::new_v4())).await, 404).await;
    problem(app.get(&format!("/v1/rosters/{}", uuid::Uuid::new_v4())).await, 404).await;
    assert_eq!(paths(&problem(app.get("/v1/jobs?limit=0").await, 422).await), ["limit"]);
    assert_eq!(paths(&problem(app.get("/v1/jobs?status=done").await, 422).await), ["status"]);
    assert_eq!(paths(&problem(app.get("/v1/jobs?cursor=xyz").await, 422).await), ["cursor"]);
    problem(app.get("/v1/jobs?limit=many").await, 400).await;
    problem(app.get("/v1/no-such-thing").await, 404).await;
    problem(send(app.client.delete(app.url("/v1/jobs"))).await, 405).await;
    problem(send(app.client.post(app.url(&format!("/v1/jobs/{}/cancel", uuid::Uuid::new_v4())))).await, 404).await;
    let bad_resume = app.client.get(app.url(&format!("/v1/jobs/{}/events", uuid::Uuid::new_v4())));
    problem(send(bad_resume).await, 404).await;
    assert_nothing_written(&app).await;
    app.stop().await;
}
