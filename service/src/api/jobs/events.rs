//! Job progress: the stored history, and the live stream as server-sent events.
//!
//! The stream reads what workers store in `job_progress`, so it works whichever machine runs the
//! job and survives a reconnect: `Last-Event-ID` (the `seq` of the last report seen) resumes it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use sqlx::PgPool;

use super::JobView;
use crate::api::AppState;
use crate::api::extract::path_id;
use crate::api::problem::{ApiError, Problem};
use crate::db;
use crate::db::progress::ProgressRow;
use crate::domain::JobId;

/// How often the stream looks for new reports.
const POLL: Duration = Duration::from_millis(300);

/// Every progress report of a job so far.
#[utoipa::path(get, path = "/v1/jobs/{id}/progress", tag = "jobs", params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = Vec<ProgressRow>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ProgressRow>>, ApiError> {
    let id: JobId = path_id(&id, "job")?;
    db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    Ok(Json(db::progress::after(&state.pool, id, 0).await?))
}

/// Follow a job: `progress` events (id = report number) as the solver improves, then one `end`
/// event with the final job, after which the stream closes.
#[utoipa::path(get, path = "/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "Job id"),
           ("Last-Event-ID" = Option<i32>, Header, description = "Resume after this report")),
    responses((status = 200, description = "text/event-stream of `progress` and `end` events", content_type = "text/event-stream"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let id: JobId = path_id(&id, "job")?;
    db::jobs::get(&state.pool, id).await?.ok_or(ApiError::NotFound { what: "job", id: id.to_string() })?;
    let after = match headers.get("last-event-id") {
        None => 0,
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
            .ok_or_else(|| ApiError::invalid("Last-Event-ID", "must be a report number"))?,
    };
    let follow = Follow { pool: state.pool.clone(), id, last_seq: after, buffer: VecDeque::new(), ended: false };
    let events = futures::stream::unfold(follow, |mut f| async move { f.next().await.map(|e| (Ok(e), f)) });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// The stream's state.
struct Follow {
    pool: PgPool,
    id: JobId,
    last_seq: i32,
    buffer: VecDeque<ProgressRow>,
    ended: bool,
}

impl Follow {
    /// The next event, `None` once the `end` event was sent.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(p) = self.buffer.pop_front() {
                return Event::default().event("progress").id(p.seq.to_string()).json_data(&p).ok();
            }
            if self.ended {
                return None;
            }
            // Read the status before the reports: a job seen ended has stored all its reports.
            let job = match db::jobs::get(&self.pool, self.id).await {
                Ok(Some(job)) => job,
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "progress stream: database error");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            match db::progress::after(&self.pool, self.id, self.last_seq).await {
                Ok(rows) => {
                    if let Some(last) = rows.last() {
                        self.last_seq = last.seq;
                    }
                    self.buffer.extend(rows);
                }
                Err(e) => tracing::warn!(error = %e, "progress stream: database error"),
            }
            if !self.buffer.is_empty() {
                continue;
            }
            if job.status().is_terminal() {
                self.ended = true;
                return Event::default().event("end").json_data(JobView::from(job)).ok();
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
