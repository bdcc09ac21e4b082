//! Typed identifiers.
//!
//! Ids are the names people use (`D`, `E12`, `north-depot`), kept as strings so that imported data
//! round-trips unchanged. Each kind has its own type, so a shift id can never be passed where a driver
//! id is expected. Dense indices (`DriverIdx`, `ShiftIdx`) are what the evaluator and the solver use
//! internally; they are only meaningful together with the [`crate::ScenarioIndex`] that made them.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as written in the scenario.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the id is usable: non-empty, at most 64 characters, no whitespace and no
            /// commas (ids travel through CSV exports).
            pub fn is_well_formed(&self) -> bool {
                !self.0.is_empty()
                    && self.0.chars().count() <= 64
                    && !self.0.chars().any(|c| c.is_whitespace() || c == ',')
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A driver's staff id.
    DriverId
);
string_id!(
    /// A shift type (duty) id, e.g. `E` for early or `N3` for a night duty on line 3.
    ShiftTypeId
);
string_id!(
    /// A depot id; drivers of one depot only work that depot's duties.
    DepotId
);
string_id!(
    /// A qualification (line or rolling-stock licence) that a duty may require.
    Qualification
);

/// Dense index of a driver in [`crate::Scenario::drivers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DriverIdx(pub usize);

/// Dense index of a shift type in [`crate::Scenario::shift_types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ShiftIdx(pub usize);
