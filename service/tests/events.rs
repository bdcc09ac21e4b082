//! Events over Kafka, end to end: the outbox relay against the real broker (`scripts/kafka`) and
//! librdkafka's mock cluster for the outage, the HR absence consumer against the real broker, with
//! and without automatic re-optimization of the rosters an absence breaks (solved by a real
//! worker). Every test has its own database and its own topics.

#[path = "events/support.rs"]
mod support;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{Days, NaiveDate};
use rdkafka::Message;
use rdkafka::message::Headers;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use serde_json::{Value, json};
use service::db::{absences, audit, outbox};
use service::domain::{JobOptions, RosterId};
use service::events::envelope::{self, JobStatus, JobStatusChanged};
use service::events::hr_consumer::{DLQ_REASON_HEADER, HrConsumer, HrConsumerConfig, parse_absence};
use service::events::relay::{Relay, RelayConfig};
use service::events::{Envelope, EventMeta, EventsError, KafkaConfig, Topics, emit};
use service::reoptimization::AutoReoptimize;
use support::{
    Cells, PATIENCE, Published, TestDb, brokers, cells, committed_offset, create_topics, json, key, read_until, reader,
    seed_roster, solve_next, solved_published_roster, wait_until, worker,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The committed JSON Schema of an event type, compiled with format checks on.
fn schema(event_type: &str) -> jsonschema::Validator {
    let path = format!("{}/schemas/events/{event_type}.schema.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

fn assert_valid(event: &Value) {
    let event_type = event["type"].as_str().expect("a type");
    let errors: Vec<String> =
        schema(event_type).iter_errors(event).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{event_type} does not match its schema: {errors:#?}\n{event:#}");
}

/// Topics of one test on the real broker, created up front.
async fn fresh_topics(partitions: i32) -> Topics {
    let topics = Topics::with_suffix(&Uuid::new_v4().simple().to_string());
    create_topics(&brokers(), &topics.all(), partitions).await;
    topics
}

fn kafka(brokers: String, topics: Topics) -> KafkaConfig {
    KafkaConfig { brokers, topics, ..KafkaConfig::default() }
}

/// Relay settings that notice a dead broker within a second or two.
fn impatient_relay() -> RelayConfig {
    RelayConfig {
        poll_interval: Duration::from_millis(50),
        delivery_timeout: Duration::from_millis(1500),
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        ..RelayConfig::default()
    }
}

fn distinct_events(messages: &[rdkafka::message::OwnedMessage]) -> usize {
    messages.iter().map(|m| json(m)["event_id"].clone()).map(|id| id.to_string()).collect::<HashSet<_>>().len()
}

async fn unsent(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&db.pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_solved_jobs_events_arrive_with_valid_schemas_keyed_by_their_entity() {
    let db = TestDb::create().await;
    let seeded = seed_roster(&db.pool).await;
    let topics = fresh_topics(3).await;
    let meta = EventMeta { actor: Some("planner@roster.local".into()), trace_id: Some("4bf92f3577b34da6".into()) };

    // The worker finishes the job, the planner publishes its roster: each change and its events
    // in one transaction, as the job service does.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE jobs SET status = 'succeeded', lease_owner = NULL, lease_expires_at = NULL WHERE id = $1")
        .bind(seeded.job_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let succeeded = JobStatusChanged {
        job_id: seeded.job_id,
        scenario_id: seeded.scenario_id,
        status: JobStatus::Succeeded,
        attempt: 1,
        roster_id: Some(seeded.roster_id),
        solve_status: Some("optimal".into()),
        objective_cents: Some(123_456),
        error: None,
    };
    emit::job_status_changed(&mut tx, &topics, &meta, &succeeded).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE rosters SET status = 'published', version = version + 1 WHERE id = $1")
        .bind(seeded.roster_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let published = emit::roster_published(&mut tx, &topics, &meta, seeded.roster_id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(published.len(), 3, "the roster and one forecast per driver");

    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(
        Relay::new(db.pool.clone(), kafka(brokers(), topics.clone()), impatient_relay()).run(shutdown.clone()),
    );
    let consumer = reader(&brokers(), &[&topics.jobs, &topics.published, &topics.cost_forecast]);
    let messages = read_until(&consumer, |m| distinct_events(m) == published.len() + 1).await;
    shutdown.cancel();
    relay.await.unwrap().unwrap();

    let mut by_type: HashMap<String, Vec<(String, Value)>> = HashMap::new();
    let mut seen = HashSet::new();
    for message in &messages {
        let event = json(message);
        if !seen.insert(event["event_id"].clone()) {
            continue; // at-least-once: a redelivery is fine, and ignored like any consumer would
        }
        assert_valid(&event);
        let header = message.headers().and_then(|h| h.iter().find(|h| h.key == "event_id")).and_then(|h| h.value);
        assert_eq!(header, Some(event["event_id"].as_str().unwrap().as_bytes()), "event_id header");
        by_type.entry(event["type"].as_str().unwrap().to_owned()).or_default().push((key(message), event));
    }
    let jobs = &by_type[envelope::JOB_STATUS_CHANGED];
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, seeded.job_id.to_string());
    assert_eq!(jobs[0].1["data"]["status"], "succeeded");
    assert_eq!(jobs[0].1["actor"], "planner@roster.local");
    let rosters = &by_type[envelope::ROSTER_PUBLISHED];
    assert_eq!(rosters.len(), 1);
    assert_eq!(rosters[0].0, seeded.roster_id.to_string());
    assert_eq!(rosters[0].1["data"]["assignments"].as_array().unwrap().len(), 10);
    assert_eq!(
        rosters[0].1["data"]["assignments"][0],
        json!({"driver_id": "D1", "date": "2026-03-02", "shift_id": "E"})
    );
    let mut forecasts = by_type[envelope::COST_FORECAST].clone();
    forecasts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(forecasts.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["D1", "D2"]);
    for (driver, event) in &forecasts {
        assert_eq!(event["data"]["driver_id"], driver.as_str());
        assert_eq!(event["data"]["total_cents"], 91_200 + 7_200 + 450);
        assert_eq!(event["data"]["overtime_minutes"], json!([120, 0]));
        assert_eq!(event["data"]["period_start"], "2026-03-02");
        assert_eq!(event["data"]["period_end"], "2026-03-08");
    }
    assert_eq!(unsent(&db).await, 0, "every delivered event is marked sent");
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_enqueued_while_the_broker_is_down_all_arrive_in_key_order_once_it_is_back() {
    let db = TestDb::create().await;
    let cluster = MockCluster::new(1).unwrap();
    let topics = Topics::with_suffix("outage");
    cluster.create_topic(&topics.jobs, 3, 1).unwrap();
    let enqueue = |keys: &'static [&'static str], round: usize| {
        let pool = db.pool.clone();
        let topic = topics.jobs.clone();
        async move {
            let mut ids = Vec::new();
            for (i, key) in keys.iter().enumerate() {
                let event = Envelope::new("test.ping", 1, &EventMeta::default(), &json!({"round": round, "n": i}));
                let mut tx = pool.begin().await.unwrap();
                outbox::enqueue(&mut tx, &topic, key, &event).await.unwrap();
                tx.commit().await.unwrap();
                ids.push((key.to_string(), event.event_id));
            }
            ids
        }
    };
    const KEYS: &[&str] = &["job-a", "job-b", "job-a", "job-c", "job-b", "job-a", "job-c", "job-a"];

    let shutdown = CancellationToken::new();
    let relay = Relay::new(db.pool.clone(), kafka(cluster.bootstrap_servers(), topics.clone()), impatient_relay());
    let relay = tokio::spawn(relay.run(shutdown.clone()));
    let mut expected = enqueue(KEYS, 0).await;
    wait_until("the first events are sent", || async { unsent(&db).await == 0 }).await;

    cluster.broker_down(1).unwrap();
    expected.extend(enqueue(KEYS, 1).await);
    wait_until("the relay has failed to deliver while the broker is down", || async {
        let failures: i64 =
            sqlx::query_scalar("SELECT count(*) FROM outbox WHERE attempts > 0").fetch_one(&db.pool).await.unwrap();
        failures > 0
    })
    .await;
    assert!(unsent(&db).await > 0, "nothing can be acknowledged while the broker is down");
    expected.extend(enqueue(KEYS, 2).await);
    cluster.broker_up(1).unwrap();
    wait_until("every event is sent after the broker is back", || async { unsent(&db).await == 0 }).await;
    shutdown.cancel();
    relay.await.unwrap().unwrap();

    // A consumer that deduplicates by event_id, as DESIGN §6 asks of every consumer.
    let consumer = reader(&cluster.bootstrap_servers(), &[&topics.jobs]);
    let wanted: HashSet<Uuid> = expected.iter().map(|(_, id)| *id).collect();
    let messages = read_until(&consumer, |m| {
        let seen: HashSet<Uuid> = m.iter().map(|m| json(m)["event_id"].as_str().unwrap().parse().unwrap()).collect();
        wanted.is_subset(&seen)
    })
    .await;
    let mut seen = HashSet::new();
    let mut processed: HashMap<String, Vec<Uuid>> = HashMap::new();
    for message in &messages {
        let id: Uuid = json(message)["event_id"].as_str().unwrap().parse().unwrap();
        if seen.insert(id) {
            processed.entry(key(message)).or_default().push(id);
        }
    }
    assert_eq!(seen, wanted, "each event seen exactly once after deduplication, none missing, none extra");
    for key in ["job-a", "job-b", "job-c"] {
        let in_outbox_order: Vec<Uuid> = expected.iter().filter(|(k, _)| k == key).map(|(_, id)| *id).collect();
        assert_eq!(processed[key], in_outbox_order, "events of {key} arrive in the order they were written");
    }
    db.remove().await;
}

/// An `hr.absence.recorded` message as HR sends it.
fn absence_message(absence_id: &str, driver: &str, from: NaiveDate, days: u64, driver_version: i64) -> Vec<u8> {
    json!({
        "event_id": Uuid::new_v4(),
        "type": envelope::ABSENCE_RECORDED,
        "version": 1,
        "occurred_at": "2026-03-01T07:30:00Z",
        "actor": "hr-system",
        "trace_id": null,
        "data": {
            "absence_id": absence_id,
            "driver_id": driver,
            "kind": "sickness",
            "from": from,
            "to": from + Days::new(days - 1),
            "driver_version": driver_version,
        },
    })
    .to_string()
    .into_bytes()
}

async fn send_raw(producer: &FutureProducer, topic: &str, key: &str, payload: &[u8]) {
    let record = FutureRecord::to(topic).key(key).payload(payload);
    producer.send(record, Timeout::After(PATIENCE)).await.map_err(|(e, _)| e).expect("HR message delivered");
}

fn hr_producer() -> FutureProducer {
    KafkaConfig { brokers: brokers(), ..KafkaConfig::default() }.producer_config(30_000).create().unwrap()
}

type Running = (CancellationToken, JoinHandle<Result<(), EventsError>>, String);

/// Runs the HR consumer in a group of its own; returns its shutdown, its task and the group id.
fn start_consumer(db: &TestDb, topics: &Topics) -> Running {
    start_consumer_with(db, topics, None)
}

/// Same, re-optimizing the rosters an absence breaks when `auto` is given.
fn start_consumer_with(db: &TestDb, topics: &Topics, auto: Option<AutoReoptimize>) -> Running {
    let group_id = format!("roster-test-{}", Uuid::new_v4());
    let config = HrConsumerConfig { group_id: group_id.clone(), auto_reoptimize: auto, ..HrConsumerConfig::default() };
    let shutdown = CancellationToken::new();
    let consumer = HrConsumer::new(db.pool.clone(), kafka(brokers(), topics.clone()), config);
    (shutdown.clone(), tokio::spawn(consumer.run(shutdown)), group_id)
}

/// Waits until the consumer's group has committed `messages` offsets of the absences topic (every
/// message sent so far handled), then shuts the consumer down.
async fn stop_after_committing(running: Running, topics: &Topics, messages: i64) {
    let (shutdown, consumer, group) = running;
    wait_until(&format!("the consumer committed {messages} message(s)"), || async {
        committed_offset(&brokers(), &group, &topics.absences) == Some(messages)
    })
    .await;
    shutdown.cancel();
    consumer.await.unwrap().unwrap();
}

async fn version_of(db: &TestDb, driver: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT last_version FROM driver_absence_state WHERE driver_id = $1")
        .bind(driver)
        .fetch_optional(&db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_or_out_of_order_absence_changes_availability_once() {
    let db = TestDb::create().await;
    let seeded = seed_roster(&db.pool).await;
    sqlx::query("UPDATE rosters SET status = 'published' WHERE id = $1")
        .bind(seeded.roster_id)
        .execute(&db.pool)
        .await
        .unwrap();
    // One partition: the sentinel at the end is read after everything before it.
    let topics = fresh_topics(1).await;
    let running = start_consumer(&db, &topics);
    let producer = hr_producer();
    let tuesday = seeded.start_date + Days::new(1);

    let sick = absence_message("A-1", "D1", tuesday, 2, 1);
    send_raw(&producer, &topics.absences, "D1", &sick).await;
    send_raw(&producer, &topics.absences, "D1", &sick).await; // redelivered
    let leave = absence_message("A-2", "D1", seeded.start_date + Days::new(5), 2, 2);
    send_raw(&producer, &topics.absences, "D1", &leave).await;
    let replayed_older = absence_message("A-0", "D1", seeded.start_date, 1, 1);
    send_raw(&producer, &topics.absences, "D1", &replayed_older).await;
    send_raw(&producer, &topics.absences, "D2", &absence_message("S-1", "D2", tuesday, 1, 1)).await;
    wait_until("the sentinel absence of D2 is applied", || async { version_of(&db, "D2").await == Some(1) }).await;
    stop_after_committing(running, &topics, 5).await;

    let mut conn = db.pool.acquire().await.unwrap();
    let week_end = seeded.start_date + Days::new(6);
    let d1 = absences::for_driver(&mut conn, "D1", seeded.start_date, week_end).await.unwrap();
    let ids: Vec<&str> = d1.iter().map(|a| a.absence_id.as_str()).collect();
    assert_eq!(ids, ["A-1", "A-2"], "the duplicate is applied once and the older replay not at all");
    assert_eq!(version_of(&db, "D1").await, Some(2));
    // D1 works days 0-4: the sickness on days 1-2 breaks two of them, the leave on days 5-6 none.
    // D2 works days 2-6: its sentinel absence on day 1 breaks none.
    let broken = absences::disruptions(&mut conn, seeded.roster_id).await.unwrap();
    let broken: Vec<(&str, NaiveDate, &str)> =
        broken.iter().map(|d| (d.driver_id.as_str(), d.date, d.absence_id.as_str())).collect();
    assert_eq!(broken, [("D1", tuesday, "A-1"), ("D1", tuesday + Days::new(1), "A-1")]);
    drop(conn);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_lands_in_the_dead_letter_topic_and_the_consumer_goes_on() {
    let db = TestDb::create().await;
    let topics = fresh_topics(1).await;
    let (shutdown, consumer, _) = start_consumer(&db, &topics);
    let producer = hr_producer();
    let monday = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();

    send_raw(&producer, &topics.absences, "D9", b"{\"this is\": not json").await;
    send_raw(&producer, &topics.absences, "D9", &absence_message("A-9", "D9", monday, 3, 1)).await;
    wait_until("the valid absence after the poison is applied", || async { version_of(&db, "D9").await == Some(1) })
        .await;
    shutdown.cancel();
    consumer.await.unwrap().unwrap();

    let dlq = reader(&brokers(), &[&topics.absences_dlq]);
    let dead = read_until(&dlq, |m| !m.is_empty()).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload(), Some(&b"{\"this is\": not json"[..]));
    assert_eq!(key(&dead[0]), "D9");
    let headers = dead[0].headers().expect("headers");
    let reason = headers.iter().find(|h| h.key == DLQ_REASON_HEADER).and_then(|h| h.value).expect("a reason");
    let reason = String::from_utf8_lossy(reason);
    assert!(reason.contains("not an event envelope"), "reason: {reason}");
    db.remove().await;
}

#[test]
fn what_the_hr_schema_accepts_the_consumer_accepts() {
    let message: Value =
        serde_json::from_slice(&absence_message("A-5", "D5", NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), 4, 7))
            .unwrap();
    assert_valid(&message);
    let (_, absence) = parse_absence(Some(b"D5"), Some(message.to_string().as_bytes())).unwrap();
    assert_eq!((absence.absence_id.as_str(), absence.driver_version), ("A-5", 7));
}

/// Automatic re-optimization as `ROSTER_AUTO_REOPTIMIZE` sets it up, with a time limit that a
/// loaded CI machine solves the small scenario well within.
fn auto() -> AutoReoptimize {
    AutoReoptimize { max_attempts: 3, options: JobOptions { time_limit_secs: 20.0, ..JobOptions::default() } }
}

/// A driver (not one of `except`) who works on one of `days`, and the first of them they work.
fn rostered_in(cells: &Cells, days: std::ops::RangeInclusive<i32>, except: &[&str]) -> (String, i32) {
    let (driver, _) = cells
        .keys()
        .find(|(d, day)| days.contains(day) && !except.contains(&d.as_str()))
        .expect("someone works on those days");
    let first = cells.keys().filter(|(d, day)| d == driver && days.contains(day)).map(|(_, day)| *day).min();
    (driver.clone(), first.expect("a worked day"))
}

/// The first day of `driver`'s working block that contains `day`: where a repair of that day must
/// be free to start, so that the block can shrink without breaking the minimum consecutive days.
fn block_start(cells: &Cells, driver: &str, day: i32) -> i32 {
    let mut start = day;
    while start > 0 && cells.contains_key(&(driver.to_string(), start - 1)) {
        start -= 1;
    }
    start
}

/// The jobs derived from `roster` (id, trigger, submitter, status), oldest first.
async fn derived_jobs(db: &TestDb, roster: Uuid) -> Vec<(Uuid, String, Option<String>, String)> {
    sqlx::query_as(
        "SELECT id, trigger, submitted_by, status FROM jobs WHERE baseline_roster_id = $1 ORDER BY created_at",
    )
    .bind(roster)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

/// Days on which two rosters differ.
fn changed_days(before: &Cells, after: &Cells) -> BTreeSet<i32> {
    before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).map(|(_, day)| *day).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_reoptimization_an_absence_breaking_a_published_roster_queues_one_job_that_yields_a_draft() {
    let metrics = service::telemetry::metrics_handle();
    let db = TestDb::create().await;
    let topics = fresh_topics(1).await;
    let Published { roster_id, start_date, cells: before } = solved_published_roster(&db.pool, &topics).await;
    let (sick, first_day) = rostered_in(&before, 7..=9, &[]);
    let window = block_start(&before, &sick, first_day);
    let running = start_consumer_with(&db, &topics, Some(auto()));

    let message = absence_message("A-1", &sick, start_date + Days::new(7), 3, 1);
    send_raw(&hr_producer(), &topics.absences, &sick, &message).await;
    stop_after_committing(running, &topics, 1).await;

    let jobs = derived_jobs(&db, roster_id).await;
    assert_eq!(jobs.len(), 1, "exactly one re-optimization: {jobs:?}");
    let (job_id, trigger, submitted_by, status) = jobs[0].clone();
    assert_eq!(
        (trigger.as_str(), submitted_by.as_deref(), status.as_str()),
        ("hr_absence", Some("hr-consumer"), "queued")
    );
    let trail = audit::list(&db.pool, RosterId(roster_id)).await.unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    let entry = &trail[0];
    assert_eq!((entry.action.as_str(), entry.actor.as_str(), entry.version), ("reoptimize", "hr-consumer", 3));
    assert_eq!(entry.details["job_id"], json!(job_id));
    assert_eq!(entry.details["trigger"], "hr_absence");
    assert_eq!(entry.details["window_from_day"], window, "the window opens where the first broken block starts");
    assert!(entry.reason.as_deref().is_some_and(|r| r.contains("A-1")), "the audit names the absence: {entry:?}");
    let queued: Value = sqlx::query_scalar("SELECT payload FROM outbox WHERE key = $1 ORDER BY id LIMIT 1")
        .bind(job_id.to_string())
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((&queued["data"]["status"], &queued["actor"]), (&json!("queued"), &json!("hr-consumer")));

    solve_next(&worker(&db.pool, &topics)).await;
    let (status, draft): (String, Option<Uuid>) =
        sqlx::query_as("SELECT j.status, r.id FROM jobs j LEFT JOIN rosters r ON r.job_id = j.id WHERE j.id = $1")
            .bind(job_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(status, "succeeded");
    let draft = draft.expect("the job stored a roster");
    let row = service::db::rosters::get(&db.pool, RosterId(draft)).await.unwrap().expect("the draft");
    assert_eq!((row.status.as_str(), row.version), ("draft", 1), "a new roster, waiting for review");
    assert_eq!(service::db::rosters::parent(&db.pool, RosterId(draft)).await.unwrap(), Some(RosterId(roster_id)));
    let after = cells(&db.pool, draft).await;
    for day in 7..=9 {
        assert!(!after.contains_key(&(sick.clone(), day)), "{sick} is sick on day {day} and must not work");
    }
    let changed = changed_days(&before, &after);
    assert!(changed.contains(&first_day), "the broken day is repaired: {changed:?}");
    assert!(changed.iter().all(|&d| d >= window), "nothing changes before day {window}: {changed:?}");
    let original = service::db::rosters::get(&db.pool, RosterId(roster_id)).await.unwrap().expect("the original");
    assert_eq!(original.status, "published", "the published roster stays until the draft replaces it");
    let rendered = metrics.render();
    assert!(rendered.contains(r#"roster_auto_reoptimizations_total{outcome="queued"}"#), "{rendered}");
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_absence_and_another_one_while_the_repair_is_pending_queue_nothing_new() {
    let metrics = service::telemetry::metrics_handle();
    let db = TestDb::create().await;
    let topics = fresh_topics(1).await;
    let Published { roster_id, start_date, cells: before } = solved_published_roster(&db.pool, &topics).await;
    let (first, _) = rostered_in(&before, 7..=9, &[]);
    let (second, second_day) = rostered_in(&before, 1..=13, &[first.as_str()]);
    let running = start_consumer_with(&db, &topics, Some(auto()));
    let producer = hr_producer();

    let sick = absence_message("A-1", &first, start_date + Days::new(7), 3, 1);
    send_raw(&producer, &topics.absences, &first, &sick).await;
    send_raw(&producer, &topics.absences, &first, &sick).await; // redelivered
    let other = absence_message("A-2", &second, start_date + Days::new(second_day as u64), 1, 1);
    send_raw(&producer, &topics.absences, &second, &other).await;
    stop_after_committing(running, &topics, 3).await;

    let jobs = derived_jobs(&db, roster_id).await;
    assert_eq!(jobs.len(), 1, "one re-optimization for the roster while it is pending: {jobs:?}");
    let mut conn = db.pool.acquire().await.unwrap();
    let broken: BTreeSet<String> =
        absences::disruptions(&mut conn, roster_id).await.unwrap().into_iter().map(|d| d.absence_id).collect();
    assert_eq!(broken, BTreeSet::from(["A-1".to_string(), "A-2".to_string()]), "both absences break the roster");
    drop(conn);
    let trail = audit::list(&db.pool, RosterId(roster_id)).await.unwrap();
    assert_eq!(trail.iter().filter(|e| e.action == "reoptimize").count(), 1, "{trail:?}");
    let rendered = metrics.render();
    assert!(rendered.contains(r#"roster_auto_reoptimizations_total{outcome="already_pending"}"#), "{rendered}");
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_reoptimization_off_an_absence_that_breaks_a_published_roster_only_marks_it() {
    let db = TestDb::create().await;
    let topics = fresh_topics(1).await;
    let Published { roster_id, start_date, cells: before } = solved_published_roster(&db.pool, &topics).await;
    let (sick, _) = rostered_in(&before, 7..=9, &[]);
    let running = start_consumer(&db, &topics);

    let message = absence_message("A-1", &sick, start_date + Days::new(7), 3, 1);
    send_raw(&hr_producer(), &topics.absences, &sick, &message).await;
    stop_after_committing(running, &topics, 1).await;

    let mut conn = db.pool.acquire().await.unwrap();
    assert!(!absences::disruptions(&mut conn, roster_id).await.unwrap().is_empty(), "the roster is marked broken");
    drop(conn);
    let jobs = derived_jobs(&db, roster_id).await;
    assert!(jobs.is_empty(), "no job without ROSTER_AUTO_REOPTIMIZE: {jobs:?}");
    assert!(audit::list(&db.pool, RosterId(roster_id)).await.unwrap().is_empty());
    db.remove().await;
}
