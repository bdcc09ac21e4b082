//! The best legal row of one driver, exactly, by dynamic programming.
//!
//! Every hard rule (R1–R11) is about one driver, so "the cheapest legal row of driver `d` given a
//! cost for every cell" is a shortest path over the days with resources: a label at the end of day
//! `t` holds the state the rules need — the shift worked that day (R2), the length of the current
//! work or off block and whether it started on day 0 (R6–R8), minutes so far in the horizon and in
//! the ISO week (R5, overtime), weekends worked (R9) and, for the shift types whose maximum can bind,
//! their counts (R3). R4, R10 and R11 shape which options a day has. Labels with the same state
//! compete; one is dropped when another costs no more and is no worse on every resource (fewer
//! weekends, fewer counts, fewer week minutes, and more or fewer total minutes as the contract's
//! bounds make better). Dropping only dominated labels keeps the result exact.
//!
//! The row's cost is the caller's cell costs plus, when overtime counts, each week's overtime pay
//! exactly as the evaluator computes it. The solver uses this as the fast move of its searches
//! (a driver's best response to the others' cover) and as the pricing problem of column generation,
//! where the cell costs carry the duals of the cover rows. Cells the caller does not want changed
//! get an infinite cost on every other option, so the same code re-optimizes a window of days.
//!
//! [`good_row_within`] runs the same DP as a beam search (a fixed number of labels per day) for
//! the rows the exact DP cannot afford: a year's horizon with a narrow minute window needs
//! millions of labels. Its rows are legal but not proven cheapest.

use model::{DriverIdx, Minutes, ScenarioIndex, ShiftIdx};
use rustc_hash::FxHashMap;

/// Cost of each option of each day of one driver's row; `f64::INFINITY` forbids an option.
#[derive(Debug, Clone, PartialEq)]
pub struct CellCosts {
    /// Shifts per day.
    shifts: usize,
    /// `work[t * shifts + s]`: cost of working `s` on day `t`.
    pub work: Vec<f64>,
    /// `off[t]`: cost of a day off on day `t`.
    pub off: Vec<f64>,
}

impl CellCosts {
    /// All options free of cost.
    pub fn zero(days: usize, shifts: usize) -> CellCosts {
        CellCosts { shifts, work: vec![0.0; days * shifts], off: vec![0.0; days] }
    }

    /// The driver's own terms of the objective, cell by cell: shift-on and shift-off requests,
    /// premiums (when they count) and changes against the baseline. Cover and overtime are not
    /// in here: cover depends on the other drivers, overtime on whole weeks (the DP adds it).
    pub fn own_terms(ix: &ScenarioIndex, d: DriverIdx) -> CellCosts {
        let (nt, ns) = (ix.days(), ix.shifts());
        let mut c = CellCosts::zero(nt, ns);
        for r in ix.on_requests.iter().filter(|r| r.driver == d) {
            let w = r.weight.cents() as f64;
            c.off[r.day] += w;
            for s in (0..ns).filter(|s| *s != r.shift.0) {
                c.work[r.day * ns + s] += w;
            }
        }
        for r in ix.off_requests.iter().filter(|r| r.driver == d) {
            let w = r.weight.cents() as f64;
            for s in (0..ns).filter(|s| r.shift.is_none_or(|k| k.0 == *s)) {
                c.work[r.day * ns + s] += w;
            }
        }
        let weights = &ix.scenario.weights;
        if weights.premiums {
            for t in 0..nt {
                for s in 0..ns {
                    c.work[t * ns + s] += ix.premium_pay(d, t, ShiftIdx(s)).cents() as f64;
                }
            }
        }
        if let Some(base) = &ix.baseline {
            let change = weights.change.cents() as f64;
            for t in 0..nt {
                let had = base.get(d, t);
                if had.is_some() {
                    c.off[t] += change;
                }
                for s in (0..ns).filter(|s| had != Some(ShiftIdx(*s))) {
                    c.work[t * ns + s] += change;
                }
            }
        }
        c
    }

    /// Cost of working `s` on day `t`.
    pub fn work(&self, t: usize, s: ShiftIdx) -> f64 {
        self.work[t * self.shifts + s.0]
    }

    /// Adds `delta` to the cost of working `s` on day `t`.
    pub fn add_work(&mut self, t: usize, s: ShiftIdx, delta: f64) {
        self.work[t * self.shifts + s.0] += delta;
    }

    /// Forbids every option of day `t` but `keep`.
    pub fn force(&mut self, t: usize, keep: Option<ShiftIdx>) {
        for s in 0..self.shifts {
            if keep != Some(ShiftIdx(s)) {
                self.work[t * self.shifts + s] = f64::INFINITY;
            }
        }
        if keep.is_some() {
            self.off[t] = f64::INFINITY;
        }
    }
}

/// A driver's best row and its cost (cell costs plus overtime pay).
#[derive(Debug, Clone, PartialEq)]
pub struct BestRow {
    /// The shift of each day, `None` off.
    pub row: Vec<Option<ShiftIdx>>,
    /// Its cost.
    pub cost: f64,
}

/// How the horizon's minutes (R5) enter the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MinutesMode {
    /// No bound: not tracked.
    Free,
    /// Only a minimum: more is better, capped at the minimum.
    AtLeast(i64),
    /// Only a maximum: fewer is better.
    AtMost(i64),
    /// Both: part of the state, exactly.
    Window(i64, i64),
}

/// One option of one day: `code` 0 is a day off, `s + 1` shift `s`.
#[derive(Debug, Clone, Copy)]
struct Choice {
    code: u16,
    cost: f64,
    len: i32,
}

/// A partial row up to some day. `parent` indexes the previous day's labels.
#[derive(Debug, Clone, Copy)]
struct Label {
    cost: f64,
    minutes: i32,
    week: i32,
    weekends: u16,
    parent: u32,
    code: u16,
    run: u8,
    from_start: bool,
}

/// The parts of a label that must be equal for one label to dominate another.
fn key(l: &Label, exact_minutes: bool) -> u64 {
    let m = if exact_minutes { l.minutes as u32 as u64 } else { 0 };
    (u64::from(l.code) << 48) | (u64::from(l.run) << 40) | (u64::from(l.from_start) << 32) | m
}

/// The driver's fixed data for the DP.
struct Driver<'a> {
    ix: &'a ScenarioIndex,
    d: DriverIdx,
    minutes: MinutesMode,
    max_week: Option<i32>,
    track_week: bool,
    max_weekends: Option<u16>,
    max_run: Option<u8>,
    min_run: u8,
    min_off: u8,
    /// Shift types whose maximum can bind, as (shift, maximum).
    bindable: Vec<(usize, u16)>,
    /// Those of `bindable` whose counts the labels carry.
    counted: Vec<(usize, u16)>,
    /// Position of each shift type in `counted`, if any.
    counted_pos: Vec<Option<usize>>,
    /// Labels the DP may keep over all days before it gives up.
    max_labels: usize,
    /// Labels kept per day at most; beyond it only the most promising stay (a beam search, no
    /// longer exact). `usize::MAX`: the exact DP.
    beam: usize,
}

/// The cheapest legal row of driver `d` under `costs`, or `None` when the rules leave no legal row.
///
/// Counts per shift type (R3) multiply the labels, so they are tracked lazily (decremental state
/// space relaxation): the DP first ignores the maxima, and each type whose maximum the best row
/// breaks is tracked from then on, until the best row keeps them all. The relaxed problems only
/// drop constraints, so the first best row that keeps every maximum is optimal, and a relaxation
/// without a legal row proves there is none.
pub fn best_row(ix: &ScenarioIndex, d: DriverIdx, costs: &CellCosts) -> Option<BestRow> {
    best_row_below(ix, d, costs, f64::INFINITY)
}

/// The cheapest legal row of driver `d` under `costs` if one costs at most `upper`; `None` when no
/// legal row does. A known row's cost as `upper` (the current row, the best column of the pool)
/// lets the DP drop every label that cannot end below it: a label's cost plus a lower bound on the
/// rest of the row (the cheapest options of the remaining days that respect the successions of R2,
/// overtime taken as zero) above `upper` is discarded.
pub fn best_row_below(ix: &ScenarioIndex, d: DriverIdx, costs: &CellCosts, upper: f64) -> Option<BestRow> {
    best_row_within(ix, d, costs, upper, usize::MAX).ok()
}

/// Why [`best_row_within`] gave no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRow {
    /// No legal row costs at most the bound given.
    None,
    /// The DP would need more labels than allowed (long horizons with tight minute windows):
    /// nothing is known.
    TooLarge,
}

/// [`best_row_below`] with at most `max_labels` labels kept over all days, so that a caller with a
/// time budget is never stuck in one row (the count is deterministic, unlike a clock).
pub fn best_row_within(
    ix: &ScenarioIndex,
    d: DriverIdx,
    costs: &CellCosts,
    upper: f64,
    max_labels: usize,
) -> Result<BestRow, NoRow> {
    row_search(ix, d, costs, upper, max_labels, usize::MAX)
}

/// A good legal row of driver `d` under `costs` costing at most `upper`, by the same DP keeping
/// at most `beam` labels per day: those with the least cost plus completion bound. Where the
/// exact DP needs millions of labels (a year's horizon with a narrow minute window, Curtois
/// Instance22), this finds a legal, cover-aware row in a fraction of a second. The row is not
/// proven best; [`NoRow::TooLarge`] when the beam dropped labels and then found no row (a legal
/// one may exist), [`NoRow::None`] only when it never dropped any.
pub fn good_row_within(
    ix: &ScenarioIndex,
    d: DriverIdx,
    costs: &CellCosts,
    upper: f64,
    beam: usize,
) -> Result<BestRow, NoRow> {
    row_search(ix, d, costs, upper, usize::MAX, beam.max(1))
}

/// The DP of [`best_row_within`] and [`good_row_within`].
fn row_search(
    ix: &ScenarioIndex,
    d: DriverIdx,
    costs: &CellCosts,
    upper: f64,
    max_labels: usize,
    beam: usize,
) -> Result<BestRow, NoRow> {
    let choices = day_choices(ix, d, costs);
    if choices.iter().any(Vec::is_empty) {
        return Err(NoRow::None);
    }
    let completion = completion_bound(ix, &choices);
    let mut drv = Driver::new(ix, d, &choices);
    drv.max_labels = max_labels;
    drv.beam = beam;
    // The same for every relaxation below: the maxima it counts with are all of `bindable`.
    let most_after = drv.most_minutes_after(&choices);
    loop {
        let best = drv.solve(&choices, &completion, &most_after, upper)?;
        let mut count = vec![0u32; ix.shifts()];
        for s in best.row.iter().flatten() {
            count[s.0] += 1;
        }
        let broken: Vec<(usize, u16)> = drv
            .bindable
            .iter()
            .copied()
            .filter(|(s, max)| drv.counted_pos[*s].is_none() && count[*s] > u32::from(*max))
            .collect();
        if broken.is_empty() {
            return Ok(best);
        }
        for b in broken {
            drv.counted_pos[b.0] = Some(drv.counted.len());
            drv.counted.push(b);
        }
    }
}

impl Driver<'_> {
    /// The DP with the counts of `self.counted` only.
    fn solve(
        &self,
        choices: &[Vec<Choice>],
        completion: &[f64],
        most_after: &MostMinutesAfter,
        upper: f64,
    ) -> Result<BestRow, NoRow> {
        let ix = self.ix;
        let drv = self;
        let (nt, ns) = (ix.days(), ix.shifts());
        let d = self.d;
        let k = drv.counted.len();
        // For pruning: the least minutes the remaining days can add, and the most given the block
        // a label is in.
        let mut least_after = vec![0i64; nt + 1];
        for t in (0..nt).rev() {
            least_after[t] = least_after[t + 1] + choices[t].iter().map(|c| i64::from(c.len)).min().unwrap_or(0);
        }
        // How many more days each counted type could still be worked, and how many weekends (counted on
        // their last day) with a workable day are still ahead.
        let mut workable_weekend = vec![false; ix.weekends];
        for (day, options) in ix.weekend_of_day.iter().zip(choices) {
            if let Some(w) = day
                && options.iter().any(|c| c.code > 0)
            {
                workable_weekend[*w] = true;
            }
        }
        let mut type_after = vec![vec![0u16; k]; nt + 1];
        let mut weekends_after = vec![0u16; nt + 1];
        for t in (0..nt).rev() {
            type_after[t] = type_after[t + 1].clone();
            for c in &choices[t] {
                if let Some(j) = c.code.checked_sub(1).and_then(|s| drv.counted_pos[s as usize]) {
                    type_after[t][j] += 1;
                }
            }
            let ends_weekend = ix.weekend_of_day[t]
                .is_some_and(|w| workable_weekend[w] && (t + 1 >= nt || ix.weekend_of_day[t + 1] != Some(w)));
            weekends_after[t] = weekends_after[t + 1] + u16::from(ends_weekend);
        }
        let mut ot_cache: FxHashMap<(usize, i32), f64> = FxHashMap::default();
        let mut week_cost = |w: usize, m: i32| -> f64 {
            if !drv.track_week || m == 0 || !ix.scenario.weights.overtime {
                return 0.0;
            }
            *ot_cache
                .entry((w, m))
                .or_insert_with(|| model::overtime::week_overtime_pay(ix, d, w, Minutes(i64::from(m))).cents() as f64)
        };

        let carry = ix.carry_in[d.0];
        let start = Label {
            cost: 0.0,
            minutes: 0,
            week: 0,
            weekends: 0,
            parent: u32::MAX,
            code: carry.last_shift.map_or(0, |s| s.0 as u16 + 1),
            run: carry.trailing_run.min(u32::from(u8::MAX)) as u8,
            from_start: true,
        };
        let mut days: Vec<Vec<Label>> = Vec::with_capacity(nt);
        let mut counts: Vec<Vec<u16>> = Vec::with_capacity(nt);
        let start_counts = vec![0u16; k];
        let exact = matches!(drv.minutes, MinutesMode::Window(..));
        let mut labels = 0usize;
        // Whether the beam dropped labels: a failure then proves nothing.
        let mut truncated = false;
        for t in 0..nt {
            let (prev, prev_counts): (&[Label], &[u16]) = match t {
                0 => (std::slice::from_ref(&start), &start_counts),
                _ => (&days[t - 1], &counts[t - 1]),
            };
            let new_week = t > 0 && ix.week_of_day[t] != ix.week_of_day[t - 1];
            let mut cand: Vec<(u64, Label)> = Vec::with_capacity(prev.len() * choices[t].len());
            let mut cand_counts: Vec<u16> = Vec::with_capacity(prev.len() * choices[t].len() * k);
            for (pi, p) in prev.iter().enumerate() {
                let closed = if new_week { week_cost(ix.week_of_day[t - 1], p.week) } else { 0.0 };
                for c in &choices[t] {
                    let Some(mut l) = drv.step(p, c, t) else { continue };
                    l.parent = pi as u32;
                    l.cost += closed;
                    if new_week && drv.track_week {
                        l.week = c.len;
                    }
                    if drv.max_week.is_some_and(|m| l.week > m) {
                        continue;
                    }
                    // Weekends (R9): a Saturday and the Sunday after it are one weekend. Without
                    // a maximum they are not counted (more labels, no rule to keep).
                    if let (Some(w), true, true) = (ix.weekend_of_day[t], c.code > 0, drv.max_weekends.is_some()) {
                        let same = t > 0 && ix.weekend_of_day[t - 1] == Some(w) && p.code > 0;
                        if !same {
                            l.weekends += 1;
                        }
                    }
                    if let Some(max) = drv.max_weekends {
                        if l.weekends > max {
                            continue;
                        }
                        if l.weekends + weekends_after[t + 1] <= max {
                            l.weekends = 0;
                        }
                    }
                    // Minutes: prune what cannot end inside the contract's window, then normalize (after the
                    // weekends, whose allowance bounds the minutes still to come).
                    let m = i64::from(l.minutes);
                    match drv.minutes {
                        MinutesMode::Free => l.minutes = 0,
                        MinutesMode::AtLeast(min) => {
                            if m + most_after.after(t, &l) < min {
                                continue;
                            }
                            l.minutes = m.min(min) as i32;
                        }
                        MinutesMode::AtMost(max) | MinutesMode::Window(_, max) if m + least_after[t + 1] > max => {
                            continue;
                        }
                        MinutesMode::Window(min, _) if m + most_after.after(t, &l) < min => continue,
                        _ => {}
                    }
                    // Counts (R3) of the types whose maximum can bind.
                    let base = cand_counts.len();
                    cand_counts.extend_from_slice(&prev_counts[pi * k..pi * k + k]);
                    if let Some(j) = c.code.checked_sub(1).and_then(|s| drv.counted_pos[s as usize]) {
                        cand_counts[base + j] += 1;
                        if cand_counts[base + j] > drv.counted[j].1 {
                            cand_counts.truncate(base);
                            continue;
                        }
                    }
                    for j in 0..k {
                        if cand_counts[base + j] + type_after[t + 1][j] <= drv.counted[j].1 {
                            cand_counts[base + j] = 0;
                        }
                    }
                    if l.cost + completion[t * (ns + 1) + usize::from(l.code)] > upper + 1e-9 {
                        cand_counts.truncate(base);
                        continue;
                    }
                    cand.push((key(&l, exact), l));
                }
            }
            let (mut kept, mut kept_counts) = dominance_filter(cand, &cand_counts, k, drv.minutes);
            if kept.len() > drv.beam {
                truncated = true;
                let score = |l: &Label| l.cost + completion[t * (ns + 1) + usize::from(l.code)];
                (kept, kept_counts) = most_promising(kept, &kept_counts, k, drv.beam, score);
            }
            if kept.is_empty() {
                return Err(if truncated { NoRow::TooLarge } else { NoRow::None });
            }
            labels += kept.len();
            if labels > self.max_labels {
                return Err(NoRow::TooLarge);
            }
            days.push(kept);
            counts.push(kept_counts);
        }
        // Close the last week and check the minimum minutes; the blocks touching the last day are exempt.
        let last_week = ix.week_of_day[nt - 1];
        let (mut best, mut best_cost) = (None, f64::INFINITY);
        for (i, l) in days[nt - 1].iter().enumerate() {
            let cost = l.cost + week_cost(last_week, l.week);
            if cost < best_cost {
                best = Some(i);
                best_cost = cost;
            }
        }
        let none = if truncated { NoRow::TooLarge } else { NoRow::None };
        if best_cost > upper + 1e-9 {
            return Err(none);
        }
        let mut i = best.ok_or(none)?;
        let mut row = vec![None; nt];
        for t in (0..nt).rev() {
            let l = &days[t][i];
            row[t] = l.code.checked_sub(1).map(|s| ShiftIdx(s as usize));
            i = l.parent as usize;
        }
        debug_assert!(row.iter().flatten().all(|s| s.0 < ns));
        Ok(BestRow { row, cost: best_cost })
    }
}

/// `[t * (shifts + 1) + code]`: the least cost of days `t + 1 …` after `code` on day `t`, with the
/// successions of R2 as the only rule (a lower bound: every other rule only removes rows, and
/// overtime pay is never negative).
fn completion_bound(ix: &ScenarioIndex, choices: &[Vec<Choice>]) -> Vec<f64> {
    let (nt, ns) = (ix.days(), ix.shifts());
    let w = ns + 1;
    let mut h = vec![0.0; nt * w];
    for t in (0..nt.saturating_sub(1)).rev() {
        for code in 0..w {
            let next = choices[t + 1]
                .iter()
                .filter(|c| code == 0 || c.code == 0 || !ix.forbidden_next[[code - 1, c.code as usize - 1]]);
            h[t * w + code] = next.map(|c| c.cost + h[(t + 1) * w + usize::from(c.code)]).fold(f64::INFINITY, f64::min);
        }
    }
    h
}

/// The options the DP searches on each day of driver `d`'s row, as `(code, cost)`: code 0 a day
/// off, `s + 1` shift `s` (see [`day_choices`]); for relaxations that keep the day options.
pub(crate) fn day_options(ix: &ScenarioIndex, d: DriverIdx, costs: &CellCosts) -> Vec<Vec<(u16, f64)>> {
    day_choices(ix, d, costs).into_iter().map(|day| day.into_iter().map(|c| (c.code, c.cost)).collect()).collect()
}

/// The options of every day: R4 and R10 (can work), R11 (pins), and the caller's forbidden ones.
fn day_choices(ix: &ScenarioIndex, d: DriverIdx, costs: &CellCosts) -> Vec<Vec<Choice>> {
    let (nt, ns) = (ix.days(), ix.shifts());
    let mut pin = vec![None; nt];
    for p in ix.pins.iter().filter(|p| p.driver == d) {
        pin[p.day] = Some(p.shift);
    }
    (0..nt)
        .map(|t| {
            let mut v = Vec::new();
            if pin[t].is_none_or(|p| p.is_none()) && costs.off[t].is_finite() {
                v.push(Choice { code: 0, cost: costs.off[t], len: 0 });
            }
            for s in (0..ns).map(ShiftIdx) {
                let cost = costs.work(t, s);
                let pinned_ok = pin[t].is_none_or(|p| p == Some(s));
                if ix.can_work(d, t, s) && pinned_ok && cost.is_finite() {
                    v.push(Choice { code: s.0 as u16 + 1, cost, len: ix.duration[s.0].get() as i32 });
                }
            }
            v
        })
        .collect()
}

impl<'a> Driver<'a> {
    fn new(ix: &'a ScenarioIndex, d: DriverIdx, choices: &[Vec<Choice>]) -> Driver<'a> {
        let c = &ix.scenario.drivers[d.0].contract;
        let minutes = match (c.min_minutes.get(), c.max_minutes.map(Minutes::get)) {
            (0, None) => MinutesMode::Free,
            (min, None) => MinutesMode::AtLeast(min),
            (0, Some(max)) => MinutesMode::AtMost(max),
            (min, Some(max)) => MinutesMode::Window(min, max),
        };
        let ns = ix.shifts();
        let mut workable = vec![0u32; ns];
        for day in choices {
            for ch in day.iter().filter(|ch| ch.code > 0) {
                workable[ch.code as usize - 1] += 1;
            }
        }
        let bindable: Vec<(usize, u16)> = (0..ns)
            .filter(|&s| ix.max_shifts[[d.0, s]] < workable[s])
            .map(|s| (s, ix.max_shifts[[d.0, s]].min(u32::from(u16::MAX)) as u16))
            .collect();
        let rate = c.hourly_rate.cents();
        let overtime = ix.scenario.weights.overtime && rate > 0;
        Driver {
            ix,
            d,
            minutes,
            max_week: c.max_minutes_per_week.map(|m| m.get().min(i64::from(i32::MAX)) as i32),
            track_week: overtime || c.max_minutes_per_week.is_some(),
            max_weekends: c.max_weekends.map(|m| m.min(u32::from(u16::MAX)) as u16),
            max_run: c.max_consecutive_days.map(|m| m.min(250) as u8),
            min_run: c.min_consecutive_days.clamp(1, 250) as u8,
            min_off: c.min_consecutive_days_off.clamp(1, 250) as u8,
            bindable,
            counted: Vec::new(),
            counted_pos: vec![None; ns],
            max_labels: usize::MAX,
            beam: usize::MAX,
        }
    }

    /// Extends `p` (the state at the end of day `t − 1`) by choice `c` on day `t`, checking R2 and
    /// R6–R8; `None` when a rule forbids it. Minutes, weekends and counts are the caller's.
    fn step(&self, p: &Label, c: &Choice, t: usize) -> Option<Label> {
        let ix = self.ix;
        let mut l = *p;
        l.code = c.code;
        l.cost = p.cost + c.cost;
        l.minutes = p.minutes + c.len;
        if self.track_week {
            l.week = p.week + c.len;
        }
        let worked_before = p.code > 0;
        match (worked_before, c.code > 0) {
            (true, true) => {
                // R2: the succession from yesterday's shift.
                if ix.forbidden_next[[p.code as usize - 1, c.code as usize - 1]] {
                    return None;
                }
                // R6: the block goes on (with the carry-in run on day 0).
                let run = u16::from(p.run) + 1;
                if self.max_run.is_some_and(|m| run > u16::from(m)) {
                    return None;
                }
                l.run = run.min(u16::from(self.run_cap())) as u8;
            }
            (false, true) => {
                // R8: the off block that ends here was long enough, or touches day 0.
                if t > 0 && !p.from_start && p.run < self.min_off {
                    return None;
                }
                l.run = 1;
                l.from_start = t == 0;
                if self.max_run.is_some_and(|m| m == 0) {
                    return None;
                }
            }
            (true, false) => {
                // R7: the work block that ends here was long enough, or touches day 0.
                if !p.from_start && p.run < self.min_run {
                    return None;
                }
                l.run = 1;
                l.from_start = t == 0;
            }
            (false, false) => {
                l.run = (p.run.saturating_add(1)).min(self.min_off);
            }
        }
        // Once a block has its minimum length, where it started no longer matters.
        let min = if c.code > 0 { self.min_run } else { self.min_off };
        if l.run >= min {
            l.from_start = false;
        }
        Some(l)
    }

    /// The most minutes days `t + 1 …` can add after each block state at the end of day `t` and
    /// each number of weekends still allowed, with the rules that bound them: at most `max_run`
    /// days in a row (R6), at least `min_off` days off before the next block (R8), at most
    /// `max_weekends` weekends worked (R9), and the maxima per shift type (R3). The other rules
    /// only lower it, so a label with fewer minutes than the minimum (R5) less this is a dead end:
    /// pruning it keeps the DP exact, and keeps the beam from filling with rows that cannot reach
    /// the minimum (those that worked too few days, or too many weekends, early on).
    fn most_minutes_after(&self, choices: &[Vec<Choice>]) -> MostMinutesAfter {
        let nt = choices.len();
        // Two bounds, the least of which holds: each workable day counted at its longest shift;
        // or at the longest shift whose maximum (R3) cannot bind, each capped type adding at most
        // its largest excess over that, as many times as its maximum and its days left allow.
        let capped = |code: u16| self.bindable.iter().find(|(s, _)| usize::from(code) == s + 1).map(|b| b.1);
        let longest: Vec<Option<i64>> =
            choices.iter().map(|day| day.iter().filter(|c| c.code > 0).map(|c| i64::from(c.len)).max()).collect();
        let base: Vec<Option<i64>> = choices
            .iter()
            .map(|day| {
                let work = day.iter().filter(|c| c.code > 0);
                let free = work.clone().filter(|c| capped(c.code).is_none()).map(|c| i64::from(c.len)).max();
                free.or_else(|| work.map(|_| 0).max())
            })
            .collect();
        let mut extra_after = vec![0i64; nt + 1];
        for &(s, cap) in &self.bindable {
            let code = s as u16 + 1;
            let (mut left, mut longer) = (0i64, 0i64);
            for t in (0..nt).rev() {
                if let Some(c) = choices[t].iter().find(|c| c.code == code) {
                    left += 1;
                    longer = longer.max(i64::from(c.len) - base[t].unwrap_or(0));
                }
                extra_after[t] += left.min(i64::from(cap)) * longer;
            }
        }
        let (work_states, off_states) = (usize::from(self.run_cap()), usize::from(self.min_off));
        let allowances = self.max_weekends.map_or(1, |m| usize::from(m) + 1);
        MostMinutesAfter {
            at_longest: self.block_bound(choices, &longest, allowances),
            at_base: self.block_bound(choices, &base, allowances),
            extra_after,
            states: work_states + off_states,
            work_states,
            allowances,
            max_weekends: self.max_weekends,
        }
    }

    /// `[(t * states + state) * allowances + a]`: the most minutes days `t …` can add after a block
    /// state with `a` weekends left, a workable day `t` counted as `lens[t]` (see
    /// [`MostMinutesAfter`] for the states).
    fn block_bound(&self, choices: &[Vec<Choice>], lens: &[Option<i64>], allowances: usize) -> Vec<i64> {
        let ix = self.ix;
        let (work_states, off_states) = (usize::from(self.run_cap()), usize::from(self.min_off));
        let states = work_states + off_states;
        let stride = states * allowances;
        let nt = choices.len();
        let mut most = vec![0i64; (nt + 1) * stride];
        for t in (0..nt).rev() {
            let can_rest = choices[t].iter().any(|c| c.code == 0);
            let (now, later) = most.split_at_mut((t + 1) * stride);
            let next = |state: usize, a: usize| later[state * allowances + a];
            for state in 0..states {
                let (working, run) =
                    if state < work_states { (true, state + 1) } else { (false, state - work_states + 1) };
                let rested = if working { work_states } else { work_states + run.min(off_states - 1) };
                let may_work =
                    if working { self.max_run.is_none_or(|m| run < usize::from(m)) } else { run >= off_states };
                let worked = if working { run.min(work_states - 1) } else { 0 };
                // Working day `t` takes a weekend unless day `t − 1` of the same weekend was worked.
                let new_weekend = self.max_weekends.is_some()
                    && ix.weekend_of_day[t].is_some()
                    && !(working && t > 0 && ix.weekend_of_day[t - 1] == ix.weekend_of_day[t]);
                for a in 0..allowances {
                    let rest = can_rest.then(|| next(rested, a));
                    let left = a.checked_sub(usize::from(new_weekend));
                    let work = lens[t].zip(left).filter(|_| may_work).map(|(len, left)| len + next(worked, left));
                    now[t * stride + state * allowances + a] = rest.max(work).unwrap_or(DEAD_END);
                }
            }
        }
        most
    }

    /// The longest work block length the state needs to tell apart.
    fn run_cap(&self) -> u8 {
        self.max_run.unwrap_or(0).max(self.min_run).max(1)
    }
}

/// Minutes of a block state from which no legal row goes on.
const DEAD_END: i64 = i64::MIN / 4;

/// [`Driver::most_minutes_after`]. States: work states first (run 1 at 0), then off states (run 1
/// at `work_states`).
struct MostMinutesAfter {
    /// [`Driver::block_bound`] with every workable day at its longest shift.
    at_longest: Vec<i64>,
    /// [`Driver::block_bound`] with every workable day at its longest uncapped shift.
    at_base: Vec<i64>,
    /// What the capped shift types can add to `at_base`, from day `t` on.
    extra_after: Vec<i64>,
    states: usize,
    work_states: usize,
    allowances: usize,
    max_weekends: Option<u16>,
}

impl MostMinutesAfter {
    /// The most minutes the days after day `t` can add to label `l` (the state at the end of `t`).
    /// An off block that touches day 0 may end at any length (R8), as a full one; a label's
    /// weekends are zero once the maximum can no longer bind, which leaves it the whole allowance.
    fn after(&self, t: usize, l: &Label) -> i64 {
        let off_states = self.states - self.work_states;
        let run = usize::from(l.run.max(1));
        let state = match (l.code > 0, l.from_start) {
            (true, _) => run.min(self.work_states) - 1,
            (false, true) => self.states - 1,
            (false, false) => self.work_states + run.min(off_states) - 1,
        };
        let a = self.max_weekends.map_or(0, |m| usize::from(m.saturating_sub(l.weekends)));
        let i = ((t + 1) * self.states + state) * self.allowances + a;
        match (self.at_longest[i], self.at_base[i]) {
            (DEAD_END, _) | (_, DEAD_END) => DEAD_END,
            (longest, base) => longest.min(base + self.extra_after[t + 1]),
        }
    }
}

/// Keeps, among candidates with the same key, those no other candidate dominates; returns them with
/// their counts (stride `k`).
fn dominance_filter(
    mut cand: Vec<(u64, Label)>,
    cand_counts: &[u16],
    k: usize,
    minutes: MinutesMode,
) -> (Vec<Label>, Vec<u16>) {
    // Carry the counts' offsets through the sort.
    let mut order: Vec<(u64, f64, u32)> =
        cand.iter().enumerate().map(|(i, (key, l))| (*key, l.cost, i as u32)).collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut kept: Vec<Label> = Vec::new();
    let mut kept_counts: Vec<u16> = Vec::new();
    let mut group_start = 0usize;
    let mut group_key = None;
    for &(key, _, i) in &order {
        if group_key != Some(key) {
            group_key = Some(key);
            group_start = kept.len();
        }
        let l = cand[i as usize].1;
        let lc = &cand_counts[i as usize * k..i as usize * k + k];
        // Earlier labels of the group cost no more; one of them dominates `l` if it is no worse on
        // every resource.
        let dominated = (group_start..kept.len()).any(|j| {
            let o = &kept[j];
            let oc = &kept_counts[j * k..j * k + k];
            o.weekends <= l.weekends
                && o.week <= l.week
                && match minutes {
                    MinutesMode::AtLeast(_) => o.minutes >= l.minutes,
                    MinutesMode::AtMost(_) => o.minutes <= l.minutes,
                    MinutesMode::Free | MinutesMode::Window(..) => true,
                }
                && oc.iter().zip(lc).all(|(a, b)| a <= b)
        });
        if !dominated {
            kept.push(l);
            kept_counts.extend_from_slice(lc);
        }
    }
    cand.clear();
    (kept, kept_counts)
}

/// `beam` labels by least `score` (ties to the earlier label, so the result is deterministic),
/// in their original order, with their counts (stride `k`). Three labels of every block state
/// (shift, run length, whether the block touches day 0) go first: the cheapest, the one with the
/// most minutes and the one with the fewest weekends. The cheapest labels alone tend to share a
/// state and to spend the same resources, and a row that worked too few minutes or too many
/// weekends early, or is in a block that cannot go on, is a dead end days later: a beam of them
/// only can end with no legal row.
fn most_promising(
    kept: Vec<Label>,
    counts: &[u16],
    k: usize,
    beam: usize,
    score: impl Fn(&Label) -> f64,
) -> (Vec<Label>, Vec<u16>) {
    let mut order: Vec<(f64, u32)> = kept.iter().enumerate().map(|(i, l)| (score(l), i as u32)).collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Per block state: the cheapest, the most minutes, the fewest weekends (first in score order).
    let mut best: FxHashMap<(u16, u8, bool), [u32; 3]> = FxHashMap::default();
    for &(_, i) in &order {
        let l = &kept[i as usize];
        let e = best.entry((l.code, l.run, l.from_start)).or_insert([i; 3]);
        if l.minutes > kept[e[1] as usize].minutes {
            e[1] = i;
        }
        if l.weekends < kept[e[2] as usize].weekends {
            e[2] = i;
        }
    }
    // The three kinds of firsts, each in score order, then every label in score order.
    let mut rank = vec![0usize; kept.len()];
    for (r, &(_, i)) in order.iter().enumerate() {
        rank[i as usize] = r;
    }
    let mut firsts: [Vec<u32>; 3] = Default::default();
    for (j, list) in firsts.iter_mut().enumerate() {
        list.extend(best.values().map(|e| e[j]));
        list.sort_unstable_by_key(|&i| rank[i as usize]);
    }
    let mut chosen = vec![false; kept.len()];
    let mut taken = 0;
    for &i in firsts.iter().flatten().chain(order.iter().map(|(_, i)| i)) {
        if taken >= beam {
            break;
        }
        if !chosen[i as usize] {
            chosen[i as usize] = true;
            taken += 1;
        }
    }
    let picked = || (0..kept.len()).filter(|&i| chosen[i]);
    let labels = picked().map(|i| kept[i]).collect();
    let counts = picked().flat_map(|i| counts[i * k..i * k + k].iter().copied()).collect();
    (labels, counts)
}

/// The cost of `row` for driver `d` under `costs`, overtime included, as [`best_row`] counts it;
/// `None` when an option of the row is forbidden.
pub fn row_cost(ix: &ScenarioIndex, d: DriverIdx, costs: &CellCosts, row: &[Option<ShiftIdx>]) -> Option<f64> {
    let mut total = 0.0;
    for (t, cell) in row.iter().enumerate() {
        let c = match cell {
            Some(s) => costs.work(t, *s),
            None => costs.off[t],
        };
        if !c.is_finite() {
            return None;
        }
        total += c;
    }
    if ix.scenario.weights.overtime {
        let mut first = 0;
        for (w, &len) in ix.days_in_week.iter().enumerate() {
            let worked: Minutes = row[first..first + len].iter().flatten().map(|s| ix.duration[s.0]).sum();
            total += model::overtime::week_overtime_pay(ix, d, w, worked).cents() as f64;
            first += len;
        }
    }
    Some(total)
}
