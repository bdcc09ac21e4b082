//! `/v1/auth`: login, logout, me; and the guard every `/v1` request passes through.
//!
//! The guard, in order: resolves the bearer token into a [`Principal`] (401 without a live
//! session), records `session_id` and `actor` on the request span, counts the request against the
//! principal's rate limit (429), checks the role against [`policy`] (403), and answers the
//! `RateLimit-*` headers. Login is the one anonymous `/v1` route; it is limited per client address.
//!
//! Redis unavailable: login fails closed (503; with no limiter there would be no bound on password
//! guessing, and no session could be stored anyway). Other routes fail open on the limiter (a
//! warning is logged and the request proceeds), so a limiter hiccup never refuses traffic; but
//! sessions also live in Redis, so with Redis wholly down those routes answer 503 all the same.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::extract::ApiJson;
use super::problem::{ApiError, Problem};
use super::users::UserView;
use crate::config::Quota;
use crate::db;
use crate::identity::policy::{self, Access};
use crate::identity::{Decision, IdentityError, Principal, Secret, SessionToken, Username};

/// The auth routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/me", get(me))
}

/// One answer for every failed login, whatever the reason (unknown user, wrong password, disabled
/// account, malformed username): telling them apart would let anyone list the accounts.
fn bad_credentials() -> ApiError {
    ApiError::Unauthorized("invalid username or password".into())
}

fn unavailable(e: IdentityError) -> ApiError {
    match e {
        IdentityError::Redis(e) => {
            tracing::error!(error = %e, "redis unavailable for sessions");
            ApiError::Unavailable("the session store is unavailable; retry later".into())
        }
        other => ApiError::Internal(other.to_string()),
    }
}

/// The bearer token of a request, if it has a well-formed `Authorization: Bearer` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<SessionToken> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| SessionToken::from_presented(token))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username (case-insensitive).
    pub username: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: Secret,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// The bearer token: send it as `Authorization: Bearer <token>`. It is shown only here.
    #[schema(value_type = String)]
    pub token: SessionToken,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the session lasts without a request; each request renews it.
    pub expires_in: u64,
    /// Who logged in.
    pub user: UserView,
}

/// Log in: a session token for valid credentials. Every failure is the same 401, after the same
/// amount of bcrypt work. Limited per client address.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Invalid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Session store unavailable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let passwords = &state.identity.passwords;
    let user = match Username::parse(&body.username) {
        Ok(name) => db::users::by_username(&state.pool, &name).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        passwords.verify_dummy(&body.password).await.map_err(unavailable)?;
        tracing::info!("login refused");
        return Err(bad_credentials());
    };
    // Verified even for a disabled user, so that a disabled account answers as slowly as any other.
    let matches = passwords.verify(&body.password, &user.password_hash).await.map_err(unavailable)?;
    if !matches || user.disabled {
        tracing::info!(user_id = %user.id, "login refused");
        return Err(bad_credentials());
    }
    let (token, principal) =
        state.identity.sessions.create(user.id, &user.username, user.role).await.map_err(unavailable)?;
    // An admin may have disabled the user, or changed the role, while the password was checked;
    // their revoke-all ran before or after this session was stored. Reading the row again after
    // storing it closes the gap: either revoke-all saw the session, or this read sees the change.
    let current = db::users::get(&state.pool, user.id).await?;
    if current.as_ref().is_none_or(|u| u.disabled || u.role != user.role) {
        state.identity.sessions.revoke(&token, user.id).await.map_err(unavailable)?;
        return Err(bad_credentials());
    }
    tracing::info!(user_id = %user.id, actor = %principal.username, session_id = %principal.session_id, "logged in");
    let expires_in = state.identity.sessions.idle_timeout().as_secs();
    Ok(Json(LoginResponse { token, token_type: "Bearer", expires_in, user: UserView::from(user) }))
}

/// Log out: the session's token stops working at once.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(&headers).ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    state.identity.sessions.revoke(&token, principal.user_id).await.map_err(unavailable)?;
    tracing::info!("logged out");
    Ok(StatusCode::NO_CONTENT)
}

/// Who am I: the principal of the session.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Principal), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    /// The principal the guard resolved. Absent only on a route the guard does not cover, which
    /// is a bug; refusing is the safe answer.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Principal, ApiError> {
        parts.extensions.get::<Principal>().cloned().ok_or_else(|| ApiError::Unauthorized("not logged in".into()))
    }
}

/// The guard of every route (see the module documentation). Routes outside `/v1` pass untouched.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/v1" && !path.starts_with("/v1/") {
        return next.run(req).await;
    }
    let template = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());
    let rule = template.as_deref().and_then(|t| policy::rule_for(req.method().as_str(), t));

    if rule.is_some_and(|r| r.access == Access::Anonymous) {
        // Behind a reverse proxy this is the proxy's address; forwarded headers are not trusted
        // because any client could set them to dodge the limit.
        let addr = req.extensions().get::<ConnectInfo<SocketAddr>>().map_or("unknown".into(), |c| c.0.ip().to_string());
        let decision =
            match state.identity.limiter.check(&format!("login:{addr}"), state.settings.login_rate_limit).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "rate limiter unavailable; refusing login (fail closed)");
                    return ApiError::Unavailable("login is unavailable; retry later".into()).into_response();
                }
            };
        return limited(decision, state.settings.login_rate_limit, next.run(req)).await;
    }

    let Some(token) = bearer_token(req.headers()) else {
        return ApiError::Unauthorized("a bearer token is required (Authorization: Bearer <token>)".into())
            .into_response();
    };
    let principal = match state.identity.sessions.resolve(&token).await {
        Ok(Some(p)) => p,
        Ok(None) => return ApiError::Unauthorized("the session is unknown, expired or revoked".into()).into_response(),
        Err(e) => return unavailable(e).into_response(),
    };
    let span = tracing::Span::current();
    span.record("session_id", tracing::field::display(principal.session_id));
    span.record("actor", principal.username.as_str());

    let quota = state.settings.api_rate_limit;
    let decision = match state.identity.limiter.check(&format!("user:{}", principal.user_id), quota).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; admitting the request (fail open)");
            None
        }
    };
    let refusal = match (rule, template.as_deref()) {
        (Some(r), _) if r.access.admits(principal.role) => None,
        (Some(_), _) => Some(format!("the {} role may not {} {}", principal.role, req.method(), req.uri().path())),
        // Unmatched (404) or another method on a known route (405): let the router answer.
        (None, None) => None,
        (None, Some(t)) if policy::knows_path(t) => None,
        (None, Some(t)) => {
            tracing::error!(route = t, "route missing from the authorization matrix; refused");
            Some(format!("{} {} is not open to any role", req.method(), t))
        }
    };
    req.extensions_mut().insert(principal);
    let run = async move {
        match refusal {
            Some(why) => ApiError::Forbidden(why).into_response(),
            None => next.run(req).await,
        }
    };
    match decision {
        Some(d) => limited(d, quota, run).await,
        None => run.await,
    }
}

/// Runs `inner` if `decision` admits the request, else answers 429; either way with the IETF
/// draft's `RateLimit-*` headers.
async fn limited(decision: Decision, quota: Quota, inner: impl Future<Output = Response>) -> Response {
    let mut res = if decision.admitted {
        inner.await
    } else {
        ApiError::TooManyRequests { retry_after_secs: decision.retry_after_secs() }.into_response()
    };
    let h = res.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(decision.reset_secs()));
    if let Ok(v) = HeaderValue::from_str(&format!("{};w={}", quota.limit, quota.period.as_secs())) {
        h.insert("ratelimit-policy", v);
    }
    res
}
