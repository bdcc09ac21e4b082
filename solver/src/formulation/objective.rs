//! One function per soft term of the objective (DESIGN §3), all in cents.

use good_lp::{Expression, variable};
use model::{DriverIdx, ShiftIdx};

use super::{Aux, RosterModel};

impl RosterModel<'_> {
    /// Cover: `Σ_d x[d,t,s] + u[t,s] − o[t,s] = required[t,s]`, cost `under·u + over·o`, with
    /// `u, o ≥ 0` continuous (integral at any vertex since the `x` are). A cell nobody can work costs
    /// `under·required` as a constant.
    pub(crate) fn cover_terms(&mut self) {
        let ix = self.ix;
        for ((t, s), cell) in ix.demand.indexed_iter() {
            let Some(cell) = *cell else { continue };
            let mut e = Expression::default();
            let mut any = false;
            for d in (0..ix.drivers()).map(DriverIdx) {
                if let Some(v) = self.x(d, t, ShiftIdx(s)) {
                    e.add_mul(1.0, v);
                    any = true;
                }
            }
            // Drivers outside the model (per-driver models) cover part of the cell already.
            let fixed = self.fixed_cover.as_ref().map_or(0.0, |f| f64::from(f[[t, s]]));
            let req = f64::from(cell.required) - fixed;
            if !any {
                self.constant += cell.under.cents() as f64 * req.max(0.0) + cell.over.cents() as f64 * (-req).max(0.0);
                continue;
            }
            let u = self
                .add_aux(variable().integer().min(0.0).max(req.max(0.0)), Aux::Under { day: t, shift: ShiftIdx(s) });
            let o = self.add_aux(variable().integer().min(0.0), Aux::Over { day: t, shift: ShiftIdx(s) });
            self.objective.add_mul(cell.under.cents() as f64, u);
            self.objective.add_mul(cell.over.cents() as f64, o);
            e.add_mul(1.0, u);
            e.add_mul(-1.0, o);
            self.soft(e.eq(req));
        }
    }

    /// Requests: an on-request costs `wt·(1 − x[d,t,s])` (a constant `wt` and `−wt` on the variable);
    /// an off-request costs `wt·x[d,t,s]`, or `wt·w[d,t]` when it is about any shift.
    pub(crate) fn request_terms(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        for r in ix.on_requests.iter().filter(|r| free[r.driver.0]) {
            let w = r.weight.cents() as f64;
            if self.kept_shift(r.driver, r.day) != Some(r.shift) {
                self.constant += w;
            }
            if let Some(v) = self.x(r.driver, r.day, r.shift) {
                self.objective.add_mul(-w, v);
            }
        }
        for r in ix.off_requests.iter().filter(|r| free[r.driver.0]) {
            let w = r.weight.cents() as f64;
            if self.kept_shift(r.driver, r.day).is_some_and(|k| r.shift.is_none_or(|want| want == k)) {
                self.constant += w;
            }
            let vars: Vec<_> = self
                .day_vars(r.driver, r.day)
                .filter(|(s, _)| r.shift.is_none_or(|want| want == *s))
                .map(|(_, v)| v)
                .collect();
            for v in vars {
                self.objective.add_mul(w, v);
            }
        }
    }

    /// Premiums: `premium_pay(d,t,s)·x[d,t,s]` (night, Sunday, holiday), when they count.
    pub(crate) fn premium_terms(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        if !ix.scenario.weights.premiums {
            return;
        }
        for d in (0..ix.drivers()).map(DriverIdx).filter(|d| free[d.0]) {
            for t in 0..ix.days() {
                if let Some(s) = self.kept_shift(d, t) {
                    self.constant += ix.premium_pay(d, t, s).cents() as f64;
                }
                let cells: Vec<_> = self.day_vars(d, t).collect();
                for (s, v) in cells {
                    let p = ix.premium_pay(d, t, s).cents();
                    if p != 0 {
                        self.objective.add_mul(p as f64, v);
                    }
                }
            }
        }
    }

    /// Overtime: per driver and ISO week `k`, `Σ_{t∈k,s} len(s)·x[d,t,s] − contract[d,k] ≤ Σ_i ot[d,k,i]`
    /// with `0 ≤ ot[d,k,i] ≤ width_i`, cost `rate·percent_i/6000` per minute. Only weeks where
    /// overtime is possible get rows. Overtime spread (fairness): `M ≥ OT_d ≥ m` for every driver,
    /// cost `weight·(M − m)`.
    pub(crate) fn overtime_terms(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        let w = &ix.scenario.weights;
        let spread = if self.fixed_cover.is_some() { 0 } else { w.overtime_spread_per_minute.cents() };
        if !w.overtime && spread == 0 {
            return;
        }
        let tiers = ix.scenario.overtime.tiers.clone();
        let mut totals = Vec::new();
        for d in (0..ix.drivers()).map(DriverIdx).filter(|d| free[d.0]) {
            let rate = ix.scenario.drivers[d.0].contract.hourly_rate.cents() as f64;
            let mut total_ot = Expression::default();
            let mut first = 0;
            for (k, &len) in ix.days_in_week.iter().enumerate() {
                let mut worked = Expression::default();
                let mut most = 0i64;
                for t in first..first + len {
                    let (day, best) = self.day_minutes(d, t);
                    worked += day;
                    most += best;
                }
                first += len;
                let contract = ix.contract_minutes_in_week(d, k).get();
                if most <= contract || (rate == 0.0 && spread == 0) {
                    continue;
                }
                let mut ot = Expression::default();
                for (i, tier) in tiers.iter().enumerate() {
                    let def = match tier.width {
                        Some(width) => variable().min(0.0).max(width.get() as f64),
                        None => variable().min(0.0),
                    };
                    let v = self.add_aux(def, Aux::Overtime { driver: d, week: k, tier: i });
                    if w.overtime {
                        let per_minute = rate * f64::from(tier.percent) / 6000.0;
                        self.fractional_costs |= per_minute.fract() != 0.0;
                        self.objective.add_mul(per_minute, v);
                    }
                    ot.add_mul(1.0, v);
                }
                total_ot += ot.clone();
                self.soft((worked - ot).leq(contract as f64));
            }
            totals.push(total_ot);
        }
        if spread > 0 {
            // The envelope columns come after every overtime column (start values depend on them).
            let hi = self.add_aux(variable().min(0.0), Aux::SpreadHigh);
            let lo = self.add_aux(variable().min(0.0), Aux::SpreadLow);
            for total in totals {
                self.soft((total.clone() - hi).leq(0.0));
                self.soft((total - lo).geq(0.0));
            }
            self.objective.add_mul(spread as f64, hi);
            self.objective.add_mul(-(spread as f64), lo);
        }
    }

    /// Changes against the baseline: a cell that had shift `s0` costs `c·(1 − x[d,t,s0])`; a cell
    /// that was a day off costs `c·w[d,t]`. Linear in `x`, no extra variable.
    pub(crate) fn baseline_change_terms(&mut self) {
        let free = self.free.clone();
        let ix = self.ix;
        let Some(base) = &ix.baseline else { return };
        let c = ix.scenario.weights.change.cents() as f64;
        if c == 0.0 {
            return;
        }
        for d in (0..ix.drivers()).map(DriverIdx).filter(|d| free[d.0]) {
            for t in 0..ix.days() {
                if let Some(k) = self.kept(d, t) {
                    if k != base.get(d, t) {
                        self.constant += c;
                    }
                    continue;
                }
                match base.get(d, t) {
                    Some(s0) => {
                        self.constant += c;
                        if let Some(v) = self.x(d, t, s0) {
                            self.objective.add_mul(-c, v);
                        }
                    }
                    None => {
                        let vars: Vec<_> = self.day_vars(d, t).map(|(_, v)| v).collect();
                        for v in vars {
                            self.objective.add_mul(c, v);
                        }
                    }
                }
            }
        }
    }
}
