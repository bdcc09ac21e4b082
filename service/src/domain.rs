//! The service's own domain: typed ids of stored aggregates, the job state machine and validated
//! job options. Everything here is plain data, checked once at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[derive(sqlx::Type)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> $name {
                $name(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<$name, uuid::Error> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(
    /// A stored scenario.
    ScenarioId
);
uuid_id!(
    /// An optimization job.
    JobId
);
uuid_id!(
    /// A stored roster (one per successful job, then edited in place with a version).
    RosterId
);
uuid_id!(
    /// A user account.
    UserId
);

/// Where a job is in its life. Transitions: queued → running → succeeded | failed | cancelled, and
/// running → queued when its worker hands it back or its lease expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker holding a lease.
    Running,
    /// Solved; the roster (if the scenario had one) is stored.
    Succeeded,
    /// Ended without a result: infeasible, invalid, or the worker was lost too many times.
    Failed,
    /// Cancelled by a user; the best roster found before the cancellation is stored.
    Cancelled,
}

impl JobStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [JobStatus; 5] =
        [JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded, JobStatus::Failed, JobStatus::Cancelled];

    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// No further transition.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<JobStatus, String> {
        JobStatus::ALL.into_iter().find(|j| j.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = JobStatus::ALL.iter().map(|j| j.as_str()).collect();
            format!("unknown job status {s:?}; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job was queued (`jobs.trigger`, migration 0011). It decides the status of the roster the
/// job produces: what a user asked for is proposed for review at once, while what the system
/// queued on its own starts as a draft that a dispatcher looks at before anyone else sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    /// A user submitted it through the API (a job, or a re-optimization of a roster).
    Api,
    /// The HR consumer queued it: an absence broke a published roster (`ROSTER_AUTO_REOPTIMIZE`).
    HrAbsence,
}

impl JobTrigger {
    /// Every trigger.
    pub const ALL: [JobTrigger; 2] = [JobTrigger::Api, JobTrigger::HrAbsence];

    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            JobTrigger::Api => "api",
            JobTrigger::HrAbsence => "hr_absence",
        }
    }

    /// The lifecycle status of the roster such a job produces (DESIGN §3: a draft must be moved to
    /// proposed by a reviewer before it can be approved).
    pub fn roster_status(self) -> model::RosterStatus {
        match self {
            JobTrigger::Api => model::RosterStatus::Proposed,
            JobTrigger::HrAbsence => model::RosterStatus::Draft,
        }
    }
}

impl FromStr for JobTrigger {
    type Err = String;
    fn from_str(s: &str) -> Result<JobTrigger, String> {
        JobTrigger::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = JobTrigger::ALL.iter().map(|t| t.as_str()).collect();
            format!("unknown job trigger {s:?}; expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for JobTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Solver options of a job, as stored; checked by [`JobOptions::solve_options`] before storing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobOptions {
    /// Time limit in seconds (0 < t ≤ 3600).
    #[serde(default = "default_time_limit")]
    pub time_limit_secs: f64,
    /// Relative MIP gap at which to stop (0 ≤ gap ≤ 1).
    #[serde(default)]
    pub gap: f64,
    /// HiGHS threads (1–256).
    #[serde(default = "default_threads")]
    pub threads: u32,
    /// Random seed; the same seed and threads give the same roster.
    #[serde(default)]
    pub seed: u64,
}

fn default_time_limit() -> f64 {
    30.0
}

fn default_threads() -> u32 {
    1
}

/// The longest a job may run: longer planning runs belong in a batch window, not an API job.
pub const MAX_TIME_LIMIT_SECS: f64 = 3600.0;

impl Default for JobOptions {
    fn default() -> JobOptions {
        JobOptions { time_limit_secs: default_time_limit(), gap: 0.0, threads: default_threads(), seed: 0 }
    }
}

impl JobOptions {
    /// The solver's options, or the problem with the field named.
    pub fn solve_options(&self) -> Result<solver::SolveOptions, model::Issue> {
        if !(self.time_limit_secs > 0.0 && self.time_limit_secs <= MAX_TIME_LIMIT_SECS) {
            return Err(model::Issue::new(
                "options.time_limit_secs",
                format!("{} is outside (0, {MAX_TIME_LIMIT_SECS}] seconds", self.time_limit_secs),
            ));
        }
        let mut opts =
            solver::SolveOptions::new(self.time_limit_secs, self.gap, self.threads).map_err(|e| match e {
                solver::SolverError::BadOption { option, message } => {
                    let field = if option == "time_limit" { "time_limit_secs" } else { option };
                    model::Issue::new(format!("options.{field}"), message)
                }
                other => model::Issue::new("options", other.to_string()),
            })?;
        opts.seed = self.seed;
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_status_names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(s));
        }
        assert!("done".parse::<JobStatus>().unwrap_err().contains("queued"));
    }

    #[test]
    fn job_trigger_names_round_trip_and_only_hr_absence_jobs_produce_drafts() {
        for t in JobTrigger::ALL {
            assert_eq!(t.as_str().parse::<JobTrigger>(), Ok(t));
        }
        assert!("cron".parse::<JobTrigger>().unwrap_err().contains("hr_absence"));
        assert_eq!(JobTrigger::Api.roster_status(), model::RosterStatus::Proposed);
        assert_eq!(JobTrigger::HrAbsence.roster_status(), model::RosterStatus::Draft);
    }

    #[test]
    fn options_outside_their_range_name_the_field() {
        let bad = JobOptions { time_limit_secs: 0.0, ..JobOptions::default() };
        assert_eq!(bad.solve_options().unwrap_err().path, "options.time_limit_secs");
        let bad = JobOptions { gap: 1.5, ..JobOptions::default() };
        assert_eq!(bad.solve_options().unwrap_err().path, "options.gap");
        let bad = JobOptions { threads: 0, ..JobOptions::default() };
        assert_eq!(bad.solve_options().unwrap_err().path, "options.threads");
        assert!(JobOptions::default().solve_options().is_ok());
    }
}
