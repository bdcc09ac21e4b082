//! The constructive heuristic gives a legal roster on every bundled metro dataset.

use std::path::Path;

use model::formats::parse_scenario;
use model::{ScenarioIndex, evaluate};
use solver::heuristic::construct;

#[test]
fn the_constructive_heuristic_respects_every_hard_rule_on_the_bundled_metro_datasets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/metro");
    let mut checked = 0;
    for size in ["small", "medium", "large"] {
        let path = root.join(size).join("scenario.json");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let ix = ScenarioIndex::new(parse_scenario(&text, size).expect("parses")).expect("valid");
        let grid = construct(&ix);
        let eval = evaluate(&ix, &grid);
        let mut by_rule = std::collections::BTreeMap::new();
        for v in &eval.violations {
            *by_rule.entry(v.rule).or_insert(0) += 1;
        }
        assert!(eval.violations.is_empty(), "{size}: {by_rule:?}, first: {:?}", eval.violations.first());
        checked += 1;
    }
    assert!(checked >= 1, "no metro dataset found under {}", root.display());
}
