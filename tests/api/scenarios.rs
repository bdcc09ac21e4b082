//! Uploading and reading scenarios.

use serde_json::Value;

use crate::helpers::{small_scenario, spawn_app};

#[tokio::test]
async fn an_uploaded_scenario_is_stored_and_can_be_read_and_listed() {
    let app = spawn_app(0).await;
    let res = app.post_json("/v1/scenarios", &small_scenario(5, 7, 9)).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().expect("location").to_string();
    let created: Value = res.json().await.expect("json");
    assert_eq!(created["drivers"], 5);
    assert_eq!(created["days"], 7);
    assert_eq!(created["content_hash"].as_str().map(str::len), Some(64));

    let read: Value = app.get(&location).await.json().await.expect("json");
    assert_eq!(read["id"], created["id"]);
    let listed: Value = app.get("/v1/scenarios").await.json().await.expect("json");
    assert_eq!(listed.as_array().expect("list").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_curtois_instance_uploads_as_text() {
    let app = spawn_app(0).await;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/curtois/Instance1.txt"))
        .expect("bundled instance");
    let res = app
        .client
        .post(app.url("/v1/scenarios?name=Instance1"))
        .header("content-type", "text/plain")
        .body(text)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    assert_eq!(created["name"], "Instance1");
    assert_eq!(created["days"], 14);
    app.stop().await;
}
