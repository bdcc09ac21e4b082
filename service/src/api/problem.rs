//! The API's one error type, answered as an RFC 9457 problem document.
//!
//! Every handler returns `Result<_, ApiError>`. Client mistakes are 4xx with the field, line or rule
//! named; database constraint violations are mapped by constraint name, so a race that a check in
//! code missed still ends as a 4xx, never a 500. A 500 says nothing about internals: the cause is
//! logged with the request's span.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One problem with the request, located by a path into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Where: a JSON path (`drivers[3].contract.min_minutes`), a header name or `line 12`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl From<model::Issue> for FieldProblem {
    fn from(i: model::Issue) -> FieldProblem {
        FieldProblem { path: i.path, message: i.message }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, in words.
    pub detail: String,
    /// Every problem found in the request, when it was checked field by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For state conflicts: the current state and the allowed transitions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    /// For state conflicts: the states reachable from the current one (empty in a final state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (syntax, missing header, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// The request is well-formed but its content is invalid; every problem is listed.
    #[error("{} problem(s) in the request", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// No such resource.
    #[error("{what} {id} not found")]
    NotFound {
        /// Kind of resource.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// The request conflicts with the resource's current state.
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The current state, for state-machine conflicts.
        current_state: Option<String>,
        /// What is allowed from there.
        allowed: Vec<String>,
    },
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A conditional request's precondition (`If-Match`) failed.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A conditional request lacks its precondition.
    #[error("{0}")]
    PreconditionRequired(String),
    /// Body of the wrong media type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Body larger than the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Not logged in, or the session is gone.
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests; retry after this many seconds.
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until a request would be admitted.
        retry_after_secs: u64,
    },
    /// A dependency (database, Redis) is unavailable.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A single invalid field.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldProblem { path: path.into(), message: message.into() }])
    }

    /// A plain conflict.
    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::Conflict { detail: detail.into(), current_state: None, allowed: Vec::new() }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error").to_string();
        let detail = match self {
            // Internal details stay in the logs.
            ApiError::Internal(_) => "the server failed to handle the request; it has been logged".to_string(),
            other => other.to_string(),
        };
        let mut p = Problem {
            type_uri: "about:blank".into(),
            title,
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
            current_state: None,
            allowed: None,
        };
        match self {
            ApiError::Invalid(errors) => {
                p.type_uri = "/problems/validation".into();
                p.errors = errors.clone();
            }
            ApiError::Conflict { current_state, allowed, .. } => {
                p.current_state = current_state.clone();
                p.allowed = current_state.as_ref().map(|_| allowed.clone());
            }
            _ => {}
        }
        p
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "request refused");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = (status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    /// Constraint violations are the client's doing (a race a check in code could not see); the rest
    /// is the server's.
    fn from(e: sqlx::Error) -> ApiError {
        if let Some(db) = e.as_database_error() {
            match db.constraint() {
                Some("jobs_idempotency_key_unique") => {
                    return ApiError::conflict("Idempotency-Key was already used for another request");
                }
                Some("jobs_scenario_id_fkey") => return ApiError::invalid("scenario_id", "no such scenario"),
                Some("jobs_baseline_roster_fk") => return ApiError::invalid("baseline_roster_id", "no such roster"),
                Some("users_username_unique") => return ApiError::conflict("the username is taken"),
                Some(name) if db.is_unique_violation() => {
                    return ApiError::conflict(format!("conflicts with an existing record ({name})"));
                }
                Some(name) if db.is_check_violation() || db.is_foreign_key_violation() => {
                    return ApiError::invalid("body", format!("refused by the database rule {name}"));
                }
                _ => {}
            }
        }
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError::Unavailable("the database is unavailable; retry later".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<model::ModelError> for ApiError {
    fn from(e: model::ModelError) -> ApiError {
        ApiError::Invalid(e.issues().into_iter().map(FieldProblem::from).collect())
    }
}
