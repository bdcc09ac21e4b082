//! `validate`, `evaluate` and `generate`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use model::generate::{GeneratorParams, generate as generate_scenario};
use model::{ModelError, ScenarioIndex};
use service::ServiceError;
use service::files::{load_index, read_roster, read_scenario, write};
use service::report;

/// Prints every problem of a scenario; exit 1 when there is one.
pub fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let scenario = match read_scenario(path) {
        Ok(s) => s,
        Err(ServiceError::Model { path, source }) => return Ok(invalid(&path, &source)),
        Err(e) => return Err(e.into()),
    };
    match ScenarioIndex::new(scenario) {
        Ok(ix) => {
            println!(
                "{}: valid scenario {}: {} drivers, {} days, {} shift types, {} demand cells, {} requests",
                path.display(),
                ix.scenario.name,
                ix.drivers(),
                ix.days(),
                ix.shifts(),
                ix.scenario.demand.len(),
                ix.scenario.requests.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(invalid(path, &e)),
    }
}

fn invalid(path: &Path, e: &ModelError) -> ExitCode {
    let issues = e.issues();
    println!("{}: invalid, {} problem(s):", path.display(), issues.len());
    for i in issues {
        println!("  {i}");
    }
    ExitCode::from(1)
}

/// Evaluates a roster; exit 1 on a hard violation.
pub fn evaluate(scenario: &Path, roster: &Path) -> anyhow::Result<ExitCode> {
    let ix = load_index(scenario)?;
    let roster = read_roster(roster)?;
    let eval = model::evaluate::evaluate_roster(&ix, &roster)
        .map_err(|source| ServiceError::Model { path: PathBuf::from("roster"), source })?;
    print!("{}", report::kpis(&ix, &eval, None));
    Ok(if eval.is_feasible() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Arguments of `roster generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of drivers.
    #[arg(long, default_value_t = 50)]
    drivers: usize,
    /// Number of days.
    #[arg(long, default_value_t = 28)]
    days: usize,
    /// Number of depots.
    #[arg(long, default_value_t = 2)]
    depots: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day of the horizon (YYYY-MM-DD).
    #[arg(long, default_value = "2027-01-04")]
    start_date: chrono::NaiveDate,
    /// Write the scenario here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Generates a metro scenario.
pub fn generate(a: GenerateArgs) -> anyhow::Result<ExitCode> {
    let params =
        GeneratorParams { drivers: a.drivers, days: a.days, depots: a.depots, seed: a.seed, start_date: a.start_date };
    let scenario = generate_scenario(&params).context("generate")?;
    let text = serde_json::to_string_pretty(&scenario)? + "\n";
    match a.out {
        Some(path) => {
            write(&path, &text)?;
            eprintln!(
                "wrote {} ({} drivers, {} shift types)",
                path.display(),
                scenario.drivers.len(),
                scenario.shift_types.len()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
