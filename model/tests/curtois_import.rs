//! The Curtois & Qu importer against the 24 distributed instances (`datasets/curtois/`) and against
//! damaged copies of them.

use std::fs;

use model::formats::curtois::parse_curtois;
use model::{ModelError, RequestKind, Scenario};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../datasets/curtois/");

/// The table of `datasets/curtois/README.md` §1: employees, days, shift types, fixed days off,
/// on-requests, off-requests, cover lines, for Instance1 … Instance24.
const SIZES: [[usize; 7]; 24] = [
    [8, 14, 1, 8, 21, 5, 14],
    [14, 14, 2, 14, 50, 12, 28],
    [20, 14, 3, 20, 39, 25, 42],
    [10, 28, 2, 20, 52, 19, 56],
    [16, 28, 2, 32, 79, 27, 56],
    [18, 28, 3, 36, 87, 48, 84],
    [20, 28, 3, 40, 104, 64, 84],
    [30, 28, 4, 60, 139, 86, 112],
    [36, 28, 4, 72, 144, 88, 112],
    [40, 28, 5, 80, 210, 74, 140],
    [50, 28, 6, 100, 197, 139, 168],
    [60, 28, 10, 120, 294, 128, 280],
    [120, 28, 18, 240, 589, 252, 504],
    [32, 42, 4, 128, 266, 93, 168],
    [45, 42, 6, 180, 350, 140, 252],
    [20, 56, 3, 120, 177, 103, 168],
    [32, 56, 4, 160, 351, 129, 224],
    [22, 84, 3, 176, 322, 92, 252],
    [40, 84, 5, 320, 587, 247, 420],
    [50, 182, 6, 900, 1665, 653, 1092],
    [100, 182, 8, 1800, 3210, 1492, 1456],
    [50, 364, 10, 1800, 3253, 1385, 3640],
    [100, 364, 16, 3600, 6549, 2861, 5824],
    [150, 364, 32, 5400, 9540, 4269, 11648],
];

fn text(n: usize) -> String {
    let path = format!("{DIR}Instance{n}.txt");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn parse(n: usize) -> Scenario {
    parse_curtois(&text(n), &format!("Instance{n}")).unwrap_or_else(|e| panic!("Instance{n} does not parse: {e}"))
}

/// The line and message of the error a damaged text gives.
fn error_of(text: &str) -> (usize, String) {
    match parse_curtois(text, "damaged") {
        Err(ModelError::Curtois { line, message }) => (line, message),
        other => panic!("expected a Curtois error, got {other:?}"),
    }
}

/// Instance1 with the first line that starts with `prefix` replaced by `with`, and that line's number.
fn instance1_with_line(prefix: &str, with: &str) -> (String, usize) {
    let original = text(1);
    let mut lines: Vec<&str> = original.split("\r\n").collect();
    let i = lines.iter().position(|l| l.starts_with(prefix)).expect("line present in Instance1");
    lines[i] = with;
    (lines.join("\r\n"), i + 1)
}

#[test]
fn all_24_instances_parse_with_the_published_sizes() {
    for (i, expected) in SIZES.iter().enumerate() {
        let n = i + 1;
        let s = parse(n);
        let count = |kind| s.requests.iter().filter(|r| r.kind == kind).count();
        let sizes = [
            s.drivers.len(),
            s.horizon.days,
            s.shift_types.len(),
            s.drivers.iter().map(|d| d.unavailable.len()).sum(),
            count(RequestKind::On),
            count(RequestKind::Off),
            s.demand.len(),
        ];
        assert_eq!(&sizes, expected, "Instance{n}");
        assert_eq!(s.name, format!("Instance{n}"));
    }
}

#[test]
fn every_instance_passes_scenario_validation() {
    for n in 1..=24 {
        let issues = model::validate::validate(&parse(n));
        assert!(issues.is_empty(), "Instance{n}: {issues:?}");
    }
}

#[test]
fn the_import_keeps_the_facts_the_benchmark_readme_states() {
    let one = parse(1);
    assert_eq!(one.horizon.start_date.to_string(), "2024-01-01"); // a Monday, like day 0
    let a = &one.drivers[0];
    // A,D=14,4320,3360,5,2,2,1 over 14 days: weekly minutes ceil(4320 · 7 / 14) = 2160.
    assert_eq!(a.contract.weekly_minutes.get(), 2160);
    assert_eq!(a.contract.min_minutes.get(), 3360);
    assert_eq!(a.contract.max_consecutive_days, Some(5));
    assert_eq!((a.contract.min_consecutive_days, a.contract.min_consecutive_days_off), (2, 2));
    assert_eq!(a.contract.max_weekends, Some(1));
    // `L,480,E` in Instance2: E may not be worked the day after L.
    let two = parse(2);
    let late = two.shift_types.iter().find(|s| s.id.as_str() == "L").expect("shift L");
    assert_eq!(late.forbidden_next.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["E"]);
    let zero_cells = |s: &Scenario| s.demand.iter().filter(|d| d.required == 0).count();
    let last = parse(24);
    assert_eq!((zero_cells(&parse(15)), zero_cells(&last)), (10, 1020));
    let zero_max: usize = last.drivers.iter().map(|d| d.max_shifts.values().filter(|&&n| n == 0).count()).sum();
    assert_eq!(zero_max, 1631);
    assert!(last.demand.iter().all(|d| d.under_penalty.cents() == 100 && d.over_penalty.cents() == 1));
}

#[test]
fn crlf_and_lf_copies_give_identical_scenarios() {
    for n in 1..=24 {
        let crlf = text(n);
        assert!(crlf.contains("\r\n"), "Instance{n} is distributed with CRLF line endings");
        let lf = crlf.replace("\r\n", "\n");
        let name = format!("Instance{n}");
        assert_eq!(parse_curtois(&lf, &name).ok(), Some(parse(n)), "Instance{n}");
    }
}

#[test]
fn a_file_cut_in_the_middle_names_the_missing_sections_and_the_line_after_the_last() {
    let original = text(1);
    // Cut inside the days-off section, in the middle of a line.
    let cut = &original[..original.find("C,8").expect("days-off line of C") + 2];
    let last_line = cut.lines().count();
    let (line, msg) = error_of(cut);
    assert_eq!(line, last_line + 1);
    assert_eq!(
        msg,
        "file ends without SECTION_SHIFT_ON_REQUESTS, SECTION_SHIFT_OFF_REQUESTS, SECTION_COVER \
         (truncated?)"
    );
    // Cut inside the last section: the cover grid has a hole.
    let cut = &original[..original.find("10,D,2,100,1").expect("cover line of day 10")];
    let (line, msg) = error_of(cut);
    assert_eq!(line, cut.lines().count() + 1);
    assert_eq!(msg, "SECTION_COVER: no line for day 10, shift D (file truncated?)");
    // Cut in the middle of the last line: the field count is wrong on that line.
    let cut = original.trim_end().strip_suffix(",1").expect("last cover line ends in ,1");
    let (line, msg) = error_of(cut);
    assert_eq!(line, cut.lines().count());
    assert!(msg.starts_with("SECTION_COVER: expected 5 fields"), "{msg}");
}

#[test]
fn an_unknown_shift_id_names_its_line() {
    let (damaged, no) = instance1_with_line("3,D,4,100,1", "3,X,4,100,1");
    assert_eq!(error_of(&damaged), (no, "SECTION_COVER: unknown shift id \"X\"".to_owned()));
    let (damaged, no) = instance1_with_line("B,0,D,3", "B,0,N,3");
    let expected = "SECTION_SHIFT_ON_REQUESTS: unknown shift id \"N\"";
    assert_eq!(error_of(&damaged), (no, expected.to_owned()));
}

#[test]
fn a_negative_duration_names_the_shift_and_its_line() {
    let (damaged, no) = instance1_with_line("D,480,", "D,-480,");
    let expected = "SECTION_SHIFTS: duration \"-480\" of shift D must be a positive integer";
    assert_eq!((no, error_of(&damaged)), (9, (9, expected.to_owned())));
}

#[test]
fn a_non_integer_field_names_the_field_and_its_line() {
    let (damaged, no) = instance1_with_line("C,", "C,D=14,4320,3360,five,2,2,1");
    let (line, msg) = error_of(&damaged);
    assert_eq!(line, no);
    assert_eq!(msg, "SECTION_STAFF: MaxConsecutiveShifts \"five\" of employee C must be a non-negative integer");
    let (damaged, no) = instance1_with_line("F,8,D,3", "F,8,D,3.5");
    let (line, msg) = error_of(&damaged);
    assert_eq!(
        (line, msg.as_str()),
        (no, "SECTION_SHIFT_OFF_REQUESTS: weight \"3.5\" of the request of employee F must be a non-negative integer")
    );
    let (damaged, no) = instance1_with_line("SECTION_HORIZON", "SECTION_HORIZON");
    let damaged = damaged.replace("\r\n14\r\n", "\r\nfourteen\r\n");
    assert_eq!(
        error_of(&damaged),
        (no + 3, "SECTION_HORIZON: number of days \"fourteen\" must be a non-negative integer".to_owned())
    );
}
