//! The hard rules R1–R11 (DESIGN §3). A roster that breaks one is invalid.
//!
//! Each rule is checked in [`crate::evaluate`] (search for `R6` there) and enforced by one constraint
//! family in the solver (search for `R6` in `solver/src/formulation`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Code of a hard rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RuleCode {
    /// At most one shift per driver per day.
    R1,
    /// Minimum rest between shifts on consecutive days, and explicit forbidden successions.
    R2,
    /// Maximum shifts of each type per driver over the horizon (0 = not allowed).
    R3,
    /// Qualifications (and home depot) required by the duty.
    R4,
    /// Worked minutes between the minimum and maximum over the horizon; maximum per week.
    R5,
    /// Maximum consecutive working days.
    R6,
    /// Minimum consecutive working days (blocks touching the horizon's ends are exempt).
    R7,
    /// Minimum consecutive days off (blocks touching the horizon's ends are exempt).
    R8,
    /// Maximum worked weekends.
    R9,
    /// Fixed days off and leave.
    R10,
    /// Pinned assignments.
    R11,
}

impl RuleCode {
    /// All rules in order.
    pub const ALL: [RuleCode; 11] = [
        RuleCode::R1,
        RuleCode::R2,
        RuleCode::R3,
        RuleCode::R4,
        RuleCode::R5,
        RuleCode::R6,
        RuleCode::R7,
        RuleCode::R8,
        RuleCode::R9,
        RuleCode::R10,
        RuleCode::R11,
    ];

    /// One-line description of the rule.
    pub fn describe(self) -> &'static str {
        match self {
            RuleCode::R1 => "at most one shift per driver per day",
            RuleCode::R2 => "minimum rest and forbidden successions between consecutive days",
            RuleCode::R3 => "maximum shifts of each type over the horizon",
            RuleCode::R4 => "required qualifications and home depot",
            RuleCode::R5 => "worked minutes within the contract's bounds",
            RuleCode::R6 => "maximum consecutive working days",
            RuleCode::R7 => "minimum consecutive working days",
            RuleCode::R8 => "minimum consecutive days off",
            RuleCode::R9 => "maximum worked weekends",
            RuleCode::R10 => "fixed days off and leave",
            RuleCode::R11 => "pinned assignments",
        }
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
