//! `/v1/rosters`: read a roster (with `ETag`), export it, and its cost forecast.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiQuery, path_id};
use super::problem::{ApiError, Problem};
use crate::db;
use crate::db::rosters::{DriverSummaryRow, ForecastRow, RosterRow};
use crate::domain::{JobId, RosterId, ScenarioId};

/// The roster routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/rosters/{id}", get(read))
        .route("/v1/rosters/{id}/export", get(export))
        .route("/v1/rosters/{id}/cost-forecast", get(cost_forecast))
}

/// One worked shift.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    /// Driver id.
    pub driver_id: String,
    /// Day index from the scenario's start.
    pub day: i32,
    /// Calendar date.
    pub date: NaiveDate,
    /// Shift type id.
    pub shift_id: String,
}

/// A roster with its assignments and per-driver summaries.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterView {
    /// Id.
    pub id: RosterId,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Producing job.
    pub job_id: Option<JobId>,
    /// Version (the `ETag`).
    pub version: i32,
    /// Lifecycle status.
    pub status: String,
    /// Objective (cents).
    pub objective_cents: i64,
    /// Hard violations (non-zero only after a forced edit).
    pub hard_violations: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Worked shifts by driver then day.
    pub assignments: Vec<AssignmentView>,
    /// Per-driver totals.
    pub drivers: Vec<DriverSummaryRow>,
}

/// The entity tag of a roster version: strong, changes with every edit and transition.
pub fn etag(r: &RosterRow) -> String {
    etag_of(r.id, r.version)
}

/// The entity tag of `version` of roster `id`.
pub fn etag_of(id: RosterId, version: i32) -> String {
    format!("\"{}.{}\"", id.0.simple(), version)
}

pub(crate) async fn load(state: &AppState, raw: &str) -> Result<RosterRow, ApiError> {
    let id: RosterId = path_id(raw, "roster")?;
    db::rosters::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "roster", id: raw.to_string() })
}

async fn start_date(state: &AppState, scenario: ScenarioId) -> Result<NaiveDate, ApiError> {
    let row = db::scenarios::get(&state.pool, scenario).await?;
    row.map(|s| s.start_date).ok_or_else(|| ApiError::Internal(format!("scenario {scenario} of a roster is missing")))
}

/// Read a roster. `If-None-Match` with the current `ETag` answers 304.
#[utoipa::path(get, path = "/v1/rosters/{id}", tag = "rosters",
    params(("id" = String, Path, description = "Roster id"), ("If-None-Match" = Option<String>, Header, description = "ETag held")),
    responses((status = 200, body = RosterView, headers(("ETag" = String, description = "Version tag"))),
              (status = 304, description = "Not modified"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let row = load(&state, &id).await?;
    let tag = etag(&row);
    let tag_value = HeaderValue::from_str(&tag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let held = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).unwrap_or("");
    if held.split(',').any(|t| t.trim() == tag || t.trim() == "*") {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response());
    }
    let start = start_date(&state, row.scenario_id).await?;
    let mut conn = state.pool.acquire().await?;
    let assignments = db::rosters::assignments(&mut conn, row.id)
        .await?
        .into_iter()
        .map(|a| AssignmentView {
            date: start.checked_add_days(Days::new(a.day as u64)).unwrap_or(start),
            driver_id: a.driver_id,
            day: a.day,
            shift_id: a.shift_id,
        })
        .collect();
    drop(conn);
    let drivers = db::rosters::summaries(&state.pool, row.id).await?;
    let view = RosterView {
        id: row.id,
        scenario_id: row.scenario_id,
        job_id: row.job_id,
        version: row.version,
        status: row.status,
        objective_cents: row.objective_cents,
        hard_violations: row.hard_violations,
        created_at: row.created_at,
        updated_at: row.updated_at,
        assignments,
        drivers,
    };
    Ok(([(header::ETAG, tag_value)], Json(view)).into_response())
}

/// Export parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportParams {
    /// `csv` (one row per worked shift), `json` (the roster document with evaluation) or `ics`
    /// (iCalendar, one event per worked shift; `driver` required).
    pub format: String,
    /// The driver whose calendar to export (`ics`).
    pub driver: Option<String>,
}

/// Export a roster as a file.
#[utoipa::path(get, path = "/v1/rosters/{id}/export", tag = "rosters",
    params(("id" = String, Path, description = "Roster id"), ExportParams),
    responses((status = 200, description = "The file (text/csv, application/json or text/calendar)", content_type = "text/csv"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let row = load(&state, &id).await?;
    if !matches!(p.format.as_str(), "csv" | "json" | "ics") {
        return Err(ApiError::invalid("format", format!("unknown format {:?}; expected csv, json or ics", p.format)));
    }
    let mut conn = state.pool.acquire().await?;
    let ix = super::workflow::scenario_index(&mut conn, &row).await?;
    let roster = crate::worker::roster_from_rows(&ix, db::rosters::assignments(&mut conn, row.id).await?);
    drop(conn);
    let name = format!("roster-{}-v{}", row.id, row.version);
    let (media, file, body) = match p.format.as_str() {
        "csv" => {
            ("text/csv; charset=utf-8", format!("{name}.csv"), model::formats::csv::roster_csv(&ix.scenario, &roster))
        }
        "json" => {
            let (grid, _) = roster.to_grid(&ix).map_err(|e| ApiError::Internal(e.to_string()))?;
            let eval = model::evaluate(&ix, &grid);
            let doc = model::formats::json::RosterDocument::new(&ix, &grid, &eval);
            let text = serde_json::to_string_pretty(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
            ("application/json", format!("{name}.json"), text)
        }
        _ => {
            let driver = p.driver.as_deref().ok_or_else(|| ApiError::invalid("driver", "required for ics"))?;
            if ix.driver_idx(&model::DriverId(driver.to_string())).is_none() {
                return Err(ApiError::invalid("driver", format!("no driver {driver:?} in this roster")));
            }
            (
                "text/calendar; charset=utf-8",
                format!("{name}-{driver}.ics"),
                super::ical::driver_calendar(&ix, &roster, driver, row.id),
            )
        }
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok(([(header::CONTENT_TYPE, media.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// One driver's cost forecast.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriverForecast {
    /// Driver id.
    pub driver_id: String,
    /// Per ISO week.
    pub weeks: Vec<ForecastRow>,
    /// Sum of the weeks (cents).
    pub cost_cents: i64,
}

/// The roster's cost forecast for payroll.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastView {
    /// Roster.
    pub roster_id: RosterId,
    /// Roster version the forecast belongs to.
    pub version: i32,
    /// Per driver.
    pub drivers: Vec<DriverForecast>,
    /// Regular minutes, all drivers.
    pub regular_minutes: i64,
    /// Overtime minutes per tier, all drivers.
    pub overtime_minutes: Vec<i64>,
    /// Regular pay (cents).
    pub regular_cents: i64,
    /// Overtime pay (cents).
    pub overtime_cents: i64,
    /// Premiums (cents).
    pub premium_cents: i64,
    /// Total cost (cents).
    pub cost_cents: i64,
}

/// The cost forecast per driver and ISO week, with totals.
#[utoipa::path(get, path = "/v1/rosters/{id}/cost-forecast", tag = "rosters",
    params(("id" = String, Path, description = "Roster id")),
    responses((status = 200, body = ForecastView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn cost_forecast(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ForecastView>, ApiError> {
    let row = load(&state, &id).await?;
    let rows = db::rosters::forecast(&state.pool, row.id).await?;
    let mut view = ForecastView {
        roster_id: row.id,
        version: row.version,
        drivers: Vec::new(),
        regular_minutes: 0,
        overtime_minutes: Vec::new(),
        regular_cents: 0,
        overtime_cents: 0,
        premium_cents: 0,
        cost_cents: 0,
    };
    let mut by_driver: BTreeMap<String, Vec<ForecastRow>> = BTreeMap::new();
    for r in rows {
        view.regular_minutes += r.regular_minutes;
        if view.overtime_minutes.len() < r.overtime_minutes.len() {
            view.overtime_minutes.resize(r.overtime_minutes.len(), 0);
        }
        for (sum, m) in view.overtime_minutes.iter_mut().zip(&r.overtime_minutes) {
            *sum += m;
        }
        view.regular_cents += r.regular_cents;
        view.overtime_cents += r.overtime_cents;
        view.premium_cents += r.premium_cents;
        by_driver.entry(r.driver_id.clone()).or_default().push(r);
    }
    view.cost_cents = view.regular_cents + view.overtime_cents + view.premium_cents;
    view.drivers = by_driver
        .into_iter()
        .map(|(driver_id, weeks)| {
            let cost_cents = weeks.iter().map(|w| w.regular_cents + w.overtime_cents + w.premium_cents).sum();
            DriverForecast { driver_id, weeks, cost_cents }
        })
        .collect();
    Ok(Json(view))
}
