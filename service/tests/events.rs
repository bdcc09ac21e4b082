//! Events over Kafka, end to end: the outbox relay against the real broker (`scripts/kafka`) and
//! librdkafka's mock cluster for the outage, the HR absence consumer against the real broker.
//! Every test has its own database and its own topics.

#[path = "events/support.rs"]
mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{Days, NaiveDate};
use rdkafka::Message;
use rdkafka::message::Headers;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use serde_json::{Value, json};
use service::db::{absences, outbox};
use service::events::envelope::{self, JobStatus, JobStatusChanged};
use service::events::hr_consumer::{DLQ_REASON_HEADER, HrConsumer, HrConsumerConfig, parse_absence};
use service::events::relay::{Relay, RelayConfig};
use service::events::{Envelope, EventMeta, EventsError, KafkaConfig, Topics, emit};
use support::{
    PATIENCE, TestDb, brokers, committed_offset, create_topics, json, key, read_until, reader, seed_roster, wait_until,
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

/// Runs the HR consumer in a group of its own; returns its shutdown, its task and the group id.
fn start_consumer(db: &TestDb, topics: &Topics) -> (CancellationToken, JoinHandle<Result<(), EventsError>>, String) {
    let group_id = format!("roster-test-{}", Uuid::new_v4());
    let config = HrConsumerConfig { group_id: group_id.clone(), ..HrConsumerConfig::default() };
    let shutdown = CancellationToken::new();
    let consumer = HrConsumer::new(db.pool.clone(), kafka(brokers(), topics.clone()), config);
    (shutdown.clone(), tokio::spawn(consumer.run(shutdown)), group_id)
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
    let (shutdown, consumer, group) = start_consumer(&db, &topics);
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
    wait_until("the group committed the offset after the last of the 5 messages", || async {
        committed_offset(&brokers(), &group, &topics.absences) == Some(5)
    })
    .await;
    shutdown.cancel();
    consumer.await.unwrap().unwrap();

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
