//! The dispatcher's review workflow on `/v1/rosters/{id}`: lifecycle transitions, validated edits
//! with optimistic versioning, and the audit trail (DESIGN §3, §5).
//!
//! Both transitions and edits run in one transaction that first locks the roster's header row, then
//! checks `If-Match` against the locked version: a stale writer gets 412, never a lost update.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use model::evaluate::evaluate;
use model::lifecycle::{RosterLifecycle, RosterStatus, TransitionError};
use model::overtime::cost_forecast;
use model::{DriverId, DriverIdx, Scenario, ScenarioIndex, ShiftIdx, ShiftTypeId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::ToSchema;

use super::AppState;
use super::extract::{ApiJson, path_id};
use super::problem::{ApiError, FieldProblem, Problem};
use super::rosters::{etag, etag_of};
use crate::db;
use crate::db::audit::{AuditRow, NewAudit};
use crate::db::rosters::RosterRow;
use crate::domain::RosterId;
use crate::events::{EventMeta, emit};
use crate::identity::Principal;

/// The workflow routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/rosters/{id}/transitions", post(transition))
        .route("/v1/rosters/{id}/assignments", patch(edit))
        .route("/v1/rosters/{id}/audit", get(audit))
}

fn parse_status(s: &str, field: &str) -> Result<RosterStatus, ApiError> {
    s.parse().map_err(|e: String| ApiError::invalid(field, e))
}

/// Checks `If-Match` (when `required`, its absence is a 428).
fn check_if_match(headers: &HeaderMap, row: &RosterRow, required: bool) -> Result<(), ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None if required => Err(ApiError::PreconditionRequired("If-Match with the roster's ETag is required".into())),
        None => Ok(()),
        Some(held) if held.split(',').any(|t| t.trim() == etag(row) || t.trim() == "*") => Ok(()),
        Some(held) => Err(ApiError::PreconditionFailed(format!(
            "roster changed: If-Match {held} but the current version is {}",
            etag(row)
        ))),
    }
}

fn conflict(e: TransitionError) -> ApiError {
    match &e {
        TransitionError::Illegal { from, allowed, .. } => ApiError::Conflict {
            detail: e.to_string(),
            current_state: Some(from.as_str().into()),
            allowed: allowed.iter().map(|s| s.as_str().to_string()).collect(),
        },
        TransitionError::NotEditable(from) => ApiError::Conflict {
            detail: e.to_string(),
            current_state: Some(from.as_str().into()),
            allowed: from.allowed_next().iter().map(|s| s.as_str().to_string()).collect(),
        },
    }
}

async fn locked(conn: &mut PgConnection, raw: &str) -> Result<RosterRow, ApiError> {
    let id: RosterId = path_id(raw, "roster")?;
    db::rosters::lock(conn, id).await?.ok_or(ApiError::NotFound { what: "roster", id: raw.to_string() })
}

fn with_etag(row: &RosterRow, version: i32, body: impl Serialize) -> Response {
    let tag = etag_of(row.id, version);
    let mut res = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// A lifecycle transition.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Target status: `proposed`, `approved`, `rejected`, `published`, `superseded`.
    pub to: String,
    /// Why (recorded in the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The roster after a transition or edit.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowResult {
    /// Roster.
    pub roster_id: RosterId,
    /// Status now.
    pub status: String,
    /// Version now (the new `ETag`).
    pub version: i32,
}

/// Move a roster through its lifecycle. `If-Match` is honoured when given; an illegal transition is a
/// 409 naming the current state and the allowed ones.
#[utoipa::path(post, path = "/v1/rosters/{id}/transitions", tag = "workflow", request_body = TransitionRequest,
    params(("id" = String, Path, description = "Roster id"), ("If-Match" = Option<String>, Header, description = "ETag held")),
    responses((status = 200, body = WorkflowResult),
              (status = 409, description = "Illegal from the current state", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json")))]
pub async fn transition(
    State(state): State<AppState>,
    Path(id): Path<String>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TransitionRequest>,
) -> Result<Response, ApiError> {
    let to = parse_status(&req.to, "to")?;
    let mut tx = state.pool.begin().await?;
    let row = locked(&mut tx, &id).await?;
    check_if_match(&headers, &row, false)?;
    let from = parse_status(&row.status, "status")?;
    let mut life = RosterLifecycle { status: from, version: row.version as u32 };
    life.transition(to).map_err(conflict)?;
    let version = db::rosters::set_status(&mut tx, row.id, to.as_str()).await?;
    let who = principal.username.clone();
    let audit = NewAudit {
        roster_id: row.id,
        version,
        actor: &who,
        action: "transition",
        from_status: Some(from.as_str()),
        to_status: Some(to.as_str()),
        reason: req.reason.as_deref(),
        details: json!({}),
    };
    db::audit::insert(&mut tx, &audit).await?;
    if to == RosterStatus::Published {
        // Downstream HR and payroll hear of it exactly when it commits (transactional outbox).
        let meta = EventMeta { actor: Some(who.clone()), trace_id: None };
        emit::roster_published(&mut tx, &state.settings.kafka.topics, &meta, row.id.0)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    tx.commit().await?;
    tracing::info!(roster_id = %row.id, from = from.as_str(), to = to.as_str(), version, "roster transition");
    Ok(with_etag(&row, version, WorkflowResult { roster_id: row.id, status: to.as_str().into(), version }))
}

/// One cell to change.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellChange {
    /// Driver id.
    pub driver_id: String,
    /// Day index.
    pub day: i32,
    /// The shift to work, or null for a day off.
    pub shift_id: Option<String>,
}

/// An edit of a roster's assignments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// Cells to change.
    pub changes: Vec<CellChange>,
    /// Accept hard violations (a dispatcher's decision; `reason` is then required).
    #[serde(default)]
    pub force: bool,
    /// Why; recorded in the audit trail.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One hard-rule violation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViolationView {
    /// Rule code (R1–R11).
    pub rule: String,
    /// Driver.
    pub driver_id: String,
    /// Day, when the rule is about days.
    pub day: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The result of an edit.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditResult {
    /// Roster.
    pub roster_id: RosterId,
    /// Version now (the new `ETag`).
    pub version: i32,
    /// Objective after the edit (cents).
    pub objective_cents: i64,
    /// Objective change caused by the edit (cents; positive = more expensive).
    pub cost_delta_cents: i64,
    /// Hard violations of the whole roster after the edit (non-empty only when forced).
    pub violations: Vec<ViolationView>,
    /// The edit was forced over hard violations.
    pub forced: bool,
}

/// Resolves the changes against the scenario; every bad cell is listed.
fn resolve(ix: &ScenarioIndex, changes: &[CellChange]) -> Result<Vec<(DriverIdx, usize, Option<ShiftIdx>)>, ApiError> {
    let mut problems = Vec::new();
    let mut cells = Vec::new();
    if changes.is_empty() {
        return Err(ApiError::invalid("changes", "at least one change is required"));
    }
    for (i, c) in changes.iter().enumerate() {
        let driver = ix.driver_idx(&DriverId(c.driver_id.clone()));
        let shift = match &c.shift_id {
            None => Some(None),
            Some(s) => ix.shift_idx(&ShiftTypeId(s.clone())).map(Some),
        };
        if driver.is_none() {
            problems.push(FieldProblem { path: format!("changes[{i}].driver_id"), message: "no such driver".into() });
        }
        if c.day < 0 || c.day as usize >= ix.days() {
            let message = format!("day {} is outside the horizon 0..{}", c.day, ix.days());
            problems.push(FieldProblem { path: format!("changes[{i}].day"), message });
        }
        if shift.is_none() {
            problems
                .push(FieldProblem { path: format!("changes[{i}].shift_id"), message: "no such shift type".into() });
        }
        if let (Some(d), Some(s)) = (driver, shift) {
            cells.push((d, c.day as usize, s));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(cells)
}

/// Loads a roster's scenario, resolved.
pub(crate) async fn scenario_index(conn: &mut PgConnection, row: &RosterRow) -> Result<ScenarioIndex, ApiError> {
    let body = db::scenarios::body(conn, row.scenario_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the scenario of a roster is missing".into()))?;
    let scenario: Scenario = serde_json::from_value(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    ScenarioIndex::new(scenario).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Change assignments. The evaluator re-checks the whole roster: hard violations refuse the edit
/// (422, listed) unless `force` with a `reason`. Requires `If-Match`; a stale version is a 412.
#[utoipa::path(patch, path = "/v1/rosters/{id}/assignments", tag = "workflow", request_body = EditRequest,
    params(("id" = String, Path, description = "Roster id"), ("If-Match" = String, Header, description = "ETag held")),
    responses((status = 200, body = EditResult),
              (status = 409, description = "Roster no longer editable", body = Problem, content_type = "application/problem+json"),
              (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Bad cells, or hard violations without force", body = Problem, content_type = "application/problem+json"),
              (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json")))]
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    principal: Principal,
    headers: HeaderMap,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<Response, ApiError> {
    let reason = req.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if req.force && reason.is_none() {
        return Err(ApiError::invalid("reason", "a forced edit needs a reason"));
    }
    let mut tx = state.pool.begin().await?;
    let row = locked(&mut tx, &id).await?;
    check_if_match(&headers, &row, true)?;
    let status = parse_status(&row.status, "status")?;
    RosterLifecycle { status, version: row.version as u32 }.record_edit().map_err(conflict)?;
    let ix = scenario_index(&mut tx, &row).await?;
    let cells = resolve(&ix, &req.changes)?;
    let keys: Vec<(String, i32)> = req.changes.iter().map(|c| (c.driver_id.clone(), c.day)).collect();
    db::rosters::lock_cells(&mut tx, row.id, &keys).await?;

    let roster = crate::worker::roster_from_rows(&ix, db::rosters::assignments(&mut tx, row.id).await?);
    let (mut grid, _) = roster.to_grid(&ix).map_err(|e| ApiError::Internal(e.to_string()))?;
    for &(d, t, s) in &cells {
        grid.set(d, t, s);
    }
    let after = evaluate(&ix, &grid);
    let violations: Vec<ViolationView> = after
        .violations
        .iter()
        .map(|v| ViolationView {
            rule: v.rule.to_string(),
            driver_id: v.driver.to_string(),
            day: v.day,
            message: v.message.clone(),
        })
        .collect();
    if !violations.is_empty() && !req.force {
        let listed = violations
            .iter()
            .map(|v| FieldProblem {
                path: format!("rule {}", v.rule),
                message: format!("driver {}: {}", v.driver_id, v.message),
            })
            .collect();
        return Err(ApiError::Invalid(listed));
    }
    let worked: Vec<(String, i32, String)> = cells
        .iter()
        .filter_map(|&(d, t, s)| s.map(|s| (ix.driver_id(d).to_string(), t as i32, ix.shift_id(s).to_string())))
        .collect();
    db::rosters::replace_cells(&mut tx, row.id, &keys, &worked).await?;
    let version = db::rosters::record_edit(&mut tx, row.id, &after, &cost_forecast(&ix, &grid)).await?;
    // `objective_cents` is the evaluator's total of the stored roster (written with every insert and
    // edit), so the delta needs no second evaluation.
    let cost_delta_cents = after.objective.total().cents() - row.objective_cents;
    let forced = req.force && !violations.is_empty();
    let who = principal.username.clone();
    let details = json!({ "changes": req.changes, "cost_delta_cents": cost_delta_cents, "violations": violations });
    let audit = NewAudit {
        roster_id: row.id,
        version,
        actor: &who,
        action: if forced { "forced_edit" } else { "edit" },
        from_status: None,
        to_status: None,
        reason,
        details,
    };
    db::audit::insert(&mut tx, &audit).await?;
    tx.commit().await?;
    tracing::info!(roster_id = %row.id, version, cost_delta_cents, forced, "roster edited");
    let result = EditResult {
        roster_id: row.id,
        version,
        objective_cents: after.objective.total().cents(),
        cost_delta_cents,
        violations,
        forced,
    };
    Ok(with_etag(&row, version, result))
}

/// A roster's audit trail, oldest first.
#[utoipa::path(get, path = "/v1/rosters/{id}/audit", tag = "workflow", params(("id" = String, Path, description = "Roster id")),
    responses((status = 200, body = Vec<AuditRow>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn audit(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Vec<AuditRow>>, ApiError> {
    let row = super::rosters::load(&state, &id).await?;
    Ok(Json(db::audit::list(&state.pool, row.id).await?))
}
