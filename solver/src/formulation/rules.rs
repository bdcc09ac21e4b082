//! One function per hard-rule family (R1–R11), each with its math. `w[d,t] = Σ_s x[d,t,s]`,
//! `T` = days, `len(s)` = duration of shift type `s` in minutes.

use good_lp::{Expression, variable};
use model::{DriverIdx, RuleCode, ShiftIdx};

use super::{Aux, RosterModel, RowTag, Sense};

fn tag(rule: RuleCode, driver: DriverIdx, day: Option<usize>) -> RowTag {
    RowTag { rule, driver, day }
}

impl RosterModel<'_> {
    /// The drivers the model has variables for.
    fn drivers(&self) -> impl Iterator<Item = DriverIdx> + use<> {
        let free = self.free.clone();
        (0..self.ix.drivers()).map(DriverIdx).filter(move |d| free[d.0])
    }

    /// R1: `Σ_s x[d,t,s] ≤ 1` for every driver and day with more than one candidate shift.
    pub(crate) fn r1_one_shift_per_day(&mut self) {
        for d in self.drivers() {
            for t in 0..self.ix.days() {
                if self.day_vars(d, t).nth(1).is_some() {
                    let w = self.works(d, t);
                    self.hard(tag(RuleCode::R1, d, Some(t)), w, Sense::Le, 1.0);
                }
            }
        }
    }

    /// R2: `x[d,t,s] + Σ_{s' ∈ F(s)} x[d,t+1,s'] ≤ 1`, where `F(s)` is the set of shift types that
    /// may not follow `s` (explicit successions and rest below `rules.min_rest`). Aggregating the
    /// successors into one row is valid because at most one of them is worked (R1), and it is tighter
    /// than one row per pair. A kept cell enters as the constant 1 on its shift. From the carry-in:
    /// `x[d,0,s'] ≤ 0` for `s' ∈ F(last shift worked)`.
    pub(crate) fn r2_rest_and_successions(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            for t in 0..ix.days().saturating_sub(1) {
                // Today's candidates: a variable per shift, or the kept shift as a constant.
                let today: Vec<(ShiftIdx, Expression)> = match self.kept_shift(d, t) {
                    Some(s) => vec![(s, Expression::from(1.0))],
                    None => self.day_vars(d, t).map(|(s, v)| (s, Expression::from(v))).collect(),
                };
                let kept_next = self.kept_shift(d, t + 1);
                for (s, mut e) in today {
                    let mut any = false;
                    for (next, nv) in self.day_vars(d, t + 1) {
                        if ix.forbidden_next[[s.0, next.0]] {
                            e.add_mul(1.0, nv);
                            any = true;
                        }
                    }
                    if kept_next.is_some_and(|n| ix.forbidden_next[[s.0, n.0]]) {
                        e += 1.0;
                        any = true;
                    }
                    if any {
                        self.hard(tag(RuleCode::R2, d, Some(t + 1)), e, Sense::Le, 1.0);
                    }
                }
            }
            if let Some(last) = ix.carry_in[d.0].last_shift {
                let banned: Vec<_> = self.day_vars(d, 0).filter(|(s, _)| ix.forbidden_next[[last.0, s.0]]).collect();
                for (_, v) in banned {
                    self.hard(tag(RuleCode::R2, d, Some(0)), Expression::from(v), Sense::Le, 0.0);
                }
            }
        }
    }

    /// R3: `Σ_t x[d,t,s] ≤ max_shifts[d,s]`, only where the maximum can bind (kept cells count as
    /// constants).
    pub(crate) fn r3_max_shifts_per_type(&mut self) {
        for d in self.drivers() {
            for s in (0..self.ix.shifts()).map(ShiftIdx) {
                let max = self.ix.max_shifts[[d.0, s.0]];
                let vars: Vec<_> = (0..self.ix.days()).filter_map(|t| self.x(d, t, s)).collect();
                let kept = (0..self.ix.days()).filter(|t| self.kept_shift(d, *t) == Some(s)).count();
                if ((vars.len() + kept) as u64) > u64::from(max) {
                    let e = vars.into_iter().fold(Expression::from(kept as f64), |mut e, v| {
                        e.add_mul(1.0, v);
                        e
                    });
                    self.hard(tag(RuleCode::R3, d, None), e, Sense::Le, f64::from(max));
                }
            }
        }
    }

    /// R4 and R10 (and R3 with a zero maximum) on pinned cells: `x[d,t,s] ≤ 0` where a pin created a
    /// variable the rule forbids. Other forbidden cells have no variable at all.
    pub(crate) fn r4_r10_pinned_forbidden_cells(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        for p in ix.pins.iter().filter(|p| free[p.driver.0]) {
            let Some(s) = p.shift else { continue };
            let Some(v) = self.x(p.driver, p.day, s) else { continue };
            let rule = if ix.unavailable[[p.driver.0, p.day]] {
                RuleCode::R10
            } else if !ix.qualified[[p.driver.0, s.0]] {
                RuleCode::R4
            } else if ix.max_shifts[[p.driver.0, s.0]] == 0 {
                RuleCode::R3
            } else {
                continue;
            };
            self.hard(tag(rule, p.driver, Some(p.day)), Expression::from(v), Sense::Le, 0.0);
        }
    }

    /// R5: `min ≤ Σ_{t,s} len(s)·x[d,t,s] ≤ max` over the horizon, and
    /// `Σ_{t ∈ week k, s} len(s)·x[d,t,s] ≤ max_per_week` for every ISO week `k` where it can bind.
    pub(crate) fn r5_worked_minutes(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            let c = &ix.scenario.drivers[d.0].contract;
            let minutes_in = |m: &Self, days: &mut dyn Iterator<Item = usize>| {
                let mut e = Expression::default();
                let mut most = 0i64;
                for t in days {
                    let (day, best) = m.day_minutes(d, t);
                    e += day;
                    most += best;
                }
                (e, most)
            };
            let (total, most) = minutes_in(self, &mut (0..ix.days()));
            if c.min_minutes.get() > 0 {
                self.hard(tag(RuleCode::R5, d, None), total.clone(), Sense::Ge, c.min_minutes.get() as f64);
            }
            if let Some(max) = c.max_minutes
                && max.get() < most
            {
                self.hard(tag(RuleCode::R5, d, None), total, Sense::Le, max.get() as f64);
            }
            if let Some(max_week) = c.max_minutes_per_week {
                let mut first = 0;
                for len in ix.days_in_week.clone() {
                    let (e, most) = minutes_in(self, &mut (first..first + len));
                    if max_week.get() < most {
                        self.hard(tag(RuleCode::R5, d, Some(first)), e, Sense::Le, max_week.get() as f64);
                    }
                    first += len;
                }
            }
        }
    }

    /// R6 (`c` = max consecutive days): `Σ_{j=t}^{t+c} w[d,j] ≤ c` for `t = 0 … T−c−1`. With a
    /// carry-in run of `r` days before day 0: `Σ_{j=0}^{c−r} w[d,j] ≤ c − r` (`w[d,0] = 0` if `r ≥ c`).
    pub(crate) fn r6_max_consecutive_days(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            let Some(c) = ix.scenario.drivers[d.0].contract.max_consecutive_days else { continue };
            let c = c as usize;
            for t in 0..ix.days().saturating_sub(c) {
                let e = self.window(d, t, t + c);
                self.hard(tag(RuleCode::R6, d, Some(t)), e, Sense::Le, c as f64);
            }
            let r = ix.carry_in[d.0].trailing_run as usize;
            if r > 0 {
                let last = c.saturating_sub(r).min(ix.days() - 1);
                let e = self.window(d, 0, last);
                self.hard(tag(RuleCode::R6, d, Some(0)), e, Sense::Le, c.saturating_sub(r) as f64);
            }
        }
    }

    /// `Σ_{j=from}^{to} w[d,j]` (inclusive).
    fn window(&self, d: DriverIdx, from: usize, to: usize) -> Expression {
        let mut e = Expression::default();
        for j in from..=to {
            e += self.works(d, j);
        }
        e
    }

    /// R7 (`c` = min consecutive working days): a block that starts after a day off lasts at least
    /// `c` days or reaches the horizon's end: `w[d,t+1] − w[d,t] ≤ w[d,t+j]` for `j = 2 … c`,
    /// `t + j ≤ T−1`. Blocks starting on day 0 are exempt (there is no `w[d,−1]`). This disaggregated
    /// form is equivalent to forbidding the patterns off–k worked–off (k < c) and much tighter in the
    /// LP relaxation.
    pub(crate) fn r7_min_consecutive_days(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            let c = ix.scenario.drivers[d.0].contract.min_consecutive_days as usize;
            for t in 0..ix.days().saturating_sub(2) {
                if c < 2 || !self.may_work(d, t + 1) {
                    continue;
                }
                for j in 2..=c {
                    if t + j >= ix.days() {
                        break;
                    }
                    let e = self.works(d, t + 1) - self.works(d, t) - self.works(d, t + j);
                    self.hard(tag(RuleCode::R7, d, Some(t + 1)), e, Sense::Le, 0.0);
                }
            }
        }
    }

    /// R8 (`c` = min consecutive days off): a run of days off that starts after a worked day lasts at
    /// least `c` days or reaches the horizon's end: `w[d,t] − w[d,t+1] + w[d,t+j] ≤ 1` for
    /// `j = 2 … c`, `t + j ≤ T−1`.
    pub(crate) fn r8_min_consecutive_days_off(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            let c = ix.scenario.drivers[d.0].contract.min_consecutive_days_off as usize;
            for t in 0..ix.days().saturating_sub(2) {
                if c < 2 || !self.may_work(d, t) {
                    continue;
                }
                for j in 2..=c {
                    if t + j >= ix.days() {
                        break;
                    }
                    if !self.may_work(d, t + j) {
                        continue;
                    }
                    let e = self.works(d, t) - self.works(d, t + 1) + self.works(d, t + j);
                    self.hard(tag(RuleCode::R8, d, Some(t + 1)), e, Sense::Le, 1.0);
                }
            }
        }
    }

    /// R9: `y[d,k] ≥ w[d,t]` for each day `t` of weekend `k`, and `Σ_k y[d,k] ≤ max_weekends`; only
    /// where the maximum can bind. `y` may be continuous: the rows force it to 1 on a worked weekend.
    pub(crate) fn r9_max_weekends(&mut self) {
        let ix = self.ix;
        for d in self.drivers() {
            let Some(max) = ix.scenario.drivers[d.0].contract.max_weekends else { continue };
            let mut days_of = vec![Vec::new(); ix.weekends];
            for (t, k) in ix.weekend_of_day.iter().enumerate() {
                if let Some(k) = k
                    && self.may_work(d, t)
                {
                    days_of[*k].push(t);
                }
            }
            let workable = days_of.iter().filter(|v| !v.is_empty()).count();
            if workable <= max as usize {
                continue;
            }
            let mut sum = Expression::default();
            for days in days_of.into_iter().filter(|v| !v.is_empty()) {
                let y = self.add_aux(variable().min(0.0).max(1.0), Aux::Weekend { driver: d, days: days.clone() });
                sum.add_mul(1.0, y);
                for t in days {
                    let e = self.works(d, t) - y;
                    self.hard(tag(RuleCode::R9, d, Some(t)), e, Sense::Le, 0.0);
                }
            }
            self.hard(tag(RuleCode::R9, d, None), sum, Sense::Le, f64::from(max));
        }
    }

    /// R11: a pinned shift is worked, `x[d,t,s] = 1`; a pinned day off has no variables (or, in
    /// elastic mode, `w[d,t] = 0`).
    pub(crate) fn r11_pins(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        for p in ix.pins.iter().filter(|p| free[p.driver.0]) {
            let t = tag(RuleCode::R11, p.driver, Some(p.day));
            match p.shift {
                Some(s) => {
                    if let Some(v) = self.x(p.driver, p.day, s) {
                        self.hard(t, Expression::from(v), Sense::Eq, 1.0);
                    }
                }
                None => {
                    if self.may_work(p.driver, p.day) {
                        let w = self.works(p.driver, p.day);
                        self.hard(t, w, Sense::Eq, 0.0);
                    }
                }
            }
        }
    }
}
