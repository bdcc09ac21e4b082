//! The zero-downtime NOT NULL rollout of `scenarios.content_hash` (migrations 0002–0004): the app
//! keeps working between every step, rows written by an old version are backfilled, and the
//! constraint holds at the end.

use std::borrow::Cow;

use service::app::Application;
use service::db::MIGRATOR;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use service::identity::Role;

use crate::helpers::{client_with, drop_database, fresh_database, mint_token, small_scenario, test_settings};

/// The repository's migrations up to `version`.
fn up_to(version: i64) -> Migrator {
    let mut m = Migrator::DEFAULT;
    m.migrations = Cow::Owned(MIGRATOR.migrations.iter().filter(|x| x.version <= version).cloned().collect());
    m
}

/// What an application version from before the column writes.
async fn insert_like_the_old_version(pool: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    let body = small_scenario(3, 7, 1);
    sqlx::query(
        "INSERT INTO scenarios (id, name, body, drivers, days, start_date) VALUES ($1, $2, $3, 3, 7, '2026-01-05')",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(name)
    .bind(&body)
    .execute(pool)
    .await
    .map(|_| ())
}

async fn upload(client: &reqwest::Client, address: &str) {
    let res =
        client.post(format!("{address}/v1/scenarios")).json(&small_scenario(3, 7, 2)).send().await.expect("request");
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
}

#[tokio::test]
async fn the_content_hash_column_becomes_not_null_in_three_steps_while_the_app_runs() {
    let (url, name) = fresh_database().await;
    let pool = PgPool::connect(&url).await.expect("connect");
    up_to(2).run(&pool).await.expect("migrations 1-2");
    // The old version wrote a row before the new one was deployed.
    insert_like_the_old_version(&pool, "old-before").await.expect("old insert");

    let mut settings = test_settings(&url);
    settings.migrate_on_start = false;
    let settings_for_token = settings.clone();
    let app = Application::build(settings).await.expect("app");
    let address = format!("http://{}", app.local_addr());
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run(0, stop.clone()));
    // The users table comes with migration 5, so the session is opened in Redis directly.
    let client = client_with(&mint_token(&settings_for_token, Role::Planner).await);

    // Step 1 (nullable column): old and new versions run side by side.
    upload(&client, &address).await;
    insert_like_the_old_version(&pool, "old-during").await.expect("old versions still insert");
    // Step 2: backfill.
    up_to(3).run(&pool).await.expect("migration 3");
    upload(&client, &address).await;
    let missing: i64 = sqlx::query_scalar("SELECT count(*) FROM scenarios WHERE content_hash IS NULL")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(missing, 0, "every row is backfilled");
    // Step 3: enforce.
    up_to(4).run(&pool).await.expect("migration 4");
    upload(&client, &address).await;
    let refused = insert_like_the_old_version(&pool, "old-after").await.expect_err("NOT NULL holds");
    assert!(refused.as_database_error().is_some_and(|e| e.code().as_deref() == Some("23502")), "{refused}");

    // The app's hash and the backfill's agree: both are the SQL expression over the stored body.
    let disagreeing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM scenarios WHERE content_hash <> encode(sha256(convert_to(body::text, 'UTF8')), 'hex')",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(disagreeing, 0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM scenarios").fetch_one(&pool).await.expect("count");
    assert_eq!(rows, 5);

    stop.cancel();
    server.await.expect("server task").expect("server");
    pool.close().await;
    drop_database(&name).await;
}
