//! The planning horizon and its calendar: day indexes, dates, weekdays, ISO weeks and weekends.
//!
//! Day 0 is the horizon's start date; its weekday comes from that date (a Curtois instance starts on
//! a Monday). A weekend is a Saturday and the Sunday after it; a horizon that starts on a Sunday has a
//! first weekend made of that Sunday alone.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Zero-based day of the horizon.
pub type DayIndex = usize;

/// The planning horizon: a start date and a number of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// Calendar date of day 0.
    pub start_date: NaiveDate,
    /// Number of days planned (at least 1).
    pub days: usize,
}

impl Horizon {
    /// Calendar date of `day`.
    pub fn date(&self, day: DayIndex) -> NaiveDate {
        self.start_date.checked_add_days(Days::new(day as u64)).unwrap_or(NaiveDate::MAX)
    }

    /// Weekday of `day`.
    pub fn weekday(&self, day: DayIndex) -> Weekday {
        self.date(day).weekday()
    }

    /// Whether `day` is a Saturday or a Sunday.
    pub fn is_weekend_day(&self, day: DayIndex) -> bool {
        matches!(self.weekday(day), Weekday::Sat | Weekday::Sun)
    }

    /// For each day, the index of the weekend it belongs to (`None` on weekdays). Weekends are
    /// numbered from 0 in calendar order; a Saturday and the following Sunday share one number.
    pub fn weekend_of_day(&self) -> Vec<Option<usize>> {
        let mut out = Vec::with_capacity(self.days);
        let mut next = 0usize;
        for day in 0..self.days {
            let w = match self.weekday(day) {
                Weekday::Sat => {
                    next += 1;
                    Some(next - 1)
                }
                // A Sunday belongs to the Saturday before it, if that Saturday is in the horizon.
                Weekday::Sun if day > 0 => Some(next - 1),
                Weekday::Sun => {
                    next += 1;
                    Some(next - 1)
                }
                _ => None,
            };
            out.push(w);
        }
        out
    }

    /// Number of (possibly partial) weekends in the horizon.
    pub fn weekend_count(&self) -> usize {
        self.weekend_of_day().into_iter().flatten().max().map_or(0, |w| w + 1)
    }

    /// For each day, the index of the ISO week (Monday to Sunday) it falls in, numbered from 0 at the
    /// start; the first and last weeks may be partial.
    pub fn week_of_day(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.days);
        let mut week = 0usize;
        for day in 0..self.days {
            if day > 0 && self.weekday(day) == Weekday::Mon {
                week += 1;
            }
            out.push(week);
        }
        out
    }

    /// Number of (possibly partial) ISO weeks in the horizon.
    pub fn week_count(&self) -> usize {
        self.week_of_day().last().map_or(0, |w| w + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn horizon(start: &str, days: usize) -> Horizon {
        Horizon { start_date: start.parse().expect("test date"), days }
    }

    #[test]
    fn a_monday_start_puts_weekend_t_on_days_7t_plus_5_and_6() {
        let h = horizon("2024-01-01", 14); // a Monday
        let w = h.weekend_of_day();
        assert_eq!(w[5], Some(0));
        assert_eq!(w[6], Some(0));
        assert_eq!(w[12], Some(1));
        assert_eq!(w[13], Some(1));
        assert_eq!(w[0], None);
        assert_eq!(h.weekend_count(), 2);
        assert_eq!(h.week_count(), 2);
    }

    #[test]
    fn a_sunday_start_makes_a_partial_first_weekend_and_week() {
        let h = horizon("2024-01-07", 8); // a Sunday
        let w = h.weekend_of_day();
        assert_eq!(w[0], Some(0));
        assert_eq!(w[6], Some(1)); // Saturday 13th
        assert_eq!(w[7], Some(1)); // Sunday 14th
        assert_eq!(h.week_of_day(), vec![0, 1, 1, 1, 1, 1, 1, 1]);
    }
}
