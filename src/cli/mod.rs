//! Argument parsing and dispatch. Each subcommand lives in its own module.

mod bench;
mod bench_jobs;
mod inspect;
mod server;
mod solve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Metro driver rostering: optimize, check and benchmark rosters.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Solve a scenario (native JSON, a dataset folder, or a Curtois .txt) and print the roster and
    /// its KPIs. Exits 1 when the scenario is infeasible.
    Solve(solve::SolveArgs),
    /// Check a scenario and list every problem with its path. Exits 1 when invalid.
    Validate {
        /// Scenario file or dataset folder.
        scenario: PathBuf,
    },
    /// Check a roster against a scenario: hard violations and the objective breakdown. Exits 1 on a
    /// hard violation.
    Evaluate {
        /// Scenario file or dataset folder.
        scenario: PathBuf,
        /// Roster JSON (as written by `solve --out`).
        roster: PathBuf,
    },
    /// Generate a realistic metro scenario (deterministic for a seed).
    Generate(inspect::GenerateArgs),
    /// Run a benchmark suite and write its table as Markdown and CSV.
    Bench(bench::BenchArgs),
    /// Print the JSON Schema of the native scenario format.
    Schema,
    /// Serve the HTTP API (DESIGN §5), with solver workers in the same process unless --workers 0.
    /// Configured by environment variables (see the README).
    Serve(server::ServeArgs),
    /// Run solver workers that take jobs from the PostgreSQL queue.
    Worker(server::WorkerArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Consume HR absences (`hr.absences.v1`) into driver availability (also runs inside `serve`).
    ConsumeHr,
    /// Manage user accounts (`roster user create --username U --role admin` makes the first admin).
    #[command(subcommand)]
    User(user::UserCommand),
}

/// Output format of a roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The roster document: assignments, per-driver summary, objective breakdown.
    Json,
    /// One row per worked shift.
    Csv,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Solve(args) => solve::run(args),
        Command::Validate { scenario } => inspect::validate(&scenario),
        Command::Evaluate { scenario, roster } => inspect::evaluate(&scenario, &roster),
        Command::Generate(args) => inspect::generate(args),
        Command::Bench(args) => bench::run(args),
        Command::Serve(args) => server::serve(args),
        Command::Worker(args) => server::worker(args),
        Command::Migrate => server::migrate(),
        Command::ConsumeHr => server::consume_hr(),
        Command::User(command) => user::run(command),
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&model::formats::json::scenario_schema())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
