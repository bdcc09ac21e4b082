//! Criterion benches on the large metro dataset (2,000 drivers × 28 days): building the MILP, the
//! constructive heuristic, the evaluator and the overtime calculator; and the constructive
//! heuristic on the longest rows there are (Curtois Instance24: 150 drivers × 364 days), where
//! its single-cell repair is what costs.
//!
//! `cargo bench --bench planner`; under `cargo test --all-targets` each bench runs once as a smoke
//! test.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use model::ScenarioIndex;
use model::formats::parse_scenario;
use solver::formulation::RosterModel;
use solver::heuristic::construct;

/// A bundled scenario, by its path under the repository.
fn load(path: &str) -> ScenarioIndex {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path);
    ScenarioIndex::new(parse_scenario(&text, path).expect("parses")).expect("valid")
}

fn benches(c: &mut Criterion) {
    let ix = load("datasets/metro/large/scenario.json");
    let grid = construct(&ix);
    let mut g = c.benchmark_group("metro-large");
    g.sample_size(10);
    g.bench_function("build MILP", |b| b.iter(|| RosterModel::build(&ix, false)));
    g.bench_function("constructive heuristic", |b| b.iter(|| construct(&ix)));
    g.bench_function("evaluator", |b| b.iter(|| model::evaluate(&ix, &grid)));
    g.bench_function("overtime calculator", |b| b.iter(|| model::overtime::cost_forecast(&ix, &grid)));
    g.finish();
    let ix = load("datasets/curtois/Instance24.txt");
    let mut g = c.benchmark_group("curtois-24");
    g.sample_size(10);
    g.bench_function("constructive heuristic", |b| b.iter(|| construct(&ix)));
    g.finish();
}

criterion_group!(planner, benches);
criterion_main!(planner);
