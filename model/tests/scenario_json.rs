//! The native JSON format: the committed JSON Schema stays current and accepts the datasets, malformed
//! documents give errors naming the path, validation reports every problem at once, and rosters round
//! trip through JSON and export to CSV.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Builder, driver_with, early, grid, late, night};
use model::formats::csv::roster_csv;
use model::formats::json::{RosterDocument, parse_roster, parse_scenario, scenario_schema};
use model::{Issue, Minutes, ModelError, Money, Roster, Scenario, ScenarioIndex};
use serde_json::{Value, json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn schema_path() -> PathBuf {
    Path::new(ROOT).join("datasets/scenario.schema.json")
}

fn committed_schema() -> Value {
    let path = schema_path();
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; create it with `cargo run -- schema > datasets/scenario.schema.json`",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A small scenario using every part of the format.
fn rich_scenario() -> Scenario {
    Builder::week_of(7)
        .driver(driver_with("A", |c| {
            c.hourly_rate = Money(3000);
            c.max_minutes = Some(Minutes(2880));
            c.max_consecutive_days = Some(5);
            c.max_weekends = Some(1);
        }))
        .drivers(&["B"])
        .qualifications("A", &["L1"])
        .depot("A", "north")
        .max_shifts("B", "N", 2)
        .unavailable("B", 3, model::AbsenceReason::Leave)
        .demand(0, "E", 1, 50_000, 2_000)
        .on_request("A", 1, "L", 300)
        .off_request("B", 2, None, 200)
        .pin("A", 0, Some("E"))
        .pin("B", 6, None)
        .history("A", 1, "N")
        .baseline("A", 0, "E")
        .min_rest(660)
        .with(|s| {
            s.overtime.night_premium_percent = 25;
            s.overtime.holidays = vec!["2024-01-03".parse().expect("date")];
            s.weights.change = Money(100);
        })
        .build()
}

/// `rich_scenario` as a JSON value, changed by `f`, then read back.
fn parse_changed(f: impl FnOnce(&mut Value)) -> Result<Scenario, ModelError> {
    let mut v = serde_json::to_value(rich_scenario()).expect("serializes");
    f(&mut v);
    parse_scenario(&v.to_string())
}

fn json_error(f: impl FnOnce(&mut Value)) -> (String, String) {
    match parse_changed(f) {
        Err(ModelError::Json { path, message }) => (path, message),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

/// The validation issues of `rich_scenario` changed by `f`, as `path: message`.
fn issues_of(f: impl FnOnce(&mut Scenario)) -> Vec<String> {
    let mut s = rich_scenario();
    f(&mut s);
    model::validate::validate(&s).iter().map(Issue::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// (a) The committed schema.

#[test]
fn the_committed_schema_file_equals_the_generated_schema() {
    assert!(
        committed_schema() == scenario_schema(),
        "datasets/scenario.schema.json is out of date; regenerate it with \
         `cargo run -- schema > datasets/scenario.schema.json`"
    );
    let text = fs::read_to_string(schema_path()).expect("schema file");
    assert!(text.ends_with("}\n"), "the schema file ends with a newline after the closing brace");
}

// ---------------------------------------------------------------------------------------------
// (b) The datasets and a built scenario satisfy the schema.

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&committed_schema()).expect("the committed schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

fn metro_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("datasets/metro");
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path().join("scenario.json")).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_metro_dataset_scenario_satisfies_the_committed_schema_and_validation() {
    let v = validator();
    for path in metro_scenarios() {
        let text = fs::read_to_string(&path).expect("readable scenario");
        let instance: Value = serde_json::from_str(&text).expect("JSON");
        let errors = schema_errors(&v, &instance);
        assert!(errors.is_empty(), "{} breaks the schema: {errors:#?}", path.display());
        let scenario = parse_scenario(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let issues = model::validate::validate(&scenario);
        assert!(issues.is_empty(), "{}: {issues:#?}", path.display());
    }
}

#[test]
fn a_scenario_built_in_the_test_and_serialized_satisfies_the_committed_schema() {
    let instance = serde_json::to_value(rich_scenario()).expect("serializes");
    assert_eq!(schema_errors(&validator(), &instance), Vec::<String>::new());
    // The default-valued parts may be left out.
    let minimal = json!({
        "name": "minimal",
        "horizon": {"start_date": "2024-01-01", "days": 7},
        "shift_types": [{"id": "E", "start": 360, "duration": 480}],
        "drivers": [{"id": "A", "contract": {"kind": "full_time", "weekly_minutes": 2400, "hourly_rate": 0}}]
    });
    assert_eq!(schema_errors(&validator(), &minimal), Vec::<String>::new());
    assert!(parse_scenario(&minimal.to_string()).is_ok());
}

#[test]
fn the_schema_rejects_what_the_reader_rejects() {
    let v = validator();
    let mut wrong_type = serde_json::to_value(rich_scenario()).expect("serializes");
    wrong_type["horizon"]["days"] = json!("x");
    let errors = schema_errors(&v, &wrong_type);
    assert!(errors.iter().any(|e| e.starts_with("/horizon/days")), "{errors:?}");
    let mut unknown = serde_json::to_value(rich_scenario()).expect("serializes");
    unknown["drivers"][0]["colour"] = json!("blue");
    assert!(!v.is_valid(&unknown));
    let mut missing = serde_json::to_value(rich_scenario()).expect("serializes");
    missing.as_object_mut().expect("object").remove("drivers");
    assert!(!v.is_valid(&missing));
}

// ---------------------------------------------------------------------------------------------
// (c) Malformed documents.

#[test]
fn a_value_of_the_wrong_type_is_reported_at_its_path() {
    let (path, message) = json_error(|v| v["horizon"]["days"] = json!("x"));
    assert_eq!(path, "horizon.days");
    assert!(message.starts_with("invalid type: string \"x\""), "{message}");
    let (path, _) = json_error(|v| v["drivers"][1]["contract"]["weekly_minutes"] = json!(true));
    assert_eq!(path, "drivers[1].contract.weekly_minutes");
    let (path, _) = json_error(|v| v["shift_types"][2]["tags"] = json!(["daytime"]));
    assert_eq!(path, "shift_types[2].tags[0]");
}

#[test]
fn the_error_display_starts_with_the_path_and_ends_with_the_line_and_column() {
    let err =
        parse_scenario("{\n  \"name\": \"x\",\n  \"horizon\": {\"start_date\": \"2024-01-01\", \"days\": \"x\"}\n}")
            .expect_err("wrong type");
    let shown = err.to_string();
    assert!(shown.starts_with("horizon.days: invalid type: string \"x\""), "{shown}");
    assert!(shown.ends_with("(line 3, column 53)"), "{shown}");
}

#[test]
fn a_missing_field_is_reported_at_the_object_that_lacks_it() {
    let (path, message) = json_error(|v| {
        v["shift_types"][0].as_object_mut().expect("object").remove("start");
    });
    assert_eq!(path, "shift_types[0]");
    assert!(message.starts_with("missing field `start`"), "{message}");
    let (path, message) = json_error(|v| {
        v.as_object_mut().expect("object").remove("drivers");
    });
    assert_eq!(path, ".");
    assert!(message.starts_with("missing field `drivers`"), "{message}");
}

#[test]
fn an_unknown_field_is_reported_with_its_path() {
    let (path, message) = json_error(|v| v["drivers"][0]["colour"] = json!("blue"));
    assert_eq!(path, "drivers[0].colour");
    assert!(message.starts_with("unknown field `colour`"), "{message}");
    let (path, _) = json_error(|v| v["horizon"]["end_date"] = json!("2024-01-07"));
    assert_eq!(path, "horizon.end_date");
}

#[test]
fn a_negative_duration_reads_but_fails_validation_at_its_path() {
    let s = parse_changed(|v| v["shift_types"][0]["duration"] = json!(-480)).expect("well-typed");
    let issues = model::validate::validate(&s);
    assert_eq!(issues, [Issue::new("shift_types[0].duration", "must be between 1 and 1440 minutes, got -480")]);
}

#[test]
fn a_maximum_below_the_minimum_names_both_numbers() {
    let issues = issues_of(|s| {
        s.drivers[0].contract.min_minutes = Minutes(2880);
        s.drivers[0].contract.max_minutes = Some(Minutes(2400));
    });
    assert_eq!(issues, ["drivers[0].contract: max_minutes 2400 < min_minutes 2880"]);
}

#[test]
fn an_unknown_shift_in_a_request_is_reported_at_the_request() {
    let issues = issues_of(|s| s.requests[0].shift = Some("X".into()));
    assert_eq!(issues, ["requests[0].shift: unknown shift type \"X\""]);
    let issues = issues_of(|s| s.requests[1].driver = "Z".into());
    assert_eq!(issues, ["requests[1].driver: unknown driver \"Z\""]);
}

#[test]
fn duplicate_ids_are_reported_at_the_second_occurrence() {
    let issues = issues_of(|s| {
        s.drivers[1].id = "A".into();
        s.shift_types[1].id = "E".into();
    });
    assert!(issues.contains(&"drivers[1].id: duplicate driver id \"A\"".to_owned()), "{issues:#?}");
    assert!(issues.contains(&"shift_types[1].id: duplicate shift type id \"E\"".to_owned()), "{issues:#?}");
}

#[test]
fn a_day_outside_the_horizon_is_reported_wherever_it_appears() {
    let issues = issues_of(|s| {
        s.requests[0].day = 9;
        s.demand[0].day = 7;
        s.pins[1].day = 100;
        s.drivers[1].unavailable[0].day = 8;
    });
    assert_eq!(
        issues,
        [
            "drivers[1].unavailable[0].day: day 8 is outside the horizon of 7 days (0..7)",
            "demand[0].day: day 7 is outside the horizon of 7 days (0..7)",
            "requests[0].day: day 9 is outside the horizon of 7 days (0..7)",
            "pins[1].day: day 100 is outside the horizon of 7 days (0..7)",
        ]
    );
}

#[test]
fn validation_returns_every_problem_at_once() {
    let mut s = rich_scenario();
    s.shift_types[0].duration = Minutes(-480);
    s.drivers[0].contract.min_minutes = Minutes(2880);
    s.drivers[0].contract.max_minutes = Some(Minutes(2400));
    s.requests[0].shift = Some("X".into());
    s.drivers[1].id = "A".into();
    s.pins[0].day = 7;
    s.overtime.tiers.clear();
    let expected = [
        "shift_types[0].duration: must be between 1 and 1440 minutes, got -480",
        "drivers[0].contract: max_minutes 2400 < min_minutes 2880",
        "drivers[1].id: duplicate driver id \"A\"",
        "overtime.tiers: at least one tier is required",
        "requests[0].shift: unknown shift type \"X\"",
        // Renaming B to A leaves B's request and pin pointing at nobody.
        "requests[1].driver: unknown driver \"B\"",
        "pins[0].day: day 7 is outside the horizon of 7 days (0..7)",
        "pins[1].driver: unknown driver \"B\"",
    ];
    let issues: Vec<String> = model::validate::validate(&s).iter().map(Issue::to_string).collect();
    assert_eq!(issues, expected);
    // The index refuses the scenario with the same list.
    match ScenarioIndex::new(s) {
        Err(ModelError::Invalid(all)) => {
            assert_eq!(all.iter().map(Issue::to_string).collect::<Vec<_>>(), expected);
        }
        other => panic!("expected an invalid scenario, got {other:?}"),
    }
}

#[test]
fn the_rich_scenario_is_valid_and_round_trips_through_json() {
    let s = rich_scenario();
    assert_eq!(model::validate::validate(&s), []);
    let text = serde_json::to_string_pretty(&s).expect("serializes");
    assert_eq!(parse_scenario(&text).expect("reads back"), s);
}

// ---------------------------------------------------------------------------------------------
// (d) Rosters.

fn solved() -> (ScenarioIndex, model::RosterGrid) {
    let ix = Builder::new(common::MONDAY, 7)
        .shift(early())
        .shift(late())
        .shift(night())
        .drivers(&["A", "B"])
        .demand(0, "E", 1, 100, 1)
        .index();
    let g = grid(&ix, &[("A", "E E - L L - -"), ("B", "- N N - - - E")]);
    (ix, g)
}

#[test]
fn a_roster_document_read_back_gives_the_same_roster() {
    let (ix, g) = solved();
    let eval = model::evaluate(&ix, &g);
    let doc = RosterDocument::new(&ix, &g, &eval);
    let text = serde_json::to_string_pretty(&doc).expect("serializes");
    let roster = parse_roster(&text).expect("reads back");
    assert_eq!(roster, Roster::from_grid(&ix, &g));
    assert_eq!(roster.assignments.len(), 7);
    let (back, doubles) = roster.to_grid(&ix).expect("resolves");
    assert_eq!((back, doubles.len()), (g, 0));
    // The evaluation travels with the document (and is ignored when reading).
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["objective"]["total"], json!(eval.objective.total().cents()));
    assert_eq!(v["days"], json!(7));
    assert_eq!(v["assignments"][0], json!({"driver": "A", "day": 0, "date": "2024-01-01", "shift": "E"}));
}

#[test]
fn a_roster_document_with_a_bad_value_names_its_path() {
    let text = r#"{"start_date": "2024-01-01", "assignments": [{"driver": "A", "day": -1, "date": "2024-01-01", "shift": "E"}]}"#;
    match parse_roster(text) {
        Err(ModelError::Json { path, .. }) => assert_eq!(path, "assignments[0].day"),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn the_csv_export_has_a_header_and_one_line_per_assignment() {
    let (ix, g) = solved();
    let roster = Roster::from_grid(&ix, &g);
    let csv = roster_csv(&ix.scenario, &roster);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + roster.assignments.len());
    assert_eq!(lines[0], "driver,day,date,shift,start,duration_minutes");
    assert_eq!(lines[1], "A,0,2024-01-01,E,06:00,480");
    assert_eq!(lines[5], "B,1,2024-01-02,N,22:00,480");
    assert_eq!(lines[7], "B,6,2024-01-07,E,06:00,480");
}
