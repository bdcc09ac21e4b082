//! The constructive heuristic: a first roster in milliseconds, used as the MIP start.
//!
//! Day by day, it fills each demand cell (most expensive to leave uncovered first) with the best
//! eligible driver. Eligibility checks every hard rule incrementally against what has been built so
//! far (R2 rest, R3 type maximum, R4/R10 cells, R5 maxima, R6 run length, R8 minimum days off, R9
//! weekend budget, R11 pins) and looks ahead for R7 (a block is only started if its minimum length
//! fits). Drivers in a block shorter than its minimum, and drivers falling behind their minimum
//! minutes, are given a shift even without demand. The result is checked by the evaluator; a local repair
//! then changes single cells of any driver still breaking a rule, and the solver only uses the result
//! as a start when it is legal.

use model::evaluate::driver_violations;
use model::{DayIndex, DriverIdx, RosterGrid, ScenarioIndex, ShiftIdx};

/// Per-driver state while the roster is built.
#[derive(Debug, Clone, Default)]
struct DriverState {
    /// Shift worked yesterday.
    last: Option<ShiftIdx>,
    /// Consecutive worked days ending yesterday (with carry-in).
    run: usize,
    /// Whether the current work block started on day 0 (exempt from R7).
    run_from_start: bool,
    /// Consecutive days off ending yesterday.
    off: usize,
    /// Whether the current off block started on day 0 (exempt from R8).
    off_from_start: bool,
    /// Shifts per type so far.
    count: Vec<u32>,
    /// Minutes so far.
    minutes: i64,
    /// Minutes per week so far.
    week_minutes: Vec<i64>,
    /// Weekends worked so far.
    weekends: Vec<bool>,
}

/// Builds a roster greedily. The roster may still break a rule in corner cases (tight minimum
/// minutes); callers check it with the evaluator.
pub fn construct(ix: &ScenarioIndex) -> RosterGrid {
    let (nd, nt, ns) = (ix.drivers(), ix.days(), ix.shifts());
    let mut grid = RosterGrid::empty(nd, nt);
    let mut st: Vec<DriverState> = (0..nd)
        .map(|d| {
            let carry = ix.carry_in[d];
            DriverState {
                last: carry.last_shift,
                run: carry.trailing_run as usize,
                run_from_start: true,
                off: 0,
                off_from_start: true,
                count: vec![0; ns],
                week_minutes: vec![0; ix.weeks()],
                weekends: vec![false; ix.weekends],
                ..DriverState::default()
            }
        })
        .collect();
    let mut pin_of = vec![None; nd * nt];
    for p in &ix.pins {
        pin_of[p.driver.0 * nt + p.day] = Some(p.shift);
    }
    let mut wants_on = vec![None; nd * nt];
    for r in &ix.on_requests {
        wants_on[r.driver.0 * nt + r.day] = Some(r.shift);
    }
    let mut avoid = vec![0i64; nd * nt];
    for r in &ix.off_requests {
        avoid[r.driver.0 * nt + r.day] += r.weight.cents();
    }

    for t in 0..nt {
        let mut today: Vec<Option<ShiftIdx>> = vec![None; nd];
        let mut taken = vec![false; nd];
        // Pins first: they are hard.
        for d in 0..nd {
            if let Some(pin) = pin_of[d * nt + t] {
                today[d] = pin;
                taken[d] = true;
            }
        }
        // Demand cells, most expensive to miss first.
        let mut cells: Vec<(ShiftIdx, u32, i64)> =
            (0..ns).filter_map(|s| ix.demand[[t, s]].map(|c| (ShiftIdx(s), c.required, c.under.cents()))).collect();
        cells.sort_by_key(|c| std::cmp::Reverse(c.2));
        for (s, required, _) in cells {
            let have = today.iter().filter(|x| **x == Some(s)).count() as u32;
            for _ in have..required {
                let best = (0..nd)
                    .filter(|&d| !taken[d] && eligible(ix, &st[d], &pin_of, DriverIdx(d), t, s))
                    .max_by_key(|&d| score(ix, &st[d], DriverIdx(d), t, s, wants_on[d * nt + t], avoid[d * nt + t]));
                let Some(d) = best else { break };
                today[d] = Some(s);
                taken[d] = true;
            }
        }
        // Obligations: finish blocks shorter than their minimum, keep up with minimum minutes.
        for d in 0..nd {
            if taken[d] || !(must_continue(ix, &st[d], DriverIdx(d)) || behind_minimum(ix, &st[d], DriverIdx(d), t)) {
                continue;
            }
            let pick = (0..ns)
                .map(ShiftIdx)
                .filter(|&s| eligible(ix, &st[d], &pin_of, DriverIdx(d), t, s))
                .min_by_key(|&s| ix.demand[[t, s.0]].map_or(i64::MAX / 2, |c| c.over.cents()));
            if let Some(s) = pick {
                today[d] = Some(s);
                taken[d] = true;
            }
        }
        for (d, s) in today.into_iter().enumerate() {
            grid.set(DriverIdx(d), t, s);
            advance(ix, &mut st[d], t, s);
        }
    }
    for d in (0..nd).map(DriverIdx) {
        repair_driver(ix, &mut grid, d);
    }
    grid
}

/// Day-cells the repair of one driver may re-check ([`repair_driver`]): each candidate change is
/// checked by the evaluator's rules over the driver's whole row. Rows of a few weeks get every
/// repair they need; a year-long row missing its minimum minutes by many shifts would take half a
/// second per driver (Curtois Instance24: 52 s in all), and the row descent makes such rows legal
/// faster.
const REPAIR_DAY_CELLS: usize = 100_000;

/// Local repair of what the greedy pass could not foresee (a block cut short by a rest rule, a
/// minimum missed by a few shifts): while driver `d` breaks a rule, try every single-cell change on
/// and next to the offending days and keep the first one that lowers the number of violations,
/// within [`REPAIR_DAY_CELLS`] of checks.
fn repair_driver(ix: &ScenarioIndex, grid: &mut RosterGrid, d: DriverIdx) {
    // Fewer violations first, then a smaller distance to the minutes window (R5) so that a driver
    // short of their minimum is walked towards it one shift at a time.
    let badness = |grid: &RosterGrid, v: &[model::Violation]| {
        let c = &ix.scenario.drivers[d.0].contract;
        let worked: i64 = grid.row(d).flatten().map(|s| ix.duration[s.0].get()).sum();
        let short = (c.min_minutes.get() - worked).max(0);
        let over = c.max_minutes.map_or(0, |m| (worked - m.get()).max(0));
        (v.len(), short + over)
    };
    let mut violations = driver_violations(ix, grid, d);
    let mut budget = 4 * ix.days();
    let mut checks_left = REPAIR_DAY_CELLS / ix.days().max(1);
    while !violations.is_empty() && budget > 0 {
        budget -= 1;
        let mut days: Vec<DayIndex> = violations
            .iter()
            .flat_map(|v| match v.day {
                Some(t) => vec![t.saturating_sub(1), t, t + 1],
                None => (0..ix.days()).collect(),
            })
            .filter(|t| *t < ix.days())
            .collect();
        days.sort_unstable();
        days.dedup();
        let current = badness(grid, &violations);
        let mut improved = false;
        'search: for t in days {
            let before = grid.get(d, t);
            let options = std::iter::once(None).chain((0..ix.shifts()).map(|s| Some(ShiftIdx(s))));
            for cand in options {
                if cand == before || cand.is_some_and(|s| !ix.can_work(d, t, s)) {
                    continue;
                }
                if checks_left == 0 {
                    break 'search;
                }
                checks_left -= 1;
                grid.set(d, t, cand);
                let after = driver_violations(ix, grid, d);
                if badness(grid, &after) < current {
                    violations = after;
                    improved = true;
                    break 'search;
                }
                grid.set(d, t, before);
            }
        }
        if !improved {
            break;
        }
    }
}

/// Whether driver `d` may work `s` on day `t` given what is already built.
fn eligible(
    ix: &ScenarioIndex,
    st: &DriverState,
    pins: &[Option<Option<ShiftIdx>>],
    d: DriverIdx,
    t: DayIndex,
    s: ShiftIdx,
) -> bool {
    let c = &ix.scenario.drivers[d.0].contract;
    let len = ix.duration[s.0].get();
    let nt = ix.days();
    if !ix.can_work(d, t, s) || pins[d.0 * nt + t].is_some() {
        return false;
    }
    if st.last.is_some_and(|a| ix.forbidden_next[[a.0, s.0]]) {
        return false;
    }
    if st.count[s.0] >= ix.max_shifts[[d.0, s.0]] {
        return false;
    }
    if c.max_minutes.is_some_and(|m| st.minutes + len > m.get()) {
        return false;
    }
    if c.max_minutes_per_week.is_some_and(|m| st.week_minutes[ix.week_of_day[t]] + len > m.get()) {
        return false;
    }
    if c.max_consecutive_days.is_some_and(|m| st.run + 1 > m as usize) {
        return false;
    }
    if let (Some(k), Some(max)) = (ix.weekend_of_day[t], c.max_weekends)
        && !st.weekends[k]
        && st.weekends.iter().filter(|w| **w).count() as u32 >= max
    {
        return false;
    }
    if st.last.is_none() && t > 0 {
        // Starting a block: the off block before it must be long enough (R8) …
        if !st.off_from_start && st.off < c.min_consecutive_days_off as usize {
            return false;
        }
        // … and the new block must be able to reach its minimum length (R7), unless it reaches the
        // horizon's end first.
        let need = c.min_consecutive_days as usize;
        for j in 1..need {
            let u = t + j;
            if u >= nt {
                break;
            }
            if ix.unavailable[[d.0, u]] || pins[d.0 * nt + u] == Some(None) {
                return false;
            }
        }
    }
    true
}

/// Whether driver `d` is in a block shorter than its minimum (R7) and must work today.
fn must_continue(ix: &ScenarioIndex, st: &DriverState, d: DriverIdx) -> bool {
    let min = ix.scenario.drivers[d.0].contract.min_consecutive_days as usize;
    st.last.is_some() && !st.run_from_start && st.run < min
}

/// Whether driver `d` risks missing their minimum minutes (R5) if they do not work today: the
/// remaining days at the driver's longest shift, discounted for days off, no longer cover the gap.
fn behind_minimum(ix: &ScenarioIndex, st: &DriverState, d: DriverIdx, t: DayIndex) -> bool {
    let c = &ix.scenario.drivers[d.0].contract;
    let deficit = c.min_minutes.get() - st.minutes;
    if deficit <= 0 {
        return false;
    }
    let longest = (0..ix.shifts()).filter(|&s| ix.qualified[[d.0, s]]).map(|s| ix.duration[s].get()).max().unwrap_or(0);
    let days_left = (t + 1..ix.days()).filter(|&u| !ix.unavailable[[d.0, u]]).count() as i64;
    // Roughly five working days in seven are possible under typical run and rest rules.
    days_left * longest * 5 / 7 < deficit
}

/// Preference for giving `s` on day `t` to driver `d` (higher is better).
fn score(
    ix: &ScenarioIndex,
    st: &DriverState,
    d: DriverIdx,
    t: DayIndex,
    s: ShiftIdx,
    on: Option<ShiftIdx>,
    avoid: i64,
) -> i64 {
    let c = &ix.scenario.drivers[d.0].contract;
    let mut sc = 0;
    if must_continue(ix, st, d) {
        sc += 1_000_000;
    }
    if on == Some(s) {
        sc += 10_000;
    }
    sc -= avoid * 100;
    // Those furthest from their minimum first, then those furthest from their maximum.
    let target = c.min_minutes.get().max(1);
    sc += (target - st.minutes) * 10 / target.max(1) * 100;
    if let Some(max) = c.max_minutes {
        sc += (max.get() - st.minutes) / 60;
    }
    // Continuing a block keeps runs long and days off together.
    if st.last.is_some() {
        sc += 500;
    }
    sc - ix.premium_pay(d, t, s).cents() / 100
}

fn advance(ix: &ScenarioIndex, st: &mut DriverState, t: DayIndex, s: Option<ShiftIdx>) {
    match s {
        Some(s) => {
            if st.last.is_none() {
                st.run = 0;
                st.run_from_start = t == 0 && st.run_from_start;
            }
            st.run += 1;
            st.off = 0;
            st.off_from_start = false;
            st.count[s.0] += 1;
            let len = ix.duration[s.0].get();
            st.minutes += len;
            st.week_minutes[ix.week_of_day[t]] += len;
            if let Some(k) = ix.weekend_of_day[t] {
                st.weekends[k] = true;
            }
        }
        None => {
            if st.last.is_some() {
                st.off = 0;
            }
            st.off += 1;
            st.run = 0;
            st.run_from_start = false;
        }
    }
    st.last = s;
}
