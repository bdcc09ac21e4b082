//! `/v1/users`: user administration (admins only, per the authorization matrix).
//!
//! Disabling a user or changing their role revokes all their sessions: a session carries the role
//! it was opened with, so the change takes effect at the next login rather than never.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::extract::{ApiJson, ApiQuery, path_id};
use super::problem::{ApiError, FieldProblem, Problem};
use crate::db;
use crate::db::users::{NewUser, UserRow};
use crate::domain::UserId;
use crate::identity::{AccountError, Password, Principal, Role, Secret, Username};

/// The user routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/users", post(create).get(list)).route("/v1/users/{id}", get(read).patch(update))
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: UserId,
    /// Username (lower case).
    pub username: String,
    /// Role.
    pub role: Role,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> UserView {
        UserView {
            id: u.id,
            username: u.username,
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3–64 of `a-z 0-9 . _ -`, starting with a letter or digit; upper case is folded.
    pub username: String,
    /// At least 12 characters, at most 72 bytes, no control characters.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
    /// Role.
    pub role: Role,
}

fn field_problem(e: AccountError) -> FieldProblem {
    FieldProblem { path: e.field().to_string(), message: e.to_string() }
}

/// Create a user.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUser, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid username, password or role", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    // Both fields are checked so that every problem is listed at once.
    let (username, password) = match (Username::parse(&body.username), Password::parse(body.password)) {
        (Ok(u), Ok(p)) => (u, p),
        (u, p) => {
            let problems = [u.err(), p.err()].into_iter().flatten().map(field_problem).collect();
            return Err(ApiError::Invalid(problems));
        }
    };
    let hash = state.identity.passwords.hash(&password).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let new = NewUser { id: UserId::new(), username: &username, password_hash: &hash, role: body.role };
    let row = db::users::insert(&state.pool, &new).await?;
    tracing::info!(user_id = %row.id, username = %row.username, role = %row.role, by = %principal.username,
        "user created");
    let location = format!("/v1/users/{}", row.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(UserView::from(row))))
}

/// Listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Page size (1–200, default 50).
    pub limit: Option<i64>,
    /// Only users whose username sorts after this one (the last username of the previous page).
    pub after: Option<String>,
}

/// List users by username.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    let limit = super::page_limit(p.limit)?;
    let rows = db::users::list(&state.pool, limit, p.after.as_deref()).await?;
    Ok(Json(rows.into_iter().map(UserView::from).collect()))
}

/// Read a user.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id, "user")?;
    let row = db::users::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "user", id: id.to_string() })?;
    Ok(Json(row.into()))
}

/// A change to a user; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New role (revokes the user's sessions).
    pub role: Option<Role>,
    /// Disable (revokes the user's sessions) or re-enable.
    pub disabled: Option<bool>,
}

/// Change a user's role or disable them. Setting a role (even the current one) or `disabled: true`
/// revokes all their sessions. The last enabled admin can be neither demoted nor disabled (409), so
/// the system always has someone to manage it.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = String, Path, description = "User id")), security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Would leave no enabled admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    let id: UserId = path_id(&id, "user")?;
    if body.role.is_none() && body.disabled.is_none() {
        return Err(ApiError::invalid("body", "nothing to change: give role and/or disabled"));
    }
    let mut tx = state.pool.begin().await?;
    let admins_before = db::users::lock_enabled_admins(&mut tx).await?;
    let before =
        db::users::get_for_update(&mut tx, id).await?.ok_or(ApiError::NotFound { what: "user", id: id.to_string() })?;
    let after = db::users::update(&mut tx, id, body.role, body.disabled)
        .await?
        .ok_or(ApiError::NotFound { what: "user", id: id.to_string() })?;
    let was_admin = before.role == Role::Admin && !before.disabled;
    let is_admin = after.role == Role::Admin && !after.disabled;
    if was_admin && !is_admin && admins_before <= 1 {
        return Err(ApiError::conflict("this is the last enabled admin; promote another user first"));
    }
    tx.commit().await?;
    // After the commit, so that a login racing with this change either sees the new row or has
    // already stored its session (which this then revokes); see `auth::login`.
    // Not "if it changed": a retry after a failed revocation changes nothing and must revoke again.
    let revoke = after.disabled || body.role.is_some();
    if revoke {
        let revoked = state.identity.sessions.revoke_all(id).await.map_err(|e| {
            tracing::error!(error = %e, user_id = %id, "user changed but sessions not revoked");
            ApiError::Unavailable("the change is saved but sessions could not be revoked; retry the request".into())
        })?;
        tracing::info!(user_id = %id, revoked, "sessions revoked");
    }
    tracing::info!(user_id = %id, role = %after.role, disabled = after.disabled, by = %principal.username,
        "user changed");
    Ok(Json(after.into()))
}
