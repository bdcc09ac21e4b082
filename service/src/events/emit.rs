//! Enqueue the events of a state change in the caller's transaction: what the job service calls
//! next to its own writes, so the outbox row commits or rolls back with them.

use chrono::{Days, NaiveDate, Weekday};
use sqlx::PgConnection;
use uuid::Uuid;

use super::envelope::{CostForecast, JobStatusChanged, PublishedAssignment, RosterPublished};
use super::{Envelope, EventMeta, EventsError, Topics};
use crate::db::outbox;

/// Enqueues a job's status change on the jobs topic, keyed by job id. Call it after updating the
/// job's row, in the same transaction.
pub async fn job_status_changed(
    conn: &mut PgConnection,
    topics: &Topics,
    meta: &EventMeta,
    data: &JobStatusChanged,
) -> Result<Envelope, EventsError> {
    let event = Envelope::job_status_changed(meta, data);
    outbox::enqueue(conn, &topics.jobs, &data.job_id.to_string(), &event).await?;
    Ok(event)
}

/// Enqueues the events of publishing `roster_id`: the roster itself (keyed by roster id) and the
/// cost forecast of each driver and ISO week (keyed by driver id), read from the tables. Call it
/// after setting the roster's status to `published`, in the same transaction; returns the events
/// in the order they will be published.
pub async fn roster_published(
    conn: &mut PgConnection,
    topics: &Topics,
    meta: &EventMeta,
    roster_id: Uuid,
) -> Result<Vec<Envelope>, EventsError> {
    let (published, forecasts) = read_publication(conn, roster_id).await?;
    let mut events = Vec::with_capacity(1 + forecasts.len());
    let event = Envelope::roster_published(meta, &published);
    outbox::enqueue(conn, &topics.published, &roster_id.to_string(), &event).await?;
    events.push(event);
    for forecast in &forecasts {
        let event = Envelope::cost_forecast(meta, forecast);
        outbox::enqueue(conn, &topics.cost_forecast, &forecast.driver_id, &event).await?;
        events.push(event);
    }
    Ok(events)
}

type RosterRow = (Uuid, Option<Uuid>, i32, String, NaiveDate, i32);
type ForecastRow = (String, i32, i32, i64, i64, Vec<i64>, i64, i64, i64, i64, i64);

/// Reads the roster, its shifts and its forecasts as the events carry them.
async fn read_publication(
    conn: &mut PgConnection,
    roster_id: Uuid,
) -> Result<(RosterPublished, Vec<CostForecast>), EventsError> {
    let roster: Option<RosterRow> = sqlx::query_as(
        "SELECT r.scenario_id, r.job_id, r.version, r.status, s.start_date, s.days
         FROM rosters r JOIN scenarios s ON s.id = r.scenario_id WHERE r.id = $1",
    )
    .bind(roster_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (scenario_id, job_id, roster_version, status, start_date, days) =
        roster.ok_or(EventsError::RosterNotFound(roster_id))?;
    if status != "published" {
        return Err(EventsError::Inconsistent(format!("roster {roster_id} is {status}, not published")));
    }
    let days = u32::try_from(days).map_err(|_| EventsError::Inconsistent(format!("scenario days {days}")))?;
    let horizon_end = start_date + Days::new(u64::from(days.max(1) - 1));

    let shifts: Vec<(String, i32, String)> =
        sqlx::query_as("SELECT driver_id, day, shift_id FROM assignments WHERE roster_id = $1 ORDER BY driver_id, day")
            .bind(roster_id)
            .fetch_all(&mut *conn)
            .await?;
    let assignments = shifts
        .into_iter()
        .map(|(driver_id, day, shift_id)| {
            let date = u64::try_from(day).ok().and_then(|d| start_date.checked_add_days(Days::new(d)));
            let date = date.ok_or_else(|| EventsError::Inconsistent(format!("assignment day {day}")))?;
            Ok(PublishedAssignment { driver_id, date, shift_id })
        })
        .collect::<Result<_, EventsError>>()?;

    let rows: Vec<ForecastRow> = sqlx::query_as(
        "SELECT driver_id, iso_year, iso_week, worked_minutes, regular_minutes, overtime_minutes,
                night_minutes, sunday_holiday_minutes, regular_cents, overtime_cents, premium_cents
         FROM cost_forecasts WHERE roster_id = $1 ORDER BY driver_id, iso_year, iso_week",
    )
    .bind(roster_id)
    .fetch_all(&mut *conn)
    .await?;
    let forecasts = rows
        .into_iter()
        .map(|(driver_id, iso_year, iso_week, worked, regular, overtime, night, sunday, reg_c, ot_c, prem_c)| {
            let invalid = || EventsError::Inconsistent(format!("ISO week {iso_year}-W{iso_week}"));
            let week = u32::try_from(iso_week).map_err(|_| invalid())?;
            let monday = NaiveDate::from_isoywd_opt(iso_year, week, Weekday::Mon).ok_or_else(invalid)?;
            Ok(CostForecast {
                roster_id,
                driver_id,
                iso_year,
                iso_week: week,
                period_start: monday.max(start_date),
                period_end: (monday + Days::new(6)).min(horizon_end),
                worked_minutes: worked,
                regular_minutes: regular,
                overtime_minutes: overtime,
                night_minutes: night,
                sunday_holiday_minutes: sunday,
                regular_cents: reg_c,
                overtime_cents: ot_c,
                premium_cents: prem_c,
                total_cents: reg_c + ot_c + prem_c,
            })
        })
        .collect::<Result<_, EventsError>>()?;

    let published = RosterPublished { roster_id, scenario_id, job_id, roster_version, start_date, days, assignments };
    Ok((published, forecasts))
}

/// Enqueues the current state of job `id` as a status change: what every job transition calls, in
/// its transaction, after writing the job's row (the row lock keeps the per-key order).
pub async fn job_changed(
    conn: &mut PgConnection,
    topics: &Topics,
    id: crate::domain::JobId,
    actor: Option<&str>,
) -> Result<(), sqlx::Error> {
    let Some(j) = crate::db::jobs::get_in(&mut *conn, id).await? else { return Ok(()) };
    let data = JobStatusChanged {
        job_id: j.id.0,
        scenario_id: j.scenario_id.0,
        status: j.status(),
        attempt: j.attempts.max(0) as u32,
        roster_id: j.roster_id.map(|r| r.0),
        solve_status: j.solve_status.clone(),
        objective_cents: j.objective_cents,
        error: j.error.clone(),
    };
    let meta = EventMeta { actor: actor.map(str::to_owned).or(j.submitted_by.clone()), trace_id: None };
    let event = Envelope::job_status_changed(&meta, &data);
    outbox::enqueue(conn, &topics.jobs, &data.job_id.to_string(), &event).await
}
