//! Reading and writing scenario and roster files.

use std::fs;
use std::path::{Path, PathBuf};

use model::formats::{self, json::RosterDocument};
use model::{Roster, Scenario, ScenarioIndex};

use crate::error::ServiceError;

fn read(path: &Path) -> Result<String, ServiceError> {
    fs::read_to_string(path).map_err(|source| ServiceError::Io { path: path.to_owned(), source })
}

/// Reads a scenario file, native JSON or Curtois text (detected from the content). A directory is
/// read as its `scenario.json`. The scenario is named after the file when the format has no name.
pub fn read_scenario(path: &Path) -> Result<Scenario, ServiceError> {
    let file: PathBuf = if path.is_dir() { path.join("scenario.json") } else { path.to_owned() };
    let text = read(&file)?;
    let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    formats::parse_scenario(&text, &name).map_err(|source| ServiceError::Model { path: file, source })
}

/// Reads and validates a scenario, resolving it for the evaluator and the solver.
pub fn load_index(path: &Path) -> Result<ScenarioIndex, ServiceError> {
    let scenario = read_scenario(path)?;
    ScenarioIndex::new(scenario).map_err(|source| ServiceError::Model { path: path.to_owned(), source })
}

/// Reads a roster document (JSON with `start_date` and `assignments`).
pub fn read_roster(path: &Path) -> Result<Roster, ServiceError> {
    let text = read(path)?;
    formats::json::parse_roster(&text).map_err(|source| ServiceError::Model { path: path.to_owned(), source })
}

/// Writes `text` to `path`, creating parent folders.
pub fn write(path: &Path, text: &str) -> Result<(), ServiceError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| ServiceError::Io { path: dir.to_owned(), source })?;
    }
    fs::write(path, text).map_err(|source| ServiceError::Io { path: path.to_owned(), source })
}

/// Pretty JSON of a roster document.
pub fn roster_json(doc: &RosterDocument) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_default() + "\n"
}
