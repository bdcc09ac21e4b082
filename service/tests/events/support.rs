//! Helpers of the event tests: a fresh database per test, topics on the real broker, a consumer
//! that collects messages, bounded waits, a small published roster to work on, and a solved one
//! for the tests that re-optimize it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use model::generate::{GeneratorParams, generate};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use service::config::Settings;
use service::db::jobs::NewJob;
use service::db::scenarios::NewScenario;
use service::domain::{JobId, JobOptions, JobTrigger, RosterId, ScenarioId};
use service::events::{KafkaConfig, Topics};
use service::worker::Worker;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Generous bound of every wait: long enough for a loaded 2-core CI machine, short enough to fail.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The local PostgreSQL server, without a database name.
fn server_url() -> String {
    std::env::var("ROSTER_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The broker `scripts/kafka` starts.
pub fn brokers() -> String {
    std::env::var("KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

/// A database of its own for one test, migrated; dropped by [`TestDb::remove`].
pub struct TestDb {
    pub pool: PgPool,
    name: String,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let name = format!("test_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url())).await.expect("PostgreSQL runs");
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.unwrap();
        let pool = PgPoolOptions::new().max_connections(5).connect(&format!("{}/{name}", server_url())).await.unwrap();
        sqlx::migrate!("../migrations").run(&pool).await.unwrap();
        TestDb { pool, name }
    }

    /// Drops the database (only reached when the test passed: a failed one is kept to look at).
    pub async fn remove(self) {
        self.pool.close().await;
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url())).await.unwrap();
        sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name)).execute(&mut admin).await.unwrap();
    }
}

/// Creates `topics` with `partitions` each on `brokers`; an existing topic is fine.
pub async fn create_topics(brokers: &str, topics: &[&str], partitions: i32) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", brokers).create().expect("admin client");
    let new: Vec<NewTopic<'_>> =
        topics.iter().map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1))).collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for result in admin.create_topics(&new, &options).await.expect("CreateTopics answered") {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => panic!("cannot create topic {topic}: {code}"),
        }
    }
}

/// A consumer of `topics` from the beginning, in a group of its own.
pub fn reader(brokers: &str, topics: &[&str]) -> StreamConsumer {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-reader-{}", Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(topics).expect("subscribe");
    consumer
}

/// The offset `group` committed on partition 0 of `topic`, if any.
pub fn committed_offset(brokers: &str, group: &str, topic: &str) -> Option<i64> {
    let consumer: BaseConsumer =
        ClientConfig::new().set("bootstrap.servers", brokers).set("group.id", group).create().expect("consumer");
    let mut partitions = TopicPartitionList::new();
    partitions.add_partition(topic, 0);
    let committed = consumer.committed_offsets(partitions, Duration::from_secs(10)).ok()?;
    match committed.find_partition(topic, 0)?.offset() {
        Offset::Offset(offset) => Some(offset),
        _ => None,
    }
}

/// Reads from `consumer` until `done` holds for what was read, or panics after [`PATIENCE`].
pub async fn read_until(consumer: &StreamConsumer, done: impl Fn(&[OwnedMessage]) -> bool) -> Vec<OwnedMessage> {
    let deadline = Instant::now() + PATIENCE;
    let mut messages = Vec::new();
    while !done(&messages) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(message)) => messages.push(message.detach()),
            Ok(Err(e)) => eprintln!("consumer error (retrying): {e}"),
            Err(_) => panic!("gave up after {PATIENCE:?} with {} messages read", messages.len()),
        }
    }
    messages
}

/// Polls `check` until it returns true, or panics after [`PATIENCE`] naming `what`.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out after {PATIENCE:?} waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The message's value as JSON.
pub fn json(message: &OwnedMessage) -> serde_json::Value {
    serde_json::from_slice(message.payload().expect("payload")).expect("JSON payload")
}

/// The message's key as text.
pub fn key(message: &OwnedMessage) -> String {
    String::from_utf8(message.key().expect("key").to_vec()).expect("UTF-8 key")
}

/// Ids of a seeded scenario, its succeeded job and the roster the job produced.
pub struct Seeded {
    pub scenario_id: Uuid,
    pub job_id: Uuid,
    pub roster_id: Uuid,
    pub start_date: NaiveDate,
}

/// A one-week scenario starting on Monday 2026-03-02 with drivers D1 and D2, a running job and
/// its proposed roster: D1 works days 0-4 (early shifts), D2 days 2-6 (late shifts); one cost
/// forecast row per driver for ISO week 2026-W10.
pub async fn seed_roster(pool: &PgPool) -> Seeded {
    let start_date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let (scenario_id, job_id, roster_id) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    sqlx::query(
        "INSERT INTO scenarios (id, name, body, drivers, days, start_date, content_hash)
         VALUES ($1, 'events test', '{}', 2, 7, $2, encode(sha256('{}'), 'hex'))",
    )
    .bind(scenario_id)
    .bind(start_date)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO jobs (id, scenario_id, status, options, request_hash, attempts, lease_owner, lease_expires_at)
         VALUES ($1, $2, 'running', '{}', 'hash', 1, 'worker-1', now() + interval '1 minute')",
    )
    .bind(job_id)
    .bind(scenario_id)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO rosters (id, scenario_id, job_id, objective_cents) VALUES ($1, $2, $3, 123456)")
        .bind(roster_id)
        .bind(scenario_id)
        .bind(job_id)
        .execute(pool)
        .await
        .unwrap();
    for (driver, days, shift) in [("D1", 0..5, "E"), ("D2", 2..7, "L")] {
        for day in days {
            sqlx::query("INSERT INTO assignments (roster_id, driver_id, day, shift_id) VALUES ($1, $2, $3, $4)")
                .bind(roster_id)
                .bind(driver)
                .bind(day)
                .bind(shift)
                .execute(pool)
                .await
                .unwrap();
        }
        sqlx::query(
            "INSERT INTO cost_forecasts (roster_id, driver_id, iso_year, iso_week, worked_minutes, regular_minutes,
                 overtime_minutes, night_minutes, sunday_holiday_minutes, regular_cents, overtime_cents, premium_cents)
             VALUES ($1, $2, 2026, 10, 2400, 2280, '{120, 0}', 90, 0, 91200, 7200, 450)",
        )
        .bind(roster_id)
        .bind(driver)
        .execute(pool)
        .await
        .unwrap();
    }
    Seeded { scenario_id, job_id, roster_id, start_date }
}

/// Cells of a roster: (driver, day) → shift; a missing cell is a day off.
pub type Cells = BTreeMap<(String, i32), String>;

/// The cells of `roster`, read from the database.
pub async fn cells(pool: &PgPool, roster: Uuid) -> Cells {
    let mut conn = pool.acquire().await.unwrap();
    let rows = service::db::rosters::assignments(&mut conn, RosterId(roster)).await.unwrap();
    rows.into_iter().map(|a| ((a.driver_id, a.day), a.shift_id)).collect()
}

/// A solver worker writing its job events for `topics`.
pub fn worker(pool: &PgPool, topics: &Topics) -> Worker {
    let kafka = KafkaConfig { brokers: brokers(), topics: topics.clone(), ..KafkaConfig::default() };
    Worker::new(pool.clone(), Arc::new(Settings { kafka, ..Settings::default() }))
}

/// Lets `worker` take the oldest queued job and run it to its end.
pub async fn solve_next(worker: &Worker) {
    let worked = worker.step(&CancellationToken::new()).await.expect("the worker step runs");
    assert!(worked, "a job was waiting");
}

/// A published roster with real content: a generated 10-driver, 14-day scenario from Monday
/// 2026-03-02, solved by a real worker, then published.
pub struct Published {
    pub roster_id: Uuid,
    pub start_date: NaiveDate,
    pub cells: Cells,
}

pub async fn solved_published_roster(pool: &PgPool, topics: &Topics) -> Published {
    let start_date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let params = GeneratorParams { drivers: 10, days: 14, depots: 1, seed: 15, start_date };
    let scenario = generate(&params).unwrap();
    let body = serde_json::to_value(&scenario).unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let new = NewScenario {
        id: ScenarioId::new(),
        name: "events re-optimization test",
        body: &body,
        drivers: 10,
        days: 14,
        start_date,
        created_by: Some("planner"),
    };
    let stored = service::db::scenarios::insert(&mut conn, &new).await.unwrap();
    let options = serde_json::to_value(JobOptions { time_limit_secs: 20.0, ..JobOptions::default() }).unwrap();
    let job = NewJob {
        id: JobId::new(),
        scenario_id: stored.id,
        options: &options,
        baseline_roster_id: None,
        idempotency_key: None,
        request_hash: "hash",
        max_attempts: 3,
        submitted_by: Some("planner"),
        trigger: JobTrigger::Api,
    };
    service::db::jobs::insert(&mut conn, &job).await.unwrap();
    drop(conn);
    solve_next(&worker(pool, topics)).await;
    let roster_id: Uuid = sqlx::query_scalar("SELECT id FROM rosters WHERE job_id = $1")
        .bind(job.id)
        .fetch_one(pool)
        .await
        .expect("the job stored a roster");
    sqlx::query("UPDATE rosters SET status = 'published', version = version + 2 WHERE id = $1")
        .bind(roster_id)
        .execute(pool)
        .await
        .unwrap();
    Published { roster_id, start_date, cells: cells(pool, roster_id).await }
}
