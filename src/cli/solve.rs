//! `roster solve`: the main job.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use model::evaluate::evaluate_roster;
use model::formats::csv::roster_csv;
use model::formats::json::RosterDocument;
use model::{Roster, RosterGrid};
use service::files::{load_index, read_roster, roster_json, write};
use service::report;
use solver::{CancelToken, Progress, SolveHooks, SolveOptions, SolveStatus, solve};

use super::Format;

/// Arguments of `roster solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Scenario: native JSON, a dataset folder holding scenario.json, or a Curtois .txt file.
    scenario: PathBuf,
    /// Time limit in seconds.
    #[arg(long, default_value_t = 30.0)]
    time_limit: f64,
    /// Relative MIP gap to stop at (0.01 = 1 %).
    #[arg(long, default_value_t = 0.0)]
    gap: f64,
    /// Threads for HiGHS.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A previous roster (JSON) to start from.
    #[arg(long)]
    initial: Option<PathBuf>,
    /// Write the roster here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Format of --out.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// How many drivers of the roster grid to print.
    #[arg(long, default_value_t = 20)]
    show: usize,
    /// Share of the time for the monolithic MILP before large neighbourhood search (1 = MILP only).
    #[arg(long, default_value_t = SolveOptions::default().milp_share)]
    milp_share: f64,
    /// Print HiGHS's log.
    #[arg(long)]
    verbose: bool,
}

/// Solves, prints the roster and the KPIs, writes `--out`; exit 1 when infeasible or without a
/// roster.
pub fn run(a: SolveArgs) -> anyhow::Result<ExitCode> {
    // The solver's phases log at debug level: `RUST_LOG=solver=debug` shows them. Without
    // `RUST_LOG` there is no subscriber, so the output stays the roster and its KPIs (HiGHS's
    // warnings on every interrupted run would otherwise reach the terminal).
    if std::env::var_os("RUST_LOG").is_some() {
        service::telemetry::init_tracing(false);
    }
    let mut opts = SolveOptions::new(a.time_limit, a.gap, a.threads)?;
    opts.seed = a.seed;
    opts.verbose = a.verbose;
    opts.milp_share = a.milp_share.clamp(0.0, 1.0);
    let ix = load_index(&a.scenario)?;
    let initial: Option<RosterGrid> = match &a.initial {
        Some(p) => {
            let roster: Roster = read_roster(p)?;
            let (grid, _) = roster.to_grid(&ix).with_context(|| format!("{}", p.display()))?;
            Some(grid)
        }
        None => None,
    };
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    // A second Ctrl-C while the solver winds down is ignored; the handler can only be set once per
    // process, which is fine for a CLI.
    let _ = ctrlc::set_handler(move || on_signal.cancel());

    let bar = std::io::stderr().is_terminal().then(|| {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    });
    let sink = |p: &Progress| {
        let line = progress_line(p);
        match &bar {
            Some(pb) => pb.set_message(line),
            None => eprintln!("{:>7.1}s {line}", p.elapsed.as_secs_f64()),
        }
    };
    let result = solve(&ix, &opts, SolveHooks { progress: &sink, cancel: &cancel, initial: initial.as_ref() })?;
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }

    if let Some(d) = &result.diagnosis {
        println!("Scenario {} is infeasible: {d}", ix.scenario.name);
    }
    let (Some(grid), Some(eval)) = (&result.roster, &result.evaluation) else {
        if result.status != SolveStatus::Infeasible {
            println!(
                "No roster found within {:.1} s (status {}).",
                result.elapsed.as_secs_f64(),
                result.status.as_str()
            );
        }
        return Ok(ExitCode::from(1));
    };
    print!("{}", report::roster_grid(&ix, grid, a.show));
    println!();
    print!("{}", report::kpis(&ix, eval, Some(&result)));
    if let Some(out) = &a.out {
        let text = match a.format {
            Format::Json => roster_json(&RosterDocument::new(&ix, grid, eval)),
            Format::Csv => roster_csv(&ix.scenario, &Roster::from_grid(&ix, grid)),
        };
        write(out, &text)?;
        // Re-read what was written: the file must evaluate exactly like the in-memory roster.
        if a.format == Format::Json {
            let back = evaluate_roster(&ix, &read_roster(out)?)?;
            anyhow::ensure!(back.objective == eval.objective, "written roster does not evaluate like the solved one");
        }
        println!("Roster written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_line(p: &Progress) -> String {
    let f = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.0}"));
    let gap = p.gap.map_or("–".to_string(), |g| format!("{:.2} %", g * 100.0));
    format!("{:?}: incumbent {} bound {} gap {gap}", p.phase, f(p.incumbent), f(p.bound))
}
