//! `/v1/jobs`: submit (idempotent), read, list, cancel, and follow progress as server-sent events.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, path_id};
use super::problem::{ApiError, Problem};
use crate::db;
use crate::db::jobs::{JobFilter, JobRow, NewJob};
use crate::domain::{JobId, JobOptions, JobStatus, JobTrigger, RosterId, ScenarioId};
use crate::events::emit;
use crate::identity::Principal;

pub mod events;

/// The job routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/jobs", post(submit).get(list))
        .route("/v1/jobs/{id}", get(read))
        .route("/v1/jobs/{id}/cancel", post(cancel))
        .route("/v1/jobs/{id}/events", get(events::stream))
        .route("/v1/jobs/{id}/progress", get(events::history))
}

/// A job submission.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitJob {
    /// The scenario to solve.
    pub scenario_id: ScenarioId,
    /// Solver options; defaults apply to missing fields.
    #[serde(default)]
    pub options: JobOptions,
    /// A roster of the same scenario to start from (and to measure changes against).
    #[serde(default)]
    pub baseline_roster_id: Option<RosterId>,
}

/// A job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Id.
    pub id: JobId,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Status.
    pub status: JobStatus,
    /// Options.
    pub options: serde_json::Value,
    /// Baseline roster.
    pub baseline_roster_id: Option<RosterId>,
    /// A cancellation was requested.
    pub cancel_requested: bool,
    /// Claims so far (more than 1 when a worker was lost).
    pub attempts: i32,
    /// Claims allowed.
    pub max_attempts: i32,
    /// Submitter (`hr-consumer` for a re-optimization queued after an HR absence).
    pub submitted_by: Option<String>,
    /// Why it was queued: `api` (a user) or `hr_absence` (the HR consumer, whose roster is a draft).
    pub trigger: JobTrigger,
    /// Submitted.
    pub created_at: DateTime<Utc>,
    /// First claimed.
    pub started_at: Option<DateTime<Utc>>,
    /// Ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Solver status (`optimal`, `feasible_at_limit`, `infeasible`, `no_solution_yet`).
    pub solve_status: Option<String>,
    /// Objective of the roster (cents).
    pub objective_cents: Option<i64>,
    /// Best lower bound (cents).
    pub bound: Option<f64>,
    /// Relative gap.
    pub gap: Option<f64>,
    /// Why it failed, or the infeasibility diagnosis.
    pub error: Option<String>,
    /// The roster it produced.
    pub roster_id: Option<RosterId>,
}

impl From<JobRow> for JobView {
    fn from(j: JobRow) -> JobView {
        JobView {
            status: j.status(),
            trigger: j.trigger(),
            id: j.id,
            scenario_id: j.scenario_id,
            options: j.options,
            baseline_roster_id: j.baseline_roster_id,
            cancel_requested: j.cancel_requested,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            submitted_by: j.submitted_by,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            solve_status: j.solve_status,
            objective_cents: j.objective_cents,
            bound: j.bound,
            gap: j.gap,
            error: j.error,
            roster_id: j.roster_id,
        }
    }
}

/// The `Idempotency-Key` header, checked: 1–255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let key = v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
    }
    Ok(Some(key.to_string()))
}

/// Submit a job. With an `Idempotency-Key`, a retry with the same body returns the same job; the
/// same key with another body is a 409.
#[utoipa::path(post, path = "/v1/jobs", tag = "jobs", request_body = SubmitJob,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 202, description = "Queued (or the earlier job for this key)", body = JobView),
        (status = 409, description = "Key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid options or unknown scenario", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SubmitJob>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    body.options.solve_options().map_err(|i| ApiError::Invalid(vec![i.into()]))?;
    let options = serde_json::to_value(body.options).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The hash covers the normalized body (defaults filled in), so `{}` and explicit defaults agree.
    let canonical = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let request_hash = hex::encode(Sha256::digest(&canonical));

    let mut tx = state.pool.begin().await?;
    if let Some(b) = body.baseline_roster_id {
        let scenario: Option<ScenarioId> = sqlx::query_scalar("SELECT scenario_id FROM rosters WHERE id = $1")
            .bind(b)
            .fetch_optional(&mut *tx)
            .await?;
        match scenario {
            None => return Err(ApiError::invalid("baseline_roster_id", "no such roster")),
            Some(s) if s != body.scenario_id => {
                return Err(ApiError::invalid("baseline_roster_id", "the roster belongs to another scenario"));
            }
            Some(_) => {}
        }
    }
    let new = NewJob {
        id: JobId::new(),
        scenario_id: body.scenario_id,
        options: &options,
        baseline_roster_id: body.baseline_roster_id,
        idempotency_key: key.as_deref(),
        request_hash: &request_hash,
        max_attempts: state.settings.max_attempts,
        submitted_by: Some(&principal.username),
        trigger: JobTrigger::Api,
    };
    let inserted = db::jobs::insert(&mut tx, &new).await?;
    let (id, replayed) = match (inserted, &key) {
        (Some(id), _) => (id, false),
        (None, Some(key)) => {
            let existing = db::jobs::by_idempotency_key(&mut tx, key)
                .await?
                .ok_or_else(|| ApiError::Internal("idempotency conflict without an existing job".into()))?;
            if existing.request_hash != request_hash {
                return Err(ApiError::conflict("Idempotency-Key was already used with a different request body"));
            }
            (existing.id, true)
        }
        (None, None) => return Err(ApiError::Internal("job insert skipped without a key".into())),
    };
    if !replayed {
        emit::job_changed(&mut tx, &state.settings.kafka.topics, id, None).await?;
    }
    tx.commit().await?;
    let job = db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    if !replayed {
        metrics::counter!("roster_jobs_submitted_total").increment(1);
        tracing::info!(job_id = %id, scenario_id = %body.scenario_id, "job submitted");
    }
    let mut res = (StatusCode::ACCEPTED, Json(JobView::from(job))).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/jobs/{id}")) {
        h.insert(header::LOCATION, v);
    }
    if replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Read a job.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<JobView>, ApiError> {
    let id: JobId = path_id(&id, "job")?;
    let job = db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    Ok(Json(job.into()))
}

/// Listing filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Only jobs in this status.
    pub status: Option<String>,
    /// Only jobs of this scenario.
    pub scenario_id: Option<ScenarioId>,
    /// Page size (1–200, default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// Jobs, newest first.
    pub items: Vec<JobView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn encode_cursor(j: &JobView) -> String {
    format!("{}_{}", j.created_at.timestamp_micros(), j.id)
}

fn decode_cursor(c: &str) -> Result<(DateTime<Utc>, JobId), ApiError> {
    let bad = || ApiError::invalid("cursor", "not a cursor returned by this API");
    let (micros, id) = c.split_once('_').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

/// List jobs, newest first, with filters and keyset pagination.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", params(ListParams),
    responses((status = 200, body = JobPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list(State(state): State<AppState>, ApiQuery(p): ApiQuery<ListParams>) -> Result<Json<JobPage>, ApiError> {
    let status =
        p.status.as_deref().map(str::parse::<JobStatus>).transpose().map_err(|e| ApiError::invalid("status", e))?;
    let limit = super::page_limit(p.limit)?;
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    // One extra row tells whether there is a next page.
    let filter = JobFilter { status, scenario_id: p.scenario_id, after, limit: limit + 1 };
    let mut items: Vec<JobView> = db::jobs::list(&state.pool, &filter).await?.into_iter().map(JobView::from).collect();
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(encode_cursor) } else { None };
    Ok(Json(JobPage { items, next_cursor }))
}

/// Cancel a job. A queued job is cancelled at once; a running one stops at its worker's next
/// heartbeat and keeps the best roster found so far.
#[utoipa::path(post, path = "/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 202, description = "Cancellation recorded", body = JobView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id: JobId = path_id(&id, "job")?;
    let before = db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    if before.status().is_terminal() {
        return Err(ApiError::Conflict {
            detail: format!("job {id} has already ended ({})", before.status),
            current_state: Some(before.status.clone()),
            allowed: Vec::new(),
        });
    }
    let mut tx = state.pool.begin().await?;
    if db::jobs::request_cancel(&mut tx, id).await? == Some(JobStatus::Cancelled) {
        emit::job_changed(&mut tx, &state.settings.kafka.topics, id, None).await?;
    }
    tx.commit().await?;
    let job = db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    tracing::info!(job_id = %id, "job cancellation requested");
    Ok((StatusCode::ACCEPTED, Json(JobView::from(job))).into_response())
}
