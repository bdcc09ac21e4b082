//! `roster`: the metro roster platform's command line.
//!
//! Subcommands: `solve` (the main job: a scenario to an optimized roster and its KPIs), `validate`,
//! `evaluate`, `generate`, `bench`, `schema`, and the service: `serve` (HTTP API, optionally with
//! workers), `worker` (solver workers), `migrate`, `user` (accounts). Exit codes: 0 success, 1 when
//! the answer is "no" (invalid scenario, hard violation, infeasible), 2 for usage and IO errors.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
