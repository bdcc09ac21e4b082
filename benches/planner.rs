//! Criterion benches on the large metro dataset (2,000 drivers × 28 days): building the MILP, the
//! constructive heuristic, the evaluator and the overtime calculator.
//!
//! `cargo bench --bench planner`; under `cargo test --all-targets` each bench runs once as a smoke
//! test.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use model::ScenarioIndex;
use model::formats::parse_scenario;
use solver::formulation::RosterModel;
use solver::heuristic::construct;

fn large() -> ScenarioIndex {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/metro/large/scenario.json");
    let text = std::fs::read_to_string(&path).expect("datasets/metro/large/scenario.json");
    ScenarioIndex::new(parse_scenario(&text, "large").expect("parses")).expect("valid")
}

fn benches(c: &mut Criterion) {
    let ix = large();
    let grid = construct(&ix);
    let mut g = c.benchmark_group("metro-large");
    g.sample_size(10);
    g.bench_function("build MILP", |b| b.iter(|| RosterModel::build(&ix, false)));
    g.bench_function("constructive heuristic", |b| b.iter(|| construct(&ix)));
    g.bench_function("evaluator", |b| b.iter(|| model::evaluate(&ix, &grid)));
    g.bench_function("overtime calculator", |b| b.iter(|| model::overtime::cost_forecast(&ix, &grid)));
    g.finish();
}

criterion_group!(planner, benches);
criterion_main!(planner);
