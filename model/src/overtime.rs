//! The overtime calculator (a domain service, DESIGN §3).
//!
//! Per driver and ISO week: worked minutes up to the contract are regular; minutes above it fill the
//! overtime tiers in order (e.g. 150 % for the first 8 h, 200 % beyond). Night shifts and shifts
//! starting on a Sunday or a public holiday earn premiums on every minute. Pay is computed with
//! [`Money::pay`], rounded to the cent once per (driver, week, tier) and once per premium shift, so a
//! forecast is reproducible to the cent.
//!
//! Invariants (property-tested): adding worked minutes never lowers any driver's cost; premiums are
//! only paid for premium shifts.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::ids::{DriverId, DriverIdx};
use crate::index::ScenarioIndex;
use crate::roster::RosterGrid;
use crate::scenario::OvertimeTier;
use crate::units::{Minutes, Money};

/// Minutes and pay of one driver in one ISO week (or one part of it inside the horizon).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayLine {
    /// Minutes worked.
    pub worked: Minutes,
    /// Minutes paid as regular time.
    pub regular: Minutes,
    /// Overtime minutes in each tier of the policy, in order.
    pub overtime: Vec<Minutes>,
    /// Minutes of night shifts.
    pub night: Minutes,
    /// Minutes of shifts starting on a Sunday or a public holiday.
    pub sunday_holiday: Minutes,
    /// Pay for regular minutes.
    pub regular_pay: Money,
    /// Pay for overtime minutes, all tiers.
    pub overtime_pay: Money,
    /// Night, Sunday and holiday premiums.
    pub premium_pay: Money,
}

impl PayLine {
    /// Total overtime minutes.
    pub fn overtime_minutes(&self) -> Minutes {
        self.overtime.iter().copied().sum()
    }

    /// Regular + overtime + premium pay.
    pub fn total_pay(&self) -> Money {
        self.regular_pay + self.overtime_pay + self.premium_pay
    }

    fn add(&mut self, other: &PayLine) {
        self.worked += other.worked;
        self.regular += other.regular;
        if self.overtime.len() < other.overtime.len() {
            self.overtime.resize(other.overtime.len(), Minutes::ZERO);
        }
        for (a, b) in self.overtime.iter_mut().zip(&other.overtime) {
            *a += *b;
        }
        self.night += other.night;
        self.sunday_holiday += other.sunday_holiday;
        self.regular_pay += other.regular_pay;
        self.overtime_pay += other.overtime_pay;
        self.premium_pay += other.premium_pay;
    }
}

/// One ISO week of one driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekPay {
    /// ISO year of the week.
    pub iso_year: i32,
    /// ISO week number.
    pub iso_week: u32,
    /// Days of the week inside the horizon (7 except possibly the first and last week).
    pub days: usize,
    /// Minutes and pay.
    #[serde(flatten)]
    pub pay: PayLine,
}

/// Every week of one driver and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverPay {
    /// Driver.
    pub driver: DriverId,
    /// Week by week.
    pub weeks: Vec<WeekPay>,
    /// Sum over the weeks.
    pub total: PayLine,
}

/// The cost forecast of a roster: per driver and week, and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostForecast {
    /// Per driver, in scenario order.
    pub drivers: Vec<DriverPay>,
    /// Sum over all drivers.
    pub total: PayLine,
}

/// Splits `worked` minutes of a week into regular minutes (up to `contract`) and minutes per overtime
/// tier. The last tier is unbounded, so the parts always add up to `worked`.
pub fn split_week(worked: Minutes, contract: Minutes, tiers: &[OvertimeTier]) -> (Minutes, Vec<Minutes>) {
    let regular = worked.min(contract.max(Minutes::ZERO)).max(Minutes::ZERO);
    let mut rest = worked - regular;
    let mut parts = Vec::with_capacity(tiers.len());
    for (i, tier) in tiers.iter().enumerate() {
        let last = i + 1 == tiers.len();
        let take = match tier.width {
            Some(w) if !last => rest.min(w),
            _ => rest,
        };
        parts.push(take);
        rest -= take;
    }
    (regular, parts)
}

/// Overtime pay of driver `d` for working `worked` minutes in week `week` (all tiers, each rounded
/// to the cent as in the forecast). Non-decreasing in `worked`.
pub fn week_overtime_pay(index: &ScenarioIndex, d: DriverIdx, week: usize, worked: Minutes) -> Money {
    pay_week(index, d, week, worked).overtime_pay
}

/// Regular and overtime pay of one driver's week.
fn pay_week(index: &ScenarioIndex, d: DriverIdx, week: usize, worked: Minutes) -> PayLine {
    let tiers = &index.scenario.overtime.tiers;
    let rate = index.scenario.drivers[d.0].contract.hourly_rate;
    let (regular, overtime) = split_week(worked, index.contract_minutes_in_week(d, week), tiers);
    let overtime_pay = tiers.iter().zip(&overtime).map(|(t, m)| Money::pay(rate, *m, t.percent)).sum();
    PayLine {
        worked,
        regular,
        regular_pay: Money::pay(rate, regular, 100),
        overtime,
        overtime_pay,
        ..PayLine::default()
    }
}

/// Pay of driver `d` under `grid`, week by week.
pub fn driver_pay(index: &ScenarioIndex, grid: &RosterGrid, d: DriverIdx) -> DriverPay {
    let h = &index.scenario.horizon;
    let mut weeks: Vec<WeekPay> = Vec::with_capacity(index.weeks());
    let mut t = 0;
    for (w, &len) in index.days_in_week.iter().enumerate() {
        let days = t..t + len;
        let worked = days.clone().filter_map(|day| grid.get(d, day)).map(|s| index.duration[s.0]).sum();
        let mut pay = pay_week(index, d, w, worked);
        for day in days {
            let Some(s) = grid.get(d, day) else { continue };
            let minutes = index.duration[s.0];
            if index.scenario.shift_types[s.0].is_night() {
                pay.night += minutes;
            }
            let date = h.date(day);
            if date.weekday() == chrono::Weekday::Sun || index.scenario.overtime.holidays.contains(&date) {
                pay.sunday_holiday += minutes;
            }
            pay.premium_pay += index.premium_pay(d, day, s);
        }
        let iso = h.date(t).iso_week();
        weeks.push(WeekPay { iso_year: iso.year(), iso_week: iso.week(), days: len, pay });
        t += len;
    }
    let mut total = PayLine::default();
    for w in &weeks {
        total.add(&w.pay);
    }
    DriverPay { driver: index.driver_id(d).clone(), weeks, total }
}

/// The cost forecast of `grid`: every driver's weeks and the roster's total.
pub fn cost_forecast(index: &ScenarioIndex, grid: &RosterGrid) -> CostForecast {
    let drivers: Vec<DriverPay> = (0..index.drivers()).map(|d| driver_pay(index, grid, DriverIdx(d))).collect();
    let mut total = PayLine::default();
    for d in &drivers {
        total.add(&d.total);
    }
    CostForecast { drivers, total }
}
