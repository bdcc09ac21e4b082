//! Scenario and roster formats.
//!
//! * [`json`]: the native scenario JSON and the roster document, read with the path of any bad value
//!   in the error (`drivers[2].contract.weekly_minutes: invalid type …`).
//! * [`curtois`]: the Curtois & Qu benchmark text format (CRLF or LF).
//! * [`csv`]: roster export as CSV.

pub mod csv;
pub mod curtois;
pub mod json;

use crate::error::ModelError;
use crate::scenario::Scenario;

/// Reads a scenario in either format: JSON when the text starts with `{`, Curtois otherwise.
pub fn parse_scenario(text: &str, name: &str) -> Result<Scenario, ModelError> {
    if text.trim_start().starts_with('{') { json::parse_scenario(text) } else { curtois::parse_curtois(text, name) }
}
