//! `roster bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use service::bench::{metro, parse_instances, run_curtois, to_csv, to_markdown};
use service::files::write;
use solver::SolveOptions;

use super::bench_jobs::{JobsBench, run_jobs, run_load};

/// Benchmark suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Suite {
    /// The 24 Curtois & Qu instances against their best known values.
    Curtois,
    /// Metro scenarios of growing size (`--datasets`): time to the first legal roster, time to
    /// within 1 % of the lower bound, peak memory.
    Metro,
    /// End-to-end job throughput (jobs per minute) with in-process workers, and API latency
    /// measured by a second process during the run. Needs the local PostgreSQL.
    Jobs,
    /// The load-generating second process of `jobs` (reads against a running server at --url).
    ApiLoad,
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
    /// `metro`: scenario folders or files, comma-separated.
    #[arg(long, default_value = "datasets/metro/small,datasets/metro/medium,datasets/metro/large")]
    datasets: String,
    /// Folder for the tables (curtois.md and .csv, metro.md and .csv).
    #[arg(long, default_value = "bench-results")]
    out_dir: PathBuf,
    /// `jobs`: jobs to submit.
    #[arg(long, default_value_t = 40)]
    jobs: usize,
    /// `jobs`: in-process workers.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// `jobs`: drivers of the generated scenario (14 days).
    #[arg(long, default_value_t = 10)]
    drivers: usize,
    /// `jobs`, `api-load`: concurrent connections of the load process.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// `jobs`, `api-load`: seconds of load.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// `api-load`: the server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
}

/// Runs the suite, printing each row as it completes, then writes the tables.
pub fn run(a: BenchArgs) -> anyhow::Result<ExitCode> {
    match a.suite {
        Suite::Curtois => {}
        Suite::Metro => return run_metro_suite(&a),
        Suite::Jobs => {
            let b = JobsBench {
                jobs: a.jobs,
                workers: a.workers,
                drivers: a.drivers,
                concurrency: a.concurrency,
                load_secs: a.seconds,
            };
            return run_jobs(&b);
        }
        Suite::ApiLoad => return run_load(&a.url, a.seconds, a.concurrency),
    }
    let opts = SolveOptions::new(a.time_limit, 0.0, a.threads)?;
    let instances = parse_instances(&a.instances)?;
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

/// `roster bench metro`: one solve per dataset, printed as it completes, then the scaling table.
fn run_metro_suite(a: &BenchArgs) -> anyhow::Result<ExitCode> {
    let opts = SolveOptions::new(a.time_limit, 0.0, a.threads)?;
    let paths: Vec<PathBuf> =
        a.datasets.split(',').map(str::trim).filter(|p| !p.is_empty()).map(PathBuf::from).collect();
    let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    let rows = metro::run_metro(&refs, &opts, &mut |r| {
        eprintln!(
            "{:<24} {:>5} drivers  first {:>6}  1% {:>6}  gap {:>7}  {:>6.1}s  {:>6} MiB  {}",
            r.scenario,
            r.drivers,
            r.first_feasible.map_or("–".into(), |t| format!("{t:.1}s")),
            r.within_1pct_of_bound.map_or("–".into(), |t| format!("{t:.1}s")),
            r.gap.map_or("–".into(), |g| format!("{:.2}%", g * 100.0)),
            r.elapsed,
            r.peak_rss_mib.map_or("–".into(), |m| format!("{m:.0}")),
            r.status
        )
    })?;
    let md = metro::to_markdown(&rows);
    print!("{md}");
    write(&a.out_dir.join("metro.md"), &md)?;
    write(&a.out_dir.join("metro.csv"), &to_csv(&rows))?;
    eprintln!("tables written to {}", a.out_dir.display());
    Ok(ExitCode::SUCCESS)
}
