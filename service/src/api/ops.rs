//! Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::AppState;
use super::problem::ApiError;
use crate::db;
use crate::domain::JobStatus;

/// The operations routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi))
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers (and its migrations are applied).
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    sqlx::query("SELECT 1 FROM jobs LIMIT 1")
        .execute(&state.pool)
        .await
        .map_err(|e| ApiError::Unavailable(format!("database not ready: {e}")))?;
    Ok("ready")
}

/// Prometheus metrics. Queue depth is read from the database at scrape time, so every replica
/// reports the shared queue.
async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    match db::jobs::counts_by_status(&state.pool).await {
        Ok(counts) => {
            for s in JobStatus::ALL {
                let n = counts.iter().find(|(name, _)| name == s.as_str()).map_or(0, |(_, n)| *n);
                metrics::gauge!("roster_jobs", "status" => s.as_str()).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable for /metrics"),
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

/// The OpenAPI 3.1 document of this API.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::openapi::document())
}
