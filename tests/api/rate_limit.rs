//! The GCRA limiter in the local Redis: bursts, `Retry-After`, replicas sharing one limit, login
//! attempts per address, and failing closed for login when Redis is down.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::{Client, Response};
use serde_json::json;
use service::app::Application;
use service::config::Quota;
use service::identity::Role;
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, drop_database, fresh_database, spawn_app_with, test_settings};

fn header(res: &Response, name: &str) -> u64 {
    res.headers()[name].to_str().expect("ascii").parse().expect("number")
}

#[tokio::test]
async fn a_burst_over_the_limit_gets_429_with_a_retry_after_that_is_enough_and_not_more() {
    // 5 per 10 s: one request every 2 s sustained, a burst of 5.
    let app = spawn_app_with(0, |s| s.api_rate_limit = Quota { limit: 5, period: Duration::from_secs(10) }).await;
    let client = app.client_as(Role::Analyst).await;
    let me = || client.get(app.url("/v1/auth/me")).send();
    let started = Instant::now();
    for expected_remaining in (0..5).rev() {
        let res = me().await.expect("request");
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-limit"), 5);
        assert_eq!(header(&res, "ratelimit-remaining"), expected_remaining);
        assert!(header(&res, "ratelimit-reset") <= 10);
    }
    let refused = me().await.expect("request");
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert_eq!(header(&refused, "ratelimit-remaining"), 0);
    let retry_after = header(&refused, "retry-after");
    assert!(started.elapsed() < Duration::from_secs(1), "the burst took too long to be meaningful");
    assert_eq!(retry_after, 2, "the next slot opens one emission interval (2 s) after the burst");

    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(me().await.expect("request").status(), 429, "still early");
    tokio::time::sleep(Duration::from_secs(retry_after) - Duration::from_millis(1000)).await;
    assert_eq!(me().await.expect("request").status(), 200, "admitted after Retry-After");
    app.stop().await;
}

#[tokio::test]
async fn two_app_instances_sharing_redis_together_admit_no_more_than_the_limit() {
    let app = spawn_app_with(0, |s| s.api_rate_limit = Quota { limit: 6, period: Duration::from_secs(60) }).await;
    let replica = app.spawn_replica().await;
    let client = app.client_as(Role::Planner).await;
    let requests = (0..30).map(|i| {
        let base = if i % 2 == 0 { &app } else { &replica };
        client.get(base.url("/v1/auth/me")).send()
    });
    let statuses: Vec<u16> =
        join_all(requests).await.into_iter().map(|r| r.expect("request").status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 6, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 24, "{statuses:?}");

    // The limit is per principal: another user still has a full quota.
    let other = app.client_as(Role::Analyst).await;
    assert_eq!(other.get(replica.url("/v1/auth/me")).send().await.expect("request").status(), 200);
    replica.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn login_attempts_are_limited_per_client_address_even_with_the_right_password() {
    let app = spawn_app_with(0, |s| s.login_rate_limit = Quota { limit: 3, period: Duration::from_secs(60) }).await;
    app.create_user("pat.planner", Role::Planner).await;
    // spawn_app's own admin login spent one attempt of this address.
    for _ in 0..2 {
        assert_eq!(app.login("pat.planner", "guess guess guess").await.status(), 401);
    }
    let limited = app.login("pat.planner", PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(header(&limited, "retry-after") >= 1);
    assert_eq!(header(&limited, "ratelimit-limit"), 3);
    app.stop().await;
}

#[tokio::test]
async fn with_redis_down_login_fails_closed_and_the_server_still_answers_health_checks() {
    let (url, name) = fresh_database().await;
    let mut settings = test_settings(&url);
    settings.redis_url = "redis://127.0.0.1:1".into();
    let app = Application::build(settings).await.expect("the app starts without Redis");
    let address = format!("http://{}", app.local_addr());
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run(0, stop.clone()));
    let client = Client::new();
    let login =
        client.post(format!("{address}/v1/auth/login")).json(&json!({"username": "admin", "password": PASSWORD}));
    assert_eq!(login.send().await.expect("request").status(), 503);
    let me = client.get(format!("{address}/v1/auth/me")).bearer_auth("0".repeat(64));
    assert_eq!(me.send().await.expect("request").status(), 503, "sessions cannot be checked");
    assert_eq!(client.get(format!("{address}/healthz")).send().await.expect("request").status(), 200);
    stop.cancel();
    server.await.expect("server task").expect("server");
    drop_database(&name).await;
}
