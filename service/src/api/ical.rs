//! iCalendar (RFC 5545) export of one driver's shifts, for calendar apps.

use chrono::{Duration, NaiveDateTime, Utc};
use model::{Roster, ScenarioIndex};

use crate::domain::RosterId;

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// Local date-time (floating: the metro's own time zone) in iCalendar form.
fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// Appends a content line, folded at 75 octets (§3.1).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for ch in content.chars() {
        if width + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += ch.len_utf8();
    }
    out.push_str("\r\n");
}

/// The calendar of `driver`'s worked shifts in `roster`: one VEVENT per shift, stable UIDs so a
/// re-import updates rather than duplicates.
pub fn driver_calendar(ix: &ScenarioIndex, roster: &Roster, driver: &str, id: RosterId) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Metro roster platform//roster//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(&format!("Shifts of {driver}"))));
    let now = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    for a in roster.assignments.iter().filter(|a| a.driver.as_str() == driver) {
        let Some(shift) = ix.scenario.shift_types.iter().find(|s| s.id == a.shift) else { continue };
        let start = a.date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(shift.start.0);
        let end = start + Duration::minutes(shift.duration.0);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}-{}-{}@roster", id.0.simple(), text(driver), a.day));
        line(&mut out, &format!("DTSTAMP:{now}"));
        line(&mut out, &format!("DTSTART:{}", stamp(start)));
        line(&mut out, &format!("DTEND:{}", stamp(end)));
        let name = if shift.name.is_empty() { shift.id.as_str() } else { shift.name.as_str() };
        line(&mut out, &format!("SUMMARY:{}", text(&format!("{name} ({})", shift.id))));
        if let Some(depot) = &shift.depot {
            line(&mut out, &format!("LOCATION:{}", text(depot.as_str())));
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}
