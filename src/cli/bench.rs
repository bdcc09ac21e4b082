//! `roster bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use service::bench::{parse_instances, run_curtois, to_csv, to_markdown};
use service::files::write;
use solver::SolveOptions;

/// Benchmark suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    /// The 24 Curtois & Qu instances against their best known values.
    Curtois,
}

/// Arguments of `roster bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which suite.
    suite: Suite,
    /// Instances to run, e.g. `1-12` or `1-7,9`.
    #[arg(long, default_value = "1-24")]
    instances: String,
    /// Time limit per instance, in seconds.
    #[arg(long, default_value_t = 60.0)]
    time_limit: f64,
    /// Threads for HiGHS.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Folder with the instances and best_known.csv.
    #[arg(long, default_value = "datasets/curtois")]
    data: PathBuf,
    /// Folder for curtois.md and curtois.csv.
    #[arg(long, default_value = "bench-results")]
    out_dir: PathBuf,
}

/// Runs the suite, printing each row as it completes, then writes the tables.
pub fn run(a: BenchArgs) -> anyhow::Result<ExitCode> {
    let opts = SolveOptions::new(a.time_limit, 0.0, a.threads)?;
    let instances = parse_instances(&a.instances)?;
    let Suite::Curtois = a.suite;
    let rows = run_curtois(&a.data, &instances, &opts, &mut |r| {
        eprintln!(
            "{:<11} {:>8} best {:>6} {:>8} {:>6.1}s {}",
            r.instance,
            r.objective.map_or("–".into(), |o| o.to_string()),
            r.best_known.map_or("–".into(), |o| o.to_string()),
            r.gap_to_best_known.map_or("–".into(), |g| format!("{:.2}%", g * 100.0)),
            r.elapsed,
            r.status
        )
    })?;
    let md = to_markdown(&rows);
    print!("{md}");
    write(&a.out_dir.join("curtois.md"), &md)?;
    write(&a.out_dir.join("curtois.csv"), &to_csv(&rows))?;
    eprintln!("tables written to {}", a.out_dir.display());
    Ok(ExitCode::SUCCESS)
}
