//! Roster export as CSV: one row per worked shift, `driver,day,date,shift,start,duration_minutes`.

use crate::roster::Roster;
use crate::scenario::Scenario;

/// The CSV text of `roster`. Ids never contain commas (validated), but the writer quotes anyway.
pub fn roster_csv(scenario: &Scenario, roster: &Roster) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail; the results are ignored only for that reason.
    let _ = w.write_record(["driver", "day", "date", "shift", "start", "duration_minutes"]);
    for a in &roster.assignments {
        let st = scenario.shift_types.iter().find(|s| s.id == a.shift);
        let start = st.map_or(String::new(), |s| format!("{:02}:{:02}", s.start.get() / 60, s.start.get() % 60));
        let dur = st.map_or(String::new(), |s| s.duration.get().to_string());
        let _ = w.write_record([
            a.driver.as_str(),
            &a.day.to_string(),
            &a.date.to_string(),
            a.shift.as_str(),
            &start,
            &dur,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
