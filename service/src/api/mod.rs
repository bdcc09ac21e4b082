//! The HTTP API (DESIGN §5): one router per resource, one error type ([`problem::ApiError`]) that
//! answers RFC 9457 problem documents, and the cross-cutting layers (request ids, tracing spans,
//! metrics, body limit, timeout). Every `/v1` route passes [`auth::guard`]: session, rate limit,
//! and the role × endpoint matrix of [`crate::identity::policy`].

pub mod auth;
pub mod extract;
pub mod ical;
pub mod jobs;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod reoptimize;
pub mod rosters;
pub mod scenarios;
pub mod users;
pub mod workflow;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::identity::Identity;
use problem::ApiError;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub pool: PgPool,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Sessions, rate limits and password hashing.
    pub identity: Identity,
}

/// The whole application: resources, operations endpoints and layers.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id,
                                session_id = tracing::field::Empty, actor = tracing::field::Empty)
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(middleware::from_fn(record_metrics))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.settings.request_timeout));
    Router::new()
        .merge(scenarios::router())
        .merge(jobs::router())
        .merge(rosters::router())
        .merge(workflow::router())
        .merge(reoptimize::router())
        .merge(ops::router())
        .merge(auth::router())
        .merge(users::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside the trace layer (it records on the request span), after routing (it reads the
        // matched route).
        .layer(middleware::from_fn_with_state(state.clone(), auth::guard))
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .layer(layers)
        .with_state(state)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound { what: "route", id: req.uri().path().to_string() }
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!("method {} is not allowed on {}", req.method(), req.uri().path()))
}

/// Request count and latency per route template (never per raw path: ids would explode the series).
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!("http_request_duration_seconds", "method" => method.clone(), "route" => route.clone(),
        "status" => status.clone())
    .record(started.elapsed().as_secs_f64());
    metrics::counter!("http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    res
}

/// Page size of a listing: 1–200, default 50.
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=200).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid("limit", format!("{n} is outside 1..=200"))),
    }
}
