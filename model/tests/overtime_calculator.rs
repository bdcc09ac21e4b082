//! The overtime calculator (DESIGN §3): worked examples to the cent, `split_week` unit cases and
//! property tests (more work never pays less; premiums only for premium shifts).

mod common;

use chrono::{Datelike, NaiveDate, Weekday};
use common::{Builder, MONDAY, THURSDAY, driver_with, early, night, shift};
use model::overtime::{CostForecast, DriverPay, cost_forecast, driver_pay, split_week};
use model::{DriverIdx, Minutes, Money, OvertimeTier, RosterGrid, ScenarioIndex, ShiftIdx, ShiftTag, ShiftType};
use proptest::prelude::*;

/// One driver "A" at 30.00/h on a 40-hour (2400-minute) contract.
fn paid_driver(start: &str, days: usize, shifts: Vec<ShiftType>) -> Builder {
    let mut b = Builder::new(start, days);
    for s in shifts {
        b = b.shift(s);
    }
    b.driver(driver_with("A", |c| c.hourly_rate = Money(3000)))
}

fn pay_of(ix: &ScenarioIndex, pattern: &str) -> DriverPay {
    driver_pay(ix, &common::grid(ix, &[("A", pattern)]), DriverIdx(0))
}

fn tiers(spec: &[(Option<i64>, u32)]) -> Vec<OvertimeTier> {
    spec.iter().map(|&(w, percent)| OvertimeTier { width: w.map(Minutes), percent }).collect()
}

fn minutes(v: &[i64]) -> Vec<Minutes> {
    v.iter().copied().map(Minutes).collect()
}

// ---------------------------------------------------------------------------------------------
// Worked examples.

#[test]
fn a_2880_minute_week_on_a_2400_minute_contract_pays_480_minutes_at_150_percent() {
    let ix = paid_driver(MONDAY, 7, vec![early()]).index();
    let pay = pay_of(&ix, "E E E E E E -");
    assert_eq!(pay.weeks.len(), 1);
    let w = &pay.weeks[0].pay;
    assert_eq!((w.worked, w.regular, w.overtime.clone()), (Minutes(2880), Minutes(2400), minutes(&[480, 0])));
    // 2400 min at 30.00/h = 1200.00; 480 min at 45.00/h = 360.00.
    assert_eq!((w.regular_pay, w.overtime_pay, w.premium_pay), (Money(120_000), Money(36_000), Money::ZERO));
    assert_eq!(pay.total.total_pay(), Money(156_000));
}

#[test]
fn overtime_beyond_the_first_eight_hours_goes_into_the_200_percent_tier() {
    let ix = paid_driver(MONDAY, 7, vec![shift("X", 360, 600)]).index();
    // Six 10-hour shifts: 3600 min, 1200 above contract: 480 at 150 %, 720 at 200 %.
    let w = pay_of(&ix, "X X X X X X -").weeks[0].pay.clone();
    assert_eq!(w.overtime, minutes(&[480, 720]));
    assert_eq!(w.overtime_pay, Money(3000 * 480 * 150 / 6000 + 3000 * 720 * 200 / 6000));
    assert_eq!(w.overtime_pay, Money(36_000 + 72_000));
    assert_eq!(w.overtime_minutes(), Minutes(1200));
}

#[test]
fn a_partial_first_week_prorates_the_contract_rounding_down() {
    // From Thursday 4 January: week 0 is Thu–Sun (4 days), week 1 Mon–Sun.
    let ix = paid_driver(THURSDAY, 11, vec![early()]).index();
    assert_eq!(ix.days_in_week, [4, 7]);
    // 2400 · 4 / 7 = 1371.4… → 1371 regular minutes.
    assert_eq!(ix.contract_minutes_in_week(DriverIdx(0), 0), Minutes(1371));
    assert_eq!(ix.contract_minutes_in_week(DriverIdx(0), 1), Minutes(2400));
    let pay = pay_of(&ix, "E E E - E E E E E - -");
    let (first, second) = (&pay.weeks[0], &pay.weeks[1]);
    assert_eq!((first.iso_year, first.iso_week, first.days), (2024, 1, 4));
    assert_eq!((second.iso_year, second.iso_week, second.days), (2024, 2, 7));
    // Week 0: 1440 worked, 1371 regular, 69 overtime at 150 %: 3000 · 69 · 1.5 / 60 = 51.75.
    assert_eq!((first.pay.regular, first.pay.overtime.clone()), (Minutes(1371), minutes(&[69, 0])));
    assert_eq!((first.pay.regular_pay, first.pay.overtime_pay), (Money(68_550), Money(5_175)));
    // Week 1: 2400 worked, all regular.
    assert_eq!((second.pay.regular, second.pay.overtime_pay), (Minutes(2400), Money::ZERO));
    assert_eq!(pay.total.overtime_minutes(), Minutes(69));
}

#[test]
fn a_partial_last_week_is_prorated_too() {
    let ix = paid_driver(MONDAY, 10, vec![early()]).index();
    assert_eq!(ix.days_in_week, [7, 3]);
    // 2400 · 3 / 7 = 1028.57… → 1028.
    assert_eq!(ix.contract_minutes_in_week(DriverIdx(0), 1), Minutes(1028));
    let pay = pay_of(&ix, "- - - - - - - E E E");
    assert_eq!(pay.weeks[1].pay.overtime, minutes(&[1440 - 1028, 0]));
}

fn premium_policy(b: Builder) -> Builder {
    b.with(|s| {
        s.overtime.night_premium_percent = 25;
        s.overtime.sunday_holiday_premium_percent = 50;
        s.overtime.holidays = vec![date("2024-01-03"), date("2024-01-07")]; // a Wednesday and a Sunday
    })
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a test date")
}

#[test]
fn a_night_tagged_shift_earns_the_night_premium_on_every_minute() {
    let late_night = shift("LN", 22 * 60, 480); // same clock times as N, but no night tag
    let ix = premium_policy(paid_driver(MONDAY, 7, vec![night(), late_night])).index();
    // N on Tuesday: 480 min at 25 % of 30.00/h = 60.00. LN on Thursday: nothing.
    let pay = pay_of(&ix, "- N - LN - - -");
    assert_eq!((pay.total.night, pay.total.premium_pay), (Minutes(480), Money(3000 * 480 * 25 / 6000)));
    assert_eq!(pay.total.premium_pay, Money(6_000));
}

#[test]
fn a_shift_starting_on_a_sunday_or_a_holiday_earns_the_sunday_premium() {
    let ix = premium_policy(paid_driver(MONDAY, 7, vec![early(), night()])).index();
    // E on the Wednesday holiday: 120.00. E on Sunday (also a holiday): 120.00, not twice.
    let pay = pay_of(&ix, "- - E - - - E");
    assert_eq!(pay.total.sunday_holiday, Minutes(960));
    assert_eq!(pay.total.premium_pay, Money(12_000 + 12_000));
    // A night shift on a holiday: 25 % + 50 %.
    let pay = pay_of(&ix, "- - N - - - -");
    assert_eq!((pay.total.night, pay.total.sunday_holiday), (Minutes(480), Minutes(480)));
    assert_eq!(pay.total.premium_pay, Money(3000 * 480 * 75 / 6000));
    // A night shift starting on Saturday 22:00 runs into Sunday but starts on a Saturday.
    let pay = pay_of(&ix, "- - - - - N -");
    assert_eq!((pay.total.sunday_holiday, pay.total.premium_pay), (Minutes::ZERO, Money(6_000)));
}

#[test]
fn pay_is_rounded_once_per_week_and_tier_not_once_per_shift() {
    // 1-minute shifts at 10.00/h: one minute is 16.67 cents, three are exactly 50 cents.
    let ix = Builder::new(MONDAY, 7)
        .shift(shift("M", 600, 1))
        .driver(driver_with("A", |c| {
            c.hourly_rate = Money(1000);
            c.weekly_minutes = Minutes(2);
        }))
        .with(|s| s.overtime.tiers = tiers(&[(None, 100)]))
        .index();
    let w = pay_of(&ix, "M M M M M - -").weeks[0].pay.clone();
    // 2 regular minutes = 33.33 → 33; 3 overtime minutes at 100 % = 50.
    assert_eq!((w.regular_pay, w.overtime_pay), (Money(33), Money(50)));
}

#[test]
fn the_cost_forecast_sums_every_driver_and_every_week() {
    let ix = Builder::new(MONDAY, 14)
        .shift(early())
        .driver(driver_with("A", |c| c.hourly_rate = Money(3000)))
        .driver(driver_with("B", |c| c.hourly_rate = Money(2000)))
        .index();
    let g = common::grid(&ix, &[("A", "E E E E E E - E E E E E E E"), ("B", "E - - - - - - - - - - - - E")]);
    let f: CostForecast = cost_forecast(&ix, &g);
    // A: week 0 480 overtime (36000); week 1 960 overtime (36000 + 48000); regular 2 × 120000.
    // B: 2 × 480 regular minutes at 20.00/h = 2 × 16000.
    assert_eq!(f.drivers[0].total.overtime_pay, Money(36_000 + 84_000));
    assert_eq!(f.drivers[0].total.regular_pay, Money(240_000));
    assert_eq!(f.drivers[1].total.total_pay(), Money(32_000));
    assert_eq!(f.total.total_pay(), Money(120_000 + 240_000 + 32_000));
    assert_eq!(f.total.worked, Minutes(13 * 480 + 2 * 480));
    assert_eq!(f.total.overtime, minutes(&[960, 480]));
}

// ---------------------------------------------------------------------------------------------
// split_week.

#[test]
fn split_week_keeps_a_week_below_the_contract_all_regular() {
    let t = tiers(&[(Some(480), 150), (None, 200)]);
    assert_eq!(split_week(Minutes(1000), Minutes(2400), &t), (Minutes(1000), minutes(&[0, 0])));
    assert_eq!(split_week(Minutes(2400), Minutes(2400), &t), (Minutes(2400), minutes(&[0, 0])));
    assert_eq!(split_week(Minutes::ZERO, Minutes(2400), &t), (Minutes::ZERO, minutes(&[0, 0])));
}

#[test]
fn split_week_fills_the_tiers_in_order_and_the_last_one_is_unbounded() {
    let t = tiers(&[(Some(480), 150), (None, 200)]);
    assert_eq!(split_week(Minutes(2880), Minutes(2400), &t), (Minutes(2400), minutes(&[480, 0])));
    assert_eq!(split_week(Minutes(2881), Minutes(2400), &t), (Minutes(2400), minutes(&[480, 1])));
    assert_eq!(split_week(Minutes(9000), Minutes(2400), &t), (Minutes(2400), minutes(&[480, 6120])));
    let three = tiers(&[(Some(60), 125), (Some(120), 150), (None, 200)]);
    assert_eq!(split_week(Minutes(2700), Minutes(2400), &three), (Minutes(2400), minutes(&[60, 120, 120])));
    assert_eq!(split_week(Minutes(2450), Minutes(2400), &three), (Minutes(2400), minutes(&[50, 0, 0])));
}

#[test]
fn split_week_with_a_single_unbounded_tier_puts_all_overtime_in_it() {
    let one = tiers(&[(None, 150)]);
    assert_eq!(split_week(Minutes(3000), Minutes(2400), &one), (Minutes(2400), minutes(&[600])));
}

#[test]
fn split_week_with_a_zero_or_negative_contract_makes_every_minute_overtime() {
    let t = tiers(&[(Some(480), 150), (None, 200)]);
    assert_eq!(split_week(Minutes(1000), Minutes::ZERO, &t), (Minutes::ZERO, minutes(&[480, 520])));
    assert_eq!(split_week(Minutes(1000), Minutes(-60), &t), (Minutes::ZERO, minutes(&[480, 520])));
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// A random one-week-to-three-week world: start weekday, shift types (duration, night tag), pay,
/// contract, tiers, premiums and holidays, plus one driver's roster.
#[derive(Debug, Clone)]
struct World {
    start_offset: u64,
    shifts: Vec<(i64, bool)>,
    rate: i64,
    weekly: i64,
    tiers: Vec<(i64, u32)>,
    last_percent: u32,
    night_percent: u32,
    sunday_percent: u32,
    holidays: Vec<usize>,
    cells: Vec<Option<usize>>,
}

fn world() -> impl Strategy<Value = World> {
    (
        0u64..7,
        prop::collection::vec((1i64..=1440, any::<bool>()), 1..4),
        0i64..6000,
        0i64..3500,
        prop::collection::vec((1i64..600, 0u32..300), 0..3),
        0u32..300,
        (0u32..100, 0u32..100),
        prop::collection::vec(0usize..21, 0..4),
        1usize..=21,
    )
        .prop_flat_map(|(start_offset, shifts, rate, weekly, tiers, last_percent, premiums, holidays, days)| {
            let n = shifts.len();
            prop::collection::vec(prop::option::of(0..n), days).prop_map(move |cells| World {
                start_offset,
                shifts: shifts.clone(),
                rate,
                weekly,
                tiers: tiers.clone(),
                last_percent,
                night_percent: premiums.0,
                sunday_percent: premiums.1,
                holidays: holidays.clone(),
                cells,
            })
        })
}

impl World {
    fn index(&self) -> ScenarioIndex {
        let start = date(MONDAY) + chrono::Days::new(self.start_offset);
        let mut b = Builder::new(&start.to_string(), self.cells.len());
        for (i, &(duration, is_night)) in self.shifts.iter().enumerate() {
            let mut st = shift(&format!("S{i}"), 0, duration);
            if is_night {
                st.tags = vec![ShiftTag::Night];
            }
            b = b.shift(st);
        }
        let (rate, weekly) = (self.rate, self.weekly);
        b = b.driver(driver_with("A", |c| {
            c.hourly_rate = Money(rate);
            c.weekly_minutes = Minutes(weekly);
        }));
        let mut tiers: Vec<OvertimeTier> =
            self.tiers.iter().map(|&(w, p)| OvertimeTier { width: Some(Minutes(w)), percent: p }).collect();
        tiers.push(OvertimeTier { width: None, percent: self.last_percent });
        let holidays = self.holidays.iter().map(|&h| start + chrono::Days::new(h as u64)).collect();
        let (night, sunday) = (self.night_percent, self.sunday_percent);
        b.with(|s| {
            s.overtime.tiers = tiers;
            s.overtime.night_premium_percent = night;
            s.overtime.sunday_holiday_premium_percent = sunday;
            s.overtime.holidays = holidays;
        })
        .index()
    }

    fn grid(&self, cells: &[Option<usize>]) -> RosterGrid {
        let mut g = RosterGrid::empty(1, cells.len());
        for (t, c) in cells.iter().enumerate() {
            g.set(DriverIdx(0), t, c.map(ShiftIdx));
        }
        g
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_shift_to_a_drivers_roster_never_lowers_their_total_pay(
        w in world(),
        day in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
    ) {
        let ix = w.index();
        let off: Vec<usize> = (0..w.cells.len()).filter(|&t| w.cells[t].is_none()).collect();
        prop_assume!(!off.is_empty());
        let mut more = w.cells.clone();
        more[off[day.index(off.len())]] = Some(which.index(w.shifts.len()));
        let before = driver_pay(&ix, &w.grid(&w.cells), DriverIdx(0)).total;
        let after = driver_pay(&ix, &w.grid(&more), DriverIdx(0)).total;
        prop_assert!(after.total_pay() >= before.total_pay(), "{before:?} → {after:?}");
        prop_assert!(after.regular_pay + after.overtime_pay >= before.regular_pay + before.overtime_pay);
        prop_assert!(after.premium_pay >= before.premium_pay);
        prop_assert!(after.overtime_minutes() >= before.overtime_minutes());
        prop_assert!(after.worked > before.worked);
    }

    #[test]
    fn premium_pay_is_zero_for_a_driver_without_night_sunday_or_holiday_shifts(w in world()) {
        let ix = w.index();
        let h = &ix.scenario.horizon;
        let holidays = &ix.scenario.overtime.holidays;
        let premium_day = |t: usize| h.date(t).weekday() == Weekday::Sun || holidays.contains(&h.date(t));
        let works_premium = w.cells.iter().enumerate().any(|(t, c)| match c {
            Some(s) => w.shifts[*s].1 || premium_day(t),
            None => false,
        });
        let pay = driver_pay(&ix, &w.grid(&w.cells), DriverIdx(0));
        if !works_premium {
            prop_assert_eq!(pay.total.premium_pay, Money::ZERO);
            prop_assert_eq!((pay.total.night, pay.total.sunday_holiday), (Minutes::ZERO, Minutes::ZERO));
        }
        // Either way, premium pay is each premium shift's minutes at its percentage, rounded per shift.
        let expected: Money = w
            .cells
            .iter()
            .enumerate()
            .filter_map(|(t, c)| c.map(|s| (t, s)))
            .map(|(t, s)| {
                let pct = if w.shifts[s].1 { w.night_percent } else { 0 }
                    + if premium_day(t) { w.sunday_percent } else { 0 };
                Money::pay(Money(w.rate), Minutes(w.shifts[s].0), pct)
            })
            .sum();
        prop_assert_eq!(pay.total.premium_pay, expected);
    }

    #[test]
    fn every_week_splits_its_worked_minutes_into_regular_and_overtime_without_loss(w in world()) {
        let ix = w.index();
        let pay = driver_pay(&ix, &w.grid(&w.cells), DriverIdx(0));
        prop_assert_eq!(pay.weeks.len(), ix.weeks());
        prop_assert_eq!(pay.weeks.iter().map(|wk| wk.days).sum::<usize>(), w.cells.len());
        for (k, week) in pay.weeks.iter().enumerate() {
            let p = &week.pay;
            prop_assert_eq!(p.regular + p.overtime_minutes(), p.worked);
            prop_assert!(p.regular <= ix.contract_minutes_in_week(DriverIdx(0), k));
            let widths = ix.scenario.overtime.tiers.iter().map(|t| t.width);
            for (m, width) in p.overtime.iter().zip(widths) {
                prop_assert!(width.is_none_or(|wd| *m <= wd));
            }
        }
    }

    #[test]
    fn split_week_never_fills_a_tier_before_the_previous_one_is_full(
        worked in 0i64..10_000,
        contract in -100i64..4000,
        widths in prop::collection::vec(1i64..600, 0..4),
    ) {
        let mut t: Vec<OvertimeTier> =
            widths.iter().map(|&w| OvertimeTier { width: Some(Minutes(w)), percent: 150 }).collect();
        t.push(OvertimeTier { width: None, percent: 200 });
        let (regular, parts) = split_week(Minutes(worked), Minutes(contract), &t);
        prop_assert_eq!(regular + parts.iter().copied().sum::<Minutes>(), Minutes(worked));
        prop_assert_eq!(regular, Minutes(worked.min(contract.max(0))));
        for i in 1..parts.len() {
            if parts[i] > Minutes::ZERO {
                prop_assert_eq!(Some(parts[i - 1]), t[i - 1].width);
            }
        }
    }
}

#[test]
fn the_week_of_a_pay_line_names_its_iso_week() {
    // 2024-12-30 (a Monday) is in ISO week 1 of 2025.
    let ix = paid_driver("2024-12-30", 7, vec![early()]).index();
    let pay = pay_of(&ix, "E - - - - - -");
    assert_eq!((pay.weeks[0].iso_year, pay.weeks[0].iso_week), (2025, 1));
    assert_eq!(ix.scenario.horizon.weekday(0), Weekday::Mon);
}
