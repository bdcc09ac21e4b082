//! `roster serve`, `roster worker`, `roster migrate`: the service side of the binary.

use std::process::ExitCode;

use clap::Args;
use service::app::{Application, run_hr_consumer, run_workers};
use service::config::Settings;
use service::{db, telemetry};
use tokio_util::sync::CancellationToken;

/// Arguments of `roster serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Solver workers to run in the same process (0: API only; run `roster worker` elsewhere).
    #[arg(long, default_value_t = 1)]
    workers: usize,
}

/// Arguments of `roster worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Jobs solved at once by this process.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// A token cancelled on Ctrl-C or SIGTERM.
fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    t.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested");
        t.cancel();
    });
    token
}

/// Serves the HTTP API (and workers) until a signal.
pub fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    telemetry::init_tracing(settings.json_logs);
    runtime()?.block_on(async {
        let app = Application::build(settings).await?;
        app.run(a.workers, shutdown_on_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs solver workers until a signal.
pub fn worker(a: WorkerArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    telemetry::init_tracing(settings.json_logs);
    anyhow::ensure!(a.concurrency >= 1, "--concurrency must be at least 1");
    runtime()?.block_on(async {
        run_workers(settings, a.concurrency, shutdown_on_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs the HR absence consumer until a signal.
pub fn consume_hr() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    telemetry::init_tracing(settings.json_logs);
    runtime()?.block_on(async {
        run_hr_consumer(settings, shutdown_on_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Applies pending migrations and exits.
pub fn migrate() -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    runtime()?.block_on(async {
        let pool = db::pool(&settings.database_url, 1)?;
        db::migrate(&pool).await?;
        println!("migrations applied to {}", redact(&settings.database_url));
        Ok(ExitCode::SUCCESS)
    })
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}
