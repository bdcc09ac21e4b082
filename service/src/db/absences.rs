//! Driver absences from HR (migration 0010): applying one idempotently, reading availability, and
//! the published rosters an absence breaks.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::RosterId;
use crate::events::envelope::AbsenceRecorded;

/// What applying an absence did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Recorded, or an earlier record of the same absence corrected; `disruptions` published
    /// roster days clash with it now.
    Applied {
        /// Roster days (roster, driver, date) marked as broken by this absence.
        disruptions: u64,
    },
    /// The driver's state is already at or past this message's version: a redelivery or a replay.
    Stale {
        /// The version already applied for the driver.
        current_version: i64,
    },
    /// This absence was already applied with the same kind and days (HR re-sent it under a newer
    /// version): availability does not change.
    Unchanged,
}

/// Applies `absence` if the entity-state checks let it through, and marks the published rosters
/// it breaks. Run it in the transaction whose commit the Kafka offset commit waits for.
///
/// The driver's state row is locked first, so two consumers racing on one driver (during a
/// rebalance) apply in turn and the second sees the first's version. A newer record of a known
/// absence replaces the old one (HR corrected its days), and its disruptions are recomputed.
pub async fn apply(
    conn: &mut PgConnection,
    absence: &AbsenceRecorded,
    event_id: Uuid,
) -> Result<ApplyOutcome, sqlx::Error> {
    sqlx::query("INSERT INTO driver_absence_state (driver_id, last_version) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(&absence.driver_id)
        .execute(&mut *conn)
        .await?;
    let current: i64 =
        sqlx::query_scalar("SELECT last_version FROM driver_absence_state WHERE driver_id = $1 FOR UPDATE")
            .bind(&absence.driver_id)
            .fetch_one(&mut *conn)
            .await?;
    if absence.driver_version <= current {
        return Ok(ApplyOutcome::Stale { current_version: current });
    }
    // The version moves on whatever follows: this message is now the driver's latest state.
    sqlx::query("UPDATE driver_absence_state SET last_version = $2, updated_at = now() WHERE driver_id = $1")
        .bind(&absence.driver_id)
        .bind(absence.driver_version)
        .execute(&mut *conn)
        .await?;
    let previous: Option<(String, String, NaiveDate, NaiveDate)> = sqlx::query_as(
        "SELECT driver_id, kind, from_date, to_date FROM driver_absences WHERE absence_id = $1 FOR UPDATE",
    )
    .bind(&absence.absence_id)
    .fetch_optional(&mut *conn)
    .await?;
    let same = (absence.driver_id.clone(), absence.kind.as_str().to_owned(), absence.from, absence.to);
    if previous.as_ref() == Some(&same) {
        return Ok(ApplyOutcome::Unchanged);
    }
    sqlx::query(
        "INSERT INTO driver_absences (absence_id, driver_id, kind, from_date, to_date, source_version, source_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (absence_id) DO UPDATE SET driver_id = $2, kind = $3, from_date = $4, to_date = $5,
             source_version = $6, source_event_id = $7, applied_at = now()",
    )
    .bind(&absence.absence_id)
    .bind(&absence.driver_id)
    .bind(absence.kind.as_str())
    .bind(absence.from)
    .bind(absence.to)
    .bind(absence.driver_version)
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    if previous.is_some() {
        // The corrected days replace the old ones: clashes outside them are gone.
        sqlx::query("DELETE FROM roster_disruptions WHERE absence_id = $1")
            .bind(&absence.absence_id)
            .execute(&mut *conn)
            .await?;
    }
    let disruptions = mark_disruptions(conn, absence).await?;
    Ok(ApplyOutcome::Applied { disruptions })
}

/// Marks every day a published roster assigns the driver a shift inside the absence. Day index
/// `day` of a roster is the date `start_date + day` of its scenario.
async fn mark_disruptions(conn: &mut PgConnection, absence: &AbsenceRecorded) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO roster_disruptions (roster_id, driver_id, date, absence_id)
         SELECT a.roster_id, a.driver_id, s.start_date + a.day, $2
         FROM assignments a
         JOIN rosters r ON r.id = a.roster_id
         JOIN scenarios s ON s.id = r.scenario_id
         WHERE r.status = 'published' AND a.driver_id = $1
           AND s.start_date + a.day BETWEEN $3 AND $4
         ON CONFLICT DO NOTHING",
    )
    .bind(&absence.driver_id)
    .bind(&absence.absence_id)
    .bind(absence.from)
    .bind(absence.to)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// An applied absence.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Absence {
    /// HR's id.
    pub absence_id: String,
    /// The driver.
    pub driver_id: String,
    /// `sickness` or `leave`.
    pub kind: String,
    /// First day away.
    pub from_date: NaiveDate,
    /// Last day away (inclusive).
    pub to_date: NaiveDate,
    /// HR's driver version that recorded it.
    pub source_version: i64,
}

/// The driver's absences that overlap `from..=to`, earliest first: the days they cannot work.
pub async fn for_driver(
    conn: &mut PgConnection,
    driver_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Absence>, sqlx::Error> {
    sqlx::query_as(
        "SELECT absence_id, driver_id, kind, from_date, to_date, source_version FROM driver_absences
         WHERE driver_id = $1 AND from_date <= $3 AND to_date >= $2 ORDER BY from_date, absence_id",
    )
    .bind(driver_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// The absences of any of `drivers` that overlap `from..=to`, by driver then date: what a
/// re-optimization of a roster over that horizon must respect.
pub async fn overlapping(
    conn: &mut PgConnection,
    drivers: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Absence>, sqlx::Error> {
    sqlx::query_as(
        "SELECT absence_id, driver_id, kind, from_date, to_date, source_version FROM driver_absences
         WHERE driver_id = ANY($1) AND from_date <= $3 AND to_date >= $2
         ORDER BY driver_id, from_date, absence_id",
    )
    .bind(drivers)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// The rosters, still published, that `absence_id` breaks, in id order (the order in which the HR
/// consumer takes their locks, so two consumers never wait for each other in a circle).
pub async fn disrupted_published_rosters(
    conn: &mut PgConnection,
    absence_id: &str,
) -> Result<Vec<RosterId>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT d.roster_id FROM roster_disruptions d JOIN rosters r ON r.id = d.roster_id
         WHERE d.absence_id = $1 AND r.status = 'published' ORDER BY d.roster_id",
    )
    .bind(absence_id)
    .fetch_all(conn)
    .await
}

/// A published roster day an absence breaks.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Disruption {
    /// The roster.
    pub roster_id: Uuid,
    /// The absent driver it assigns.
    pub driver_id: String,
    /// The day of the clash.
    pub date: NaiveDate,
    /// The absence that causes it.
    pub absence_id: String,
    /// When the consumer found it.
    pub detected_at: DateTime<Utc>,
}

/// The days of `roster_id` broken by absences, by date then driver.
pub async fn disruptions(conn: &mut PgConnection, roster_id: Uuid) -> Result<Vec<Disruption>, sqlx::Error> {
    sqlx::query_as(
        "SELECT roster_id, driver_id, date, absence_id, detected_at FROM roster_disruptions
         WHERE roster_id = $1 ORDER BY date, driver_id, absence_id",
    )
    .bind(roster_id)
    .fetch_all(conn)
    .await
}
