//! PostgreSQL access: one module per aggregate, SQL in small functions taking a connection or a
//! transaction. Queries are checked at run time (no build-time database needed); every one is
//! exercised by the service tests against a real PostgreSQL.

pub mod absences;
pub mod audit;
pub mod jobs;
pub mod outbox;
pub mod progress;
pub mod rosters;
pub mod scenarios;
pub mod users;

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

/// The migrations in the repository's `migrations/` folder, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A pool on `url`. Connections are made lazily so the server starts (and `/readyz` reports) even
/// when the database is briefly down.
pub fn pool(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions =
        url.parse::<PgConnectOptions>()?.log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options))
}

/// Applies pending migrations (idempotent; concurrent callers are serialized by sqlx's advisory lock).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
