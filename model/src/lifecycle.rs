//! The roster lifecycle state machine (DESIGN §3):
//!
//! ```text
//! draft → proposed → approved → published → superseded
//!            └──→ rejected
//! ```
//!
//! Edits are allowed while a roster is a draft or proposed and each one increments the version, which
//! is what optimistic concurrency (`ETag`/`If-Match`) compares.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Where a roster is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    /// Being prepared; editable.
    Draft,
    /// Submitted for review by dispatchers; editable.
    Proposed,
    /// Accepted by a dispatcher; ready to publish.
    Approved,
    /// Sent to drivers, HR and payroll.
    Published,
    /// Replaced by a newer published roster.
    Superseded,
    /// Refused in review.
    Rejected,
}

impl RosterStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RosterStatus; 6] = [
        RosterStatus::Draft,
        RosterStatus::Proposed,
        RosterStatus::Approved,
        RosterStatus::Published,
        RosterStatus::Superseded,
        RosterStatus::Rejected,
    ];

    /// The statuses reachable from this one.
    pub fn allowed_next(self) -> &'static [RosterStatus] {
        use RosterStatus::*;
        match self {
            Draft => &[Proposed],
            Proposed => &[Approved, Rejected],
            Approved => &[Published],
            Published => &[Superseded],
            Superseded | Rejected => &[],
        }
    }

    /// Whether assignments may still be edited.
    pub fn is_editable(self) -> bool {
        matches!(self, RosterStatus::Draft | RosterStatus::Proposed)
    }

    /// Lower-case name as used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Draft => "draft",
            RosterStatus::Proposed => "proposed",
            RosterStatus::Approved => "approved",
            RosterStatus::Published => "published",
            RosterStatus::Superseded => "superseded",
            RosterStatus::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for RosterStatus {
    type Err = String;

    /// Parses the lower-case name ([`RosterStatus::as_str`]).
    fn from_str(s: &str) -> Result<RosterStatus, String> {
        RosterStatus::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("unknown roster status {s:?}"))
    }
}

impl fmt::Display for RosterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused transition or edit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The target status cannot be reached from the current one.
    #[error("cannot go from {from} to {to}; allowed: {}", list(.allowed))]
    Illegal {
        /// Current status.
        from: RosterStatus,
        /// Requested status.
        to: RosterStatus,
        /// What is allowed from `from`.
        allowed: Vec<RosterStatus>,
    },
    /// The roster is no longer editable.
    #[error("a {0} roster cannot be edited; only draft and proposed rosters can")]
    NotEditable(RosterStatus),
}

fn list(s: &[RosterStatus]) -> String {
    if s.is_empty() {
        return "none (final state)".into();
    }
    s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
}

/// Status and version of a roster: the entity part of its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterLifecycle {
    /// Current status.
    pub status: RosterStatus,
    /// Incremented by every edit and transition, starting at 1.
    pub version: u32,
}

impl Default for RosterLifecycle {
    fn default() -> Self {
        RosterLifecycle { status: RosterStatus::Draft, version: 1 }
    }
}

impl RosterLifecycle {
    /// Moves to `to` if the state machine allows it.
    pub fn transition(&mut self, to: RosterStatus) -> Result<(), TransitionError> {
        if !self.status.allowed_next().contains(&to) {
            return Err(TransitionError::Illegal {
                from: self.status,
                to,
                allowed: self.status.allowed_next().to_vec(),
            });
        }
        self.status = to;
        self.version += 1;
        Ok(())
    }

    /// Records an edit of the assignments.
    pub fn record_edit(&mut self) -> Result<(), TransitionError> {
        if !self.status.is_editable() {
            return Err(TransitionError::NotEditable(self.status));
        }
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::RosterStatus::*;
    use super::*;

    #[test]
    fn status_names_round_trip_and_unknown_names_are_refused() {
        for status in RosterStatus::ALL {
            assert_eq!(status.as_str().parse::<RosterStatus>(), Ok(status));
        }
        assert!("archived".parse::<RosterStatus>().unwrap_err().contains("archived"));
    }

    #[test]
    fn the_happy_path_reaches_superseded_and_counts_versions() {
        let mut r = RosterLifecycle::default();
        for to in [Proposed, Approved, Published, Superseded] {
            r.transition(to).expect("legal transition");
        }
        assert_eq!(r.status, Superseded);
        assert_eq!(r.version, 5);
    }

    #[test]
    fn every_illegal_transition_names_the_current_state_and_the_allowed_ones() {
        let all = [Draft, Proposed, Approved, Published, Superseded, Rejected];
        for from in all {
            for to in all {
                let mut r = RosterLifecycle { status: from, version: 1 };
                let res = r.transition(to);
                if from.allowed_next().contains(&to) {
                    assert!(res.is_ok());
                } else {
                    let err = res.expect_err("illegal").to_string();
                    assert!(err.contains(from.as_str()), "{err}");
                    assert_eq!(r.status, from);
                }
            }
        }
    }

    #[test]
    fn only_draft_and_proposed_rosters_accept_edits() {
        let mut r = RosterLifecycle::default();
        r.record_edit().expect("draft is editable");
        assert_eq!(r.version, 2);
        r.status = Approved;
        assert_eq!(r.record_edit(), Err(TransitionError::NotEditable(Approved)));
    }
}
