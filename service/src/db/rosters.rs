//! Stored rosters: the header (status, version), assignments, per-driver summaries and the payroll
//! cost forecast. Children are written with one `UNNEST` insert each, so a 2,000-driver roster is
//! four statements, not fifty thousand.

use chrono::{DateTime, Utc};
use model::overtime::CostForecast;
use model::{Evaluation, Roster, RosterStatus};
use sqlx::{PgConnection, PgPool};

use crate::domain::{JobId, RosterId, ScenarioId};

/// A roster's header.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterRow {
    /// Id.
    pub id: RosterId,
    /// Scenario it rosters.
    pub scenario_id: ScenarioId,
    /// Job that produced it.
    pub job_id: Option<JobId>,
    /// Version, bumped by every change.
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
}

/// One assignment row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssignmentRow {
    /// Driver id.
    pub driver_id: String,
    /// Day index.
    pub day: i32,
    /// Shift type id.
    pub shift_id: String,
}

/// Stores a new roster with its children, in lifecycle status `status`.
#[allow(clippy::too_many_arguments)] // each is a column of the header; a struct would only rename them
pub async fn insert(
    conn: &mut PgConnection,
    id: RosterId,
    scenario_id: ScenarioId,
    job_id: Option<JobId>,
    status: RosterStatus,
    roster: &Roster,
    eval: &Evaluation,
    forecast: &CostForecast,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rosters (id, scenario_id, job_id, status, objective_cents, hard_violations)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(scenario_id)
    .bind(job_id)
    .bind(status.as_str())
    .bind(eval.objective.total().cents())
    .bind(eval.violations.len() as i32)
    .execute(&mut *conn)
    .await?;
    insert_assignments(conn, id, roster).await?;
    insert_children(conn, id, eval, forecast).await
}

async fn insert_assignments(conn: &mut PgConnection, id: RosterId, roster: &Roster) -> Result<(), sqlx::Error> {
    let drivers: Vec<&str> = roster.assignments.iter().map(|a| a.driver.as_str()).collect();
    let days: Vec<i32> = roster.assignments.iter().map(|a| a.day as i32).collect();
    let shifts: Vec<&str> = roster.assignments.iter().map(|a| a.shift.as_str()).collect();
    sqlx::query(
        "INSERT INTO assignments (roster_id, driver_id, day, shift_id)
         SELECT $1, * FROM UNNEST($2::text[], $3::int[], $4::text[])",
    )
    .bind(id)
    .bind(&drivers)
    .bind(&days)
    .bind(&shifts)
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_children(
    conn: &mut PgConnection,
    id: RosterId,
    eval: &Evaluation,
    forecast: &CostForecast,
) -> Result<(), sqlx::Error> {
    let s = &eval.drivers;
    sqlx::query(
        "INSERT INTO driver_summaries (roster_id, driver_id, shifts, worked_minutes, overtime_minutes,
                                       weekends_worked, cost_cents)
         SELECT $1, * FROM UNNEST($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::int[], $7::bigint[])",
    )
    .bind(id)
    .bind(s.iter().map(|d| d.driver.as_str()).collect::<Vec<_>>())
    .bind(s.iter().map(|d| d.shifts as i32).collect::<Vec<_>>())
    .bind(s.iter().map(|d| d.minutes.0).collect::<Vec<_>>())
    .bind(s.iter().map(|d| d.overtime_minutes.0).collect::<Vec<_>>())
    .bind(s.iter().map(|d| d.weekends as i32).collect::<Vec<_>>())
    .bind(s.iter().map(|d| d.pay.cents()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;

    let weeks: Vec<_> = forecast.drivers.iter().flat_map(|d| d.weeks.iter().map(move |w| (d, w))).collect();
    // PostgreSQL has no ragged arrays: overtime tiers travel as one text literal per row.
    let overtime: Vec<String> = weeks
        .iter()
        .map(|(_, w)| format!("{{{}}}", w.pay.overtime.iter().map(|m| m.0.to_string()).collect::<Vec<_>>().join(",")))
        .collect();
    sqlx::query(
        "INSERT INTO cost_forecasts (roster_id, driver_id, iso_year, iso_week, worked_minutes, regular_minutes,
                                     overtime_minutes, night_minutes, sunday_holiday_minutes, regular_cents,
                                     overtime_cents, premium_cents)
         SELECT $1, d, y, w, wm, rm, ot::bigint[], nm, sm, rc, oc, pc
         FROM UNNEST($2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[],
                     $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
              AS t(d, y, w, wm, rm, ot, nm, sm, rc, oc, pc)",
    )
    .bind(id)
    .bind(weeks.iter().map(|(d, _)| d.driver.as_str()).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.iso_year).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.iso_week as i32).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.worked.0).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.regular.0).collect::<Vec<_>>())
    .bind(&overtime)
    .bind(weeks.iter().map(|(_, w)| w.pay.night.0).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.sunday_holiday.0).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.regular_pay.cents()).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.overtime_pay.cents()).collect::<Vec<_>>())
    .bind(weeks.iter().map(|(_, w)| w.pay.premium_pay.cents()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "id, scenario_id, job_id, version, status, objective_cents, hard_violations, created_at, updated_at";

/// One roster's header.
pub async fn get(pool: &PgPool, id: RosterId) -> Result<Option<RosterRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM rosters WHERE id = $1")).bind(id).fetch_optional(pool).await
}

/// A roster's assignments, by driver then day.
pub async fn assignments(conn: &mut PgConnection, id: RosterId) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as("SELECT driver_id, day, shift_id FROM assignments WHERE roster_id = $1 ORDER BY driver_id, day")
        .bind(id)
        .fetch_all(conn)
        .await
}

/// One driver's summary row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct DriverSummaryRow {
    /// Driver id.
    pub driver_id: String,
    /// Shifts worked.
    pub shifts: i32,
    /// Minutes worked.
    pub worked_minutes: i64,
    /// Overtime minutes.
    pub overtime_minutes: i64,
    /// Weekends worked.
    pub weekends_worked: i32,
    /// Pay in cents.
    pub cost_cents: i64,
}

/// Per-driver summaries.
pub async fn summaries(pool: &PgPool, id: RosterId) -> Result<Vec<DriverSummaryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT driver_id, shifts, worked_minutes, overtime_minutes, weekends_worked, cost_cents
         FROM driver_summaries WHERE roster_id = $1 ORDER BY driver_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// One driver-week of the cost forecast.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ForecastRow {
    /// Driver id.
    pub driver_id: String,
    /// ISO year.
    pub iso_year: i32,
    /// ISO week.
    pub iso_week: i32,
    /// Minutes worked.
    pub worked_minutes: i64,
    /// Regular minutes.
    pub regular_minutes: i64,
    /// Overtime minutes per tier.
    pub overtime_minutes: Vec<i64>,
    /// Night minutes.
    pub night_minutes: i64,
    /// Sunday and holiday minutes.
    pub sunday_holiday_minutes: i64,
    /// Regular pay (cents).
    pub regular_cents: i64,
    /// Overtime pay (cents).
    pub overtime_cents: i64,
    /// Premiums (cents).
    pub premium_cents: i64,
}

/// The cost forecast, by driver then week.
pub async fn forecast(pool: &PgPool, id: RosterId) -> Result<Vec<ForecastRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT driver_id, iso_year, iso_week, worked_minutes, regular_minutes, overtime_minutes, night_minutes,
                sunday_holiday_minutes, regular_cents, overtime_cents, premium_cents
         FROM cost_forecasts WHERE roster_id = $1 ORDER BY driver_id, iso_year, iso_week",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// Locks a roster's header for the rest of the transaction (edits and transitions of one roster
/// are serialized here; the version check then sees the latest committed version).
pub async fn lock(conn: &mut PgConnection, id: RosterId) -> Result<Option<RosterRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM rosters WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Holds a roster's header for the rest of the transaction without blocking the foreign-key checks
/// of rows that refer to it (`FOR NO KEY UPDATE`): the HR consumers serialize on it before they
/// look for a pending re-optimization of the roster and queue one, so two of them never both
/// queue. Edits and transitions ([`lock`]) still wait for it, and it for them.
pub async fn hold(conn: &mut PgConnection, id: RosterId) -> Result<Option<RosterRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM rosters WHERE id = $1 FOR NO KEY UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Locks the assignment rows of `cells` (driver id, day) in key order. Every edit takes its locks in
/// this one global order, so two edits can wait for each other but never deadlock.
pub async fn lock_cells(conn: &mut PgConnection, id: RosterId, cells: &[(String, i32)]) -> Result<(), sqlx::Error> {
    let mut sorted: Vec<&(String, i32)> = cells.iter().collect();
    sorted.sort();
    let drivers: Vec<&str> = sorted.iter().map(|c| c.0.as_str()).collect();
    let days: Vec<i32> = sorted.iter().map(|c| c.1).collect();
    sqlx::query(
        "SELECT 1 FROM assignments
         WHERE roster_id = $1 AND (driver_id, day) IN (SELECT * FROM UNNEST($2::text[], $3::int[]))
         ORDER BY driver_id, day FOR UPDATE",
    )
    .bind(id)
    .bind(&drivers)
    .bind(&days)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the cells of an edit: removes `cells`, then inserts the new worked shifts.
pub async fn replace_cells(
    conn: &mut PgConnection,
    id: RosterId,
    cells: &[(String, i32)],
    worked: &[(String, i32, String)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM assignments
         WHERE roster_id = $1 AND (driver_id, day) IN (SELECT * FROM UNNEST($2::text[], $3::int[]))",
    )
    .bind(id)
    .bind(cells.iter().map(|c| c.0.as_str()).collect::<Vec<_>>())
    .bind(cells.iter().map(|c| c.1).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO assignments (roster_id, driver_id, day, shift_id)
         SELECT $1, * FROM UNNEST($2::text[], $3::int[], $4::text[])",
    )
    .bind(id)
    .bind(worked.iter().map(|c| c.0.as_str()).collect::<Vec<_>>())
    .bind(worked.iter().map(|c| c.1).collect::<Vec<_>>())
    .bind(worked.iter().map(|c| c.2.as_str()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Rewrites the derived rows (summaries, forecast) and the header after an edit; bumps the version.
pub async fn record_edit(
    conn: &mut PgConnection,
    id: RosterId,
    eval: &Evaluation,
    forecast: &CostForecast,
) -> Result<i32, sqlx::Error> {
    sqlx::query("DELETE FROM driver_summaries WHERE roster_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM cost_forecasts WHERE roster_id = $1").bind(id).execute(&mut *conn).await?;
    insert_children(conn, id, eval, forecast).await?;
    sqlx::query_scalar(
        "UPDATE rosters SET version = version + 1, objective_cents = $2, hard_violations = $3, updated_at = now()
         WHERE id = $1 RETURNING version",
    )
    .bind(id)
    .bind(eval.objective.total().cents())
    .bind(eval.violations.len() as i32)
    .fetch_one(conn)
    .await
}

/// Sets a roster's status and bumps its version.
pub async fn set_status(conn: &mut PgConnection, id: RosterId, status: &str) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE rosters SET status = $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING version",
    )
    .bind(id)
    .bind(status)
    .fetch_one(conn)
    .await
}

/// The roster a re-optimized roster was derived from (its job's baseline).
pub async fn parent(pool: &PgPool, id: RosterId) -> Result<Option<RosterId>, sqlx::Error> {
    let parent: Option<Option<RosterId>> =
        sqlx::query_scalar("SELECT j.baseline_roster_id FROM rosters r JOIN jobs j ON j.id = r.job_id WHERE r.id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(parent.flatten())
}
