//! `/v1/scenarios`: upload (validated) and read scenarios.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use model::{Scenario, ScenarioIndex};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiQuery, body_bytes, media_type, path_id};
use super::problem::{ApiError, Problem};
use crate::db;
use crate::db::scenarios::{NewScenario, ScenarioRow};
use crate::domain::ScenarioId;
use crate::identity::Principal;

/// The scenario routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/scenarios", post(upload).get(list)).route("/v1/scenarios/{id}", get(read))
}

/// A stored scenario's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioView {
    /// Id.
    pub id: ScenarioId,
    /// Name.
    pub name: String,
    /// Drivers.
    pub drivers: i32,
    /// Days of the horizon.
    pub days: i32,
    /// Date of day 0.
    pub start_date: NaiveDate,
    /// SHA-256 of the stored document.
    pub content_hash: Option<String>,
    /// Uploader.
    pub created_by: Option<String>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
}

impl From<ScenarioRow> for ScenarioView {
    fn from(r: ScenarioRow) -> ScenarioView {
        ScenarioView {
            id: r.id,
            name: r.name,
            drivers: r.drivers,
            days: r.days,
            start_date: r.start_date,
            content_hash: r.content_hash,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// Parameters of an upload.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadParams {
    /// Name for a Curtois text upload (the format has none).
    pub name: Option<String>,
}

/// Upload a scenario: the native JSON (`application/json`) or a Curtois & Qu instance
/// (`text/plain`). It is validated in full; every problem is listed with its path or line.
#[utoipa::path(post, path = "/v1/scenarios", tag = "scenarios",
    params(UploadParams),
    request_body(content = serde_json::Value, description = "Native scenario JSON (see datasets/scenario.schema.json) or Curtois text"),
    responses(
        (status = 201, description = "Stored", body = ScenarioView),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor text", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; every problem listed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(params): ApiQuery<UploadParams>,
    req: Request,
) -> Result<impl IntoResponse, ApiError> {
    let media = media_type(&req);
    let bytes = body_bytes(req, &state).await?;
    let text = std::str::from_utf8(&bytes).map_err(|e| ApiError::invalid("body", format!("not UTF-8: {e}")))?;
    let scenario: Scenario = match media.as_deref() {
        Some("application/json") => model::formats::json::parse_scenario(text)?,
        Some("text/plain") => {
            let name = params.name.as_deref().unwrap_or("curtois");
            model::formats::curtois::parse_curtois(text, name)?
        }
        other => {
            let got = other.unwrap_or("no Content-Type");
            return Err(ApiError::UnsupportedMediaType(format!("expected application/json or text/plain, got {got}")));
        }
    };
    let index = ScenarioIndex::new(scenario)?;
    let s = &index.scenario;
    let body = serde_json::to_value(s).map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = NewScenario {
        id: ScenarioId::new(),
        name: &s.name,
        body: &body,
        drivers: index.drivers() as i32,
        days: index.days() as i32,
        start_date: s.horizon.start_date,
        created_by: Some(&principal.username),
    };
    let mut conn = state.pool.acquire().await?;
    let row = db::scenarios::insert(&mut conn, &new).await?;
    let location = format!("/v1/scenarios/{}", row.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(ScenarioView::from(row))))
}

/// Read a scenario's metadata.
#[utoipa::path(get, path = "/v1/scenarios/{id}", tag = "scenarios",
    params(("id" = String, Path, description = "Scenario id")),
    responses((status = 200, body = ScenarioView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ScenarioView>, ApiError> {
    let id: ScenarioId = path_id(&id, "scenario")?;
    let row = db::scenarios::get(&state.pool, id)
        .await?
        .ok_or(ApiError::NotFound { what: "scenario", id: id.to_string() })?;
    Ok(Json(row.into()))
}

/// Listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Page size (1–200, default 50).
    pub limit: Option<i64>,
    /// Only scenarios uploaded before this time (the last item's `created_at` of the previous page).
    pub before: Option<DateTime<Utc>>,
}

/// List scenarios, newest first.
#[utoipa::path(get, path = "/v1/scenarios", tag = "scenarios", params(ListParams),
    responses((status = 200, body = Vec<ScenarioView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Vec<ScenarioView>>, ApiError> {
    let limit = super::page_limit(p.limit)?;
    let rows = db::scenarios::list(&state.pool, limit, p.before).await?;
    Ok(Json(rows.into_iter().map(ScenarioView::from).collect()))
}
