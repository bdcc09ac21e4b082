//! The OpenAPI document served at `/openapi.json` is OpenAPI 3.1 and identical to the committed copy.

use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/service/openapi.json");

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let generated = service::api::openapi::document_text();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).expect("write service/openapi.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "service/openapi.json is stale; regenerate it with UPDATE_OPENAPI=1 cargo test --test api openapi"
    );

    let app = spawn_app(0).await;
    let served: Value = app.get("/openapi.json").await.json().await.expect("json");
    assert_eq!(served, serde_json::from_str::<Value>(&committed).expect("committed json"));
    assert!(served["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in ["/v1/scenarios", "/v1/jobs", "/v1/jobs/{id}/events", "/v1/rosters/{id}/cost-forecast"] {
        assert!(served["paths"][path].is_object(), "{path} is documented");
    }
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app(0).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.get("/v1/jobs").await;
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(metrics.contains("http_request_duration_seconds_bucket"), "{metrics}");
    assert!(metrics.contains("roster_jobs{status=\"queued\"}"), "{metrics}");
    app.stop().await;
}
