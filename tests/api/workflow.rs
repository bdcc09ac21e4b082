//! The dispatcher workflow: transitions, validated edits with optimistic versioning, re-optimization
//! after a disruption (asked for, or queued by the HR consumer as a draft to review), exports.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use reqwest::Client;
use serde_json::{Value, json};
use service::db::absences::ApplyOutcome;
use service::events::envelope::{AbsenceKind, AbsenceRecorded};
use service::identity::Role;
use service::reoptimization::{AutoOutcome, AutoReoptimize};

use crate::helpers::{TestApp, small_scenario, spawn_app};

/// Solves `scenario` and returns the roster id.
async fn solved_roster(app: &TestApp, scenario: &Value) -> String {
    let id = app.upload(scenario).await;
    let job = app.submit(&id, 20.0).await;
    let done = app.wait_until_ended(&job).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    done["roster_id"].as_str().expect("roster").to_string()
}

async fn etag(app: &TestApp, roster: &str) -> String {
    let res = app.get(&format!("/v1/rosters/{roster}")).await;
    res.headers()["etag"].to_str().expect("etag").to_string()
}

async fn transition(app: &TestApp, roster: &str, to: &str) -> (u16, Value) {
    let res = app.post_json(&format!("/v1/rosters/{roster}/transitions"), &json!({"to": to, "reason": "review"})).await;
    (res.status().as_u16(), res.json().await.expect("json"))
}

async fn patch(app: &TestApp, roster: &str, tag: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .patch(app.url(&format!("/v1/rosters/{roster}/assignments")))
        .header("if-match", tag)
        .json(body)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn every_legal_transition_is_taken_and_every_illegal_one_names_the_current_and_allowed_states() {
    let app = spawn_app(1).await;
    let scenario = small_scenario(6, 7, 11);
    let a = solved_roster(&app, &scenario).await;
    let b = solved_roster(&app, &scenario).await;

    let (s, p) = transition(&app, &a, "published").await;
    assert_eq!(s, 409);
    assert_eq!(p["current_state"], "proposed");
    assert_eq!(p["allowed"], json!(["approved", "rejected"]));
    assert_eq!(transition(&app, &a, "approved").await.0, 200);
    let (s, p) = transition(&app, &a, "rejected").await;
    assert_eq!((s, p["allowed"].clone()), (409, json!(["published"])));
    assert_eq!(transition(&app, &a, "published").await.0, 200);
    let topics: Vec<String> =
        sqlx::query_scalar("SELECT topic FROM outbox WHERE topic <> 'roster.jobs.v1' ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("outbox");
    assert_eq!(topics.first().map(String::as_str), Some("roster.published.v1"), "publishing enqueues the roster");
    assert!(topics[1..].iter().all(|t| t == "payroll.cost-forecast.v1") && topics.len() > 1, "then its cost forecasts");
    assert_eq!(transition(&app, &a, "approved").await.0, 409);
    assert_eq!(transition(&app, &a, "superseded").await.0, 200);
    let (s, p) = transition(&app, &a, "published").await;
    assert_eq!((s, p["allowed"].clone()), (409, json!([])));

    assert_eq!(transition(&app, &b, "rejected").await.0, 200);
    assert_eq!(transition(&app, &b, "approved").await.0, 409);
    assert_eq!(transition(&app, &b, "archived").await.0, 422);

    let trail: Value = app.get(&format!("/v1/rosters/{a}/audit")).await.json().await.expect("json");
    let moves: Vec<&str> = trail.as_array().expect("trail").iter().filter_map(|e| e["to_status"].as_str()).collect();
    assert_eq!(moves, ["approved", "published", "superseded"]);
    let roster: Value = app.get(&format!("/v1/rosters/{a}")).await.json().await.expect("json");
    assert_eq!(roster["version"], 4, "each transition bumps the version");
    app.stop().await;
}

#[tokio::test]
async fn an_edit_that_breaks_the_rest_rule_is_refused_then_forced_with_a_reason_and_audited() {
    let app = spawn_app(1).await;
    let roster_id = solved_roster(&app, &small_scenario(8, 14, 12)).await;
    let roster: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    // A late shift followed by the same line's early shift the next morning leaves too little rest.
    let late = roster["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|a| a["shift_id"].as_str().is_some_and(|s| s.ends_with('L')) && a["day"].as_i64() < Some(13))
        .expect("a late shift");
    let early = late["shift_id"].as_str().expect("id").trim_end_matches('L').to_string() + "E";
    let change =
        json!([{"driver_id": late["driver_id"], "day": late["day"].as_i64().expect("day") + 1, "shift_id": early}]);
    let tag = etag(&app, &roster_id).await;

    let (s, p) = patch(&app, &roster_id, &tag, &json!({"changes": change})).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["errors"].as_array().expect("errors").iter().any(|e| e["path"] == "rule R2"), "{p}");
    let (s, p) = patch(&app, &roster_id, &tag, &json!({"changes": change, "force": true})).await;
    assert_eq!((s, p["errors"][0]["path"].clone()), (422, json!("reason")));
    let unchanged: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    assert_eq!(unchanged["version"], 1, "refused edits write nothing");

    let forced = json!({"changes": change, "force": true, "reason": "no relief driver; agreed with the union rep"});
    let (s, p) = patch(&app, &roster_id, &tag, &forced).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["forced"], true);
    assert!(p["violations"].as_array().expect("violations").iter().any(|v| v["rule"] == "R2"));
    assert!(p["cost_delta_cents"].is_i64());
    let after: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    assert_eq!(after["version"], 2);
    assert!(after["hard_violations"].as_i64() > Some(0));

    let trail: Value = app.get(&format!("/v1/rosters/{roster_id}/audit")).await.json().await.expect("json");
    let entry = &trail[0];
    assert_eq!(entry["action"], "forced_edit");
    assert_eq!(entry["actor"], "admin", "the session user is the actor");
    assert_eq!(entry["reason"], "no relief driver; agreed with the union rep");
    app.stop().await;
}

#[tokio::test]
async fn of_two_concurrent_edits_with_the_same_version_one_wins_and_the_other_gets_412() {
    let app = spawn_app(1).await;
    let roster_id = solved_roster(&app, &small_scenario(8, 14, 13)).await;
    let tag = etag(&app, &roster_id).await;
    let edit = |driver: &str| json!({"changes": [{"driver_id": driver, "day": 3, "shift_id": null}], "force": true, "reason": "test"});
    let drivers: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    let d0 = drivers["drivers"][0]["driver_id"].as_str().expect("driver").to_string();
    let d1 = drivers["drivers"][1]["driver_id"].as_str().expect("driver").to_string();
    let (e0, e1) = (edit(&d0), edit(&d1));
    let (r0, r1) = tokio::join!(patch(&app, &roster_id, &tag, &e0), patch(&app, &roster_id, &tag, &e1));
    let mut statuses = [r0.0, r1.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    app.stop().await;
}

#[tokio::test]
async fn many_concurrent_multi_row_edits_all_finish_without_deadlock() {
    let app = spawn_app(1).await;
    let roster_id = solved_roster(&app, &small_scenario(8, 14, 14)).await;
    let roster: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    let drivers: Vec<String> = roster["drivers"]
        .as_array()
        .expect("drivers")
        .iter()
        .map(|d| d["driver_id"].as_str().expect("id").to_string())
        .collect();
    let editors = (0..8).map(|k| {
        let (app, roster_id, drivers) = (&app, roster_id.clone(), drivers.clone());
        async move {
            // Each editor touches several cells, half of them in reverse key order.
            let mut cells: Vec<Value> =
                (0..4).map(|i| json!({"driver_id": drivers[(k + i) % drivers.len()], "day": (k * 3 + i) % 14, "shift_id": null})).collect();
            if k % 2 == 1 {
                cells.reverse();
            }
            let body = json!({"changes": cells, "force": true, "reason": "load test"});
            for _ in 0..200 {
                let tag = etag(app, &roster_id).await;
                let (s, p) = patch(app, &roster_id, &tag, &body).await;
                match s {
                    200 => return,
                    412 => tokio::time::sleep(Duration::from_millis(5 * (k as u64 + 1))).await,
                    other => panic!("edit failed with {other}: {p}"),
                }
            }
            panic!("editor {k} never got its turn");
        }
    });
    futures::future::join_all(editors).await;
    let after: Value = app.get(&format!("/v1/rosters/{roster_id}")).await.json().await.expect("json");
    assert_eq!(after["version"], 9, "every edit landed once");
    app.stop().await;
}

/// Cells (driver, day) → shift of a roster.
async fn cells(app: &TestApp, roster: &str) -> std::collections::BTreeMap<(String, i64), String> {
    let r: Value = app.get(&format!("/v1/rosters/{roster}")).await.json().await.expect("json");
    r["assignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .map(|a| {
            let key = (a["driver_id"].as_str().expect("d").to_string(), a["day"].as_i64().expect("day"));
            (key, a["shift_id"].as_str().expect("s").to_string())
        })
        .collect()
}

fn changes(
    a: &std::collections::BTreeMap<(String, i64), String>,
    b: &std::collections::BTreeMap<(String, i64), String>,
) -> usize {
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(k) != b.get(k)).count()
}

#[tokio::test]
async fn a_sick_driver_is_reoptimized_with_fewer_changes_than_a_fresh_solve_and_none_before_the_window() {
    let app = spawn_app(1).await;
    let scenario = small_scenario(10, 14, 15);
    let original = solved_roster(&app, &scenario).await;
    let before = cells(&app, &original).await;
    let (sick, _) = before.keys().find(|(_, day)| (7..=9).contains(day)).expect("someone works days 7-9").clone();

    let request = json!({
        "absences": [{"driver_id": sick, "from_day": 7, "to_day": 9, "reason": "sick"}],
        "window": {"from_day": 6},
        "options": {"time_limit_secs": 20}
    });
    let res = app.post_json(&format!("/v1/rosters/{original}/reoptimize"), &request).await;
    assert_eq!(res.status(), 202);
    let job: Value = res.json().await.expect("json");
    let done = app.wait_until_ended(job["id"].as_str().expect("job")).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["trigger"], "api");
    let repaired = done["roster_id"].as_str().expect("roster").to_string();
    let after = cells(&app, &repaired).await;
    let header: Value = app.get(&format!("/v1/rosters/{repaired}")).await.json().await.expect("json");
    assert_eq!(header["status"], "proposed", "what a user asked for goes straight to review");
    let trail: Value = app.get(&format!("/v1/rosters/{original}/audit")).await.json().await.expect("json");
    assert_eq!((&trail[0]["action"], &trail[0]["actor"]), (&json!("reoptimize"), &json!("admin")));

    let diff: Value = app.get(&format!("/v1/rosters/{repaired}/diff")).await.json().await.expect("json");
    assert_eq!(diff["parent_roster_id"], json!(original));
    assert!(
        diff["days"].as_array().expect("days").iter().all(|d| d.as_i64() >= Some(6)),
        "nothing before the window: {diff}"
    );
    assert!((7..=9).all(|d| !after.contains_key(&(sick.clone(), d))), "the sick driver is off");
    assert_eq!(diff["cells"].as_array().expect("cells").len(), changes(&before, &after));

    // A fresh solve of the same disruption, without the baseline.
    let mut fresh = scenario.clone();
    let index =
        fresh["drivers"].as_array().expect("drivers").iter().position(|d| d["id"] == json!(sick)).expect("driver");
    let driver = fresh["drivers"][index].as_object_mut().expect("driver");
    let off = driver.entry("unavailable").or_insert_with(|| json!([])).as_array_mut().expect("unavailable");
    for day in 7..=9 {
        if !off.iter().any(|u| u["day"] == day) {
            off.push(json!({"day": day, "reason": "sick"}));
        }
    }
    let fresh_roster = solved_roster(&app, &fresh).await;
    let fresh_cells = cells(&app, &fresh_roster).await;
    assert!(
        changes(&before, &after) < changes(&before, &fresh_cells),
        "re-optimization changed {} cells, a fresh solve {}",
        changes(&before, &after),
        changes(&before, &fresh_cells)
    );
    app.stop().await;
}

async fn transition_as(app: &TestApp, client: &Client, roster: &str, to: &str) -> (u16, Value) {
    let res = client
        .post(app.url(&format!("/v1/rosters/{roster}/transitions")))
        .json(&json!({"to": to, "reason": "reviewed the repair"}))
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn a_draft_queued_after_an_hr_absence_is_proposed_by_a_dispatcher_before_it_can_be_approved() {
    let app = spawn_app(1).await;
    let original = solved_roster(&app, &small_scenario(10, 14, 15)).await;
    assert_eq!(transition(&app, &original, "approved").await.0, 200);
    assert_eq!(transition(&app, &original, "published").await.0, 200);
    let before = cells(&app, &original).await;
    let (sick, _) = before.keys().find(|(_, day)| (7..=9).contains(day)).expect("someone works days 7-9").clone();

    // What the HR consumer does with ROSTER_AUTO_REOPTIMIZE on, without the broker (the Kafka path
    // is covered by service/tests/events.rs): apply the absence and queue the repair in one transaction.
    let monday = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let absence = AbsenceRecorded {
        absence_id: "A-17".into(),
        driver_id: sick.clone(),
        kind: AbsenceKind::Sickness,
        from: monday + Days::new(7),
        to: monday + Days::new(9),
        driver_version: 1,
    };
    let mut tx = app.pool.begin().await.expect("transaction");
    let applied = service::db::absences::apply(&mut tx, &absence, uuid::Uuid::new_v4()).await.expect("applied");
    assert!(matches!(applied, ApplyOutcome::Applied { disruptions } if disruptions > 0), "{applied:?}");
    let auto = AutoReoptimize::new(3);
    let outcomes = service::reoptimization::after_absence(&mut tx, &absence, &auto, &app.settings.kafka.topics)
        .await
        .expect("queued");
    tx.commit().await.expect("commit");
    let [AutoOutcome::Queued { job_id, .. }] = outcomes.as_slice() else { panic!("one job queued: {outcomes:?}") };

    let done = app.wait_until_ended(&job_id.to_string()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!((&done["trigger"], &done["submitted_by"]), (&json!("hr_absence"), &json!("hr-consumer")));
    let draft = done["roster_id"].as_str().expect("roster").to_string();
    let header: Value = app.get(&format!("/v1/rosters/{draft}")).await.json().await.expect("json");
    assert_eq!(header["status"], "draft");

    let planner = app.client_as(Role::Planner).await;
    assert_eq!(transition_as(&app, &planner, &draft, "proposed").await.0, 403, "planners do not review");
    let dispatcher = app.client_as(Role::Dispatcher).await;
    let (s, p) = transition_as(&app, &dispatcher, &draft, "approved").await;
    assert_eq!((s, &p["current_state"], &p["allowed"]), (409, &json!("draft"), &json!(["proposed"])), "{p}");
    let (s, p) = transition_as(&app, &dispatcher, &draft, "proposed").await;
    assert_eq!((s, &p["status"], &p["version"]), (200, &json!("proposed"), &json!(2)), "{p}");
    assert_eq!(transition_as(&app, &dispatcher, &draft, "approved").await.0, 200);

    let trail: Value = app.get(&format!("/v1/rosters/{draft}/audit")).await.json().await.expect("json");
    let moves: Vec<(&str, &str)> = trail
        .as_array()
        .expect("trail")
        .iter()
        .map(|e| (e["from_status"].as_str().unwrap_or(""), e["to_status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(moves, [("draft", "proposed"), ("proposed", "approved")]);
    assert!(trail[0]["actor"].as_str().is_some_and(|a| a.starts_with("dispatcher")), "{trail}");
    let trail: Value = app.get(&format!("/v1/rosters/{original}/audit")).await.json().await.expect("json");
    let queued = trail.as_array().expect("trail").iter().find(|e| e["action"] == "reoptimize").expect("recorded");
    assert_eq!((&queued["actor"], &queued["details"]["job_id"]), (&json!("hr-consumer"), &json!(job_id)));
    app.stop().await;
}

#[tokio::test]
async fn exports_parse_back_icalendar_with_a_library_and_json_with_the_roster_reader() {
    let app = spawn_app(1).await;
    let roster_id = solved_roster(&app, &small_scenario(6, 7, 16)).await;
    let all = cells(&app, &roster_id).await;
    let (driver, _) = all.keys().next().expect("a worked shift").clone();

    let res = app.get(&format!("/v1/rosters/{roster_id}/export?format=ics&driver={driver}")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/calendar"));
    let text = res.text().await.expect("text");
    let calendar =
        ical::IcalParser::new(std::io::BufReader::new(text.as_bytes())).next().expect("one calendar").expect("parses");
    let worked = all.keys().filter(|(d, _)| *d == driver).count();
    assert_eq!(calendar.events.len(), worked);
    for e in &calendar.events {
        for prop in ["UID", "DTSTART", "DTEND", "SUMMARY"] {
            assert!(e.properties.iter().any(|p| p.name == prop && p.value.is_some()), "{prop} in {e:?}");
        }
    }

    let json_text = app.get(&format!("/v1/rosters/{roster_id}/export?format=json")).await.text().await.expect("text");
    let parsed = model::formats::json::parse_roster(&json_text).expect("roster document");
    assert_eq!(parsed.assignments.len(), all.len());
    let res = app.get(&format!("/v1/rosters/{roster_id}/export?format=ics")).await;
    assert_eq!(res.status(), 422, "ics needs a driver");
    app.stop().await;
}
