//! Building and running the application: the HTTP server and, in the same process, any number of
//! workers. Shutdown is passed in: the server stops accepting, finishes in-flight requests, and the
//! workers hand their jobs back.

use std::net::SocketAddr;
use std::sync::Arc;

use sqlx::PgPool;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::events::hr_consumer::{HrConsumer, HrConsumerConfig};
use crate::events::relay::{Relay, RelayConfig};
use crate::identity::Identity;
use crate::reoptimization::AutoReoptimize;
use crate::worker::Worker;
use crate::{db, telemetry};

/// Why the application could not start or stopped.
#[derive(Debug, Error)]
pub enum AppError {
    /// The database URL is malformed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The event relay or consumer failed.
    #[error("events: {0}")]
    Events(String),
    /// The Redis URL is malformed.
    #[error("identity: {0}")]
    Identity(#[from] crate::identity::IdentityError),
    /// The listen address could not be bound, or the server failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A bound, migrated application, ready to run.
#[derive(Debug)]
pub struct Application {
    /// The bound listener (port 0 in tests resolves here).
    listener: TcpListener,
    /// Shared state.
    state: AppState,
}

impl Application {
    /// Connects, migrates and binds.
    pub async fn build(settings: Settings) -> Result<Application, AppError> {
        let pool = db::pool(&settings.database_url, 20)?;
        if settings.migrate_on_start {
            db::migrate(&pool).await?;
        }
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|source| AppError::Listen { addr: settings.listen, source })?;
        let identity = Identity::new(&settings)?;
        let warm = identity.passwords.clone();
        tokio::spawn(async move {
            if let Err(e) = warm.warm_up().await {
                tracing::error!(error = %e, "dummy password hash failed");
            }
        });
        let state = AppState { pool, settings: Arc::new(settings), metrics: telemetry::metrics_handle(), identity };
        Ok(Application { listener, state })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.settings.listen)
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.state.pool
    }

    /// Serves until `shutdown`, with `workers` solver workers in the same process.
    pub async fn run(self, workers: usize, shutdown: CancellationToken) -> Result<(), AppError> {
        let addr = self.local_addr();
        let mut handles: Vec<_> = (0..workers)
            .map(|_| {
                let w = Worker::new(self.state.pool.clone(), self.state.settings.clone());
                tokio::spawn(w.run(shutdown.clone()))
            })
            .collect();
        if self.state.settings.events {
            handles.extend(spawn_events(&self.state.pool, &self.state.settings, &shutdown));
        }
        tracing::info!(%addr, workers, "serving");
        let app = api::router(self.state);
        let stop = shutdown.clone();
        // With the peer address, which login's rate limit is keyed on.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let served =
            axum::serve(self.listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
        // Workers stop when `shutdown` fires too; wait so their jobs are handed back before exit.
        for h in handles {
            let _ = h.await;
        }
        served.map_err(|source| AppError::Listen { addr, source })
    }
}

/// Runs `workers` solver workers without an HTTP server until `shutdown`.
pub async fn run_workers(settings: Settings, workers: usize, shutdown: CancellationToken) -> Result<(), AppError> {
    let pool = db::pool(&settings.database_url, (workers as u32 * 2).max(2))?;
    if settings.migrate_on_start {
        db::migrate(&pool).await?;
    }
    let settings = Arc::new(settings);
    let handles: Vec<_> =
        (0..workers).map(|_| tokio::spawn(Worker::new(pool.clone(), settings.clone()).run(shutdown.clone()))).collect();
    for h in handles {
        let _ = h.await;
    }
    Ok(())
}

/// Starts the outbox relay and the HR absence consumer; both stop on `shutdown`.
pub fn spawn_events(
    pool: &PgPool,
    settings: &Settings,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let relay = Relay::new(pool.clone(), settings.kafka.clone(), RelayConfig::default());
    let consumer = HrConsumer::new(pool.clone(), settings.kafka.clone(), hr_consumer_config(settings));
    let (a, b) = (shutdown.clone(), shutdown.clone());
    vec![
        tokio::spawn(async move {
            if let Err(e) = relay.run(a).await {
                tracing::error!(error = %e, "outbox relay stopped");
            }
        }),
        tokio::spawn(async move {
            if let Err(e) = consumer.run(b).await {
                tracing::error!(error = %e, "HR absence consumer stopped");
            }
        }),
    ]
}

/// Runs only the HR absence consumer (`roster consume-hr`) until `shutdown`.
pub async fn run_hr_consumer(settings: Settings, shutdown: CancellationToken) -> Result<(), AppError> {
    let pool = db::pool(&settings.database_url, 4)?;
    if settings.migrate_on_start {
        db::migrate(&pool).await?;
    }
    let consumer = HrConsumer::new(pool, settings.kafka.clone(), hr_consumer_config(&settings));
    consumer.run(shutdown).await.map_err(|e| AppError::Events(e.to_string()))
}

/// The HR consumer's configuration for `settings`: production tuning, and automatic
/// re-optimization when `ROSTER_AUTO_REOPTIMIZE` is on.
fn hr_consumer_config(settings: &Settings) -> HrConsumerConfig {
    HrConsumerConfig {
        auto_reoptimize: settings.auto_reoptimize.then(|| AutoReoptimize::new(settings.max_attempts)),
        ..HrConsumerConfig::default()
    }
}
