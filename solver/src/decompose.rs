//! Decomposition into independent parts (DESIGN §4).
//!
//! Two drivers are in the same part when they can work a common shift type, directly or through
//! other drivers (union–find over "driver can work shift type"). Depots whose drivers and duties do
//! not mix therefore become separate parts, each a smaller scenario solved on its own, in parallel on
//! rayon, then merged. Every hard rule is per driver and every cover cell belongs to one part, so
//! the merged roster is legal and its cover, request, overtime and premium terms are the sum of the
//! parts'. Only the fairness spreads (max − min over all drivers) couple parts; the decomposed solve
//! ignores that coupling and the evaluator prices the merged roster exactly.

use model::{DriverIdx, RosterGrid, Scenario, ScenarioIndex, ShiftIdx};

/// One independent part: its drivers (global indices, ascending) and shift types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Drivers of the part.
    pub drivers: Vec<DriverIdx>,
    /// Shift types some driver of the part can work.
    pub shifts: Vec<ShiftIdx>,
}

fn find(parent: &mut [usize], mut a: usize) -> usize {
    while parent[a] != a {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    a
}

/// The independent parts of `ix`, largest first (ties by first driver).
pub fn parts(ix: &ScenarioIndex) -> Vec<Part> {
    let (nd, ns) = (ix.drivers(), ix.shifts());
    // Nodes 0..nd are drivers, nd..nd+ns shift types.
    let mut parent: Vec<usize> = (0..nd + ns).collect();
    for d in 0..nd {
        for s in 0..ns {
            if ix.qualified[[d, s]] && ix.max_shifts[[d, s]] > 0 {
                let (a, b) = (find(&mut parent, d), find(&mut parent, nd + s));
                if a != b {
                    parent[a] = b;
                }
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, Part> = std::collections::BTreeMap::new();
    for d in 0..nd {
        let r = find(&mut parent, d);
        by_root.entry(r).or_insert_with(|| Part { drivers: vec![], shifts: vec![] }).drivers.push(DriverIdx(d));
    }
    for s in 0..ns {
        let r = find(&mut parent, nd + s);
        if let Some(p) = by_root.get_mut(&r) {
            p.shifts.push(ShiftIdx(s));
        }
    }
    let mut out: Vec<Part> = by_root.into_values().collect();
    out.sort_by_key(|p| (std::cmp::Reverse(p.drivers.len()), p.drivers[0]));
    out
}

/// The scenario restricted to `part`: its drivers, its shift types, and the demand, requests, pins,
/// baseline and history that concern them. Weights, rules and policy are unchanged.
pub fn sub_scenario(ix: &ScenarioIndex, part: &Part) -> Scenario {
    let s = &ix.scenario;
    let drivers: std::collections::BTreeSet<_> = part.drivers.iter().map(|d| ix.driver_id(*d).clone()).collect();
    let shifts: std::collections::BTreeSet<_> = part.shifts.iter().map(|k| ix.shift_id(*k).clone()).collect();
    let mut sub = s.clone();
    sub.name = format!("{}#part", s.name);
    sub.drivers.retain(|d| drivers.contains(&d.id));
    for d in &mut sub.drivers {
        d.max_shifts.retain(|k, _| shifts.contains(k));
    }
    sub.shift_types.retain(|t| shifts.contains(&t.id));
    for t in &mut sub.shift_types {
        t.forbidden_next.retain(|k| shifts.contains(k));
    }
    sub.demand.retain(|d| shifts.contains(&d.shift));
    sub.requests.retain(|r| drivers.contains(&r.driver) && r.shift.as_ref().is_none_or(|k| shifts.contains(k)));
    sub.pins.retain(|p| drivers.contains(&p.driver));
    if let Some(b) = &mut sub.baseline {
        b.retain(|a| drivers.contains(&a.driver));
    }
    sub.history.retain(|h| drivers.contains(&h.driver) && shifts.contains(&h.shift));
    sub
}

/// Writes the roster of a part (indexed in its sub-scenario) into the global grid.
pub fn merge_part(ix: &ScenarioIndex, sub: &ScenarioIndex, part_grid: &RosterGrid, into: &mut RosterGrid) {
    for (local, global) in (0..sub.drivers()).map(DriverIdx).zip(sub.scenario.drivers.iter()) {
        let Some(g) = ix.driver_idx(&global.id) else { continue };
        for t in 0..ix.days() {
            let cell = part_grid.get(local, t).and_then(|s| ix.shift_idx(sub.shift_id(s)));
            into.set(g, t, cell);
        }
    }
}

/// Whether `ix` can be solved part by part: more than one part, each with shift types, and no pin
/// or carry-in shift that reaches outside its driver's part (such a pin is a conflict the monolithic model must diagnose).
pub fn decomposable(ix: &ScenarioIndex, parts: &[Part]) -> bool {
    // A driver who can work nothing forms a part without shift types; the monolithic model handles
    // (and, with a minimum of minutes, diagnoses) such drivers.
    if parts.len() < 2 || parts.iter().any(|p| p.shifts.is_empty()) {
        return false;
    }
    let mut part_of_driver = vec![0; ix.drivers()];
    let mut part_of_shift = vec![usize::MAX; ix.shifts()];
    for (i, p) in parts.iter().enumerate() {
        p.drivers.iter().for_each(|d| part_of_driver[d.0] = i);
        p.shifts.iter().for_each(|s| part_of_shift[s.0] = i);
    }
    let inside = |d: DriverIdx, s: ShiftIdx| part_of_shift[s.0] == part_of_driver[d.0];
    ix.pins.iter().all(|p| p.shift.is_none_or(|s| inside(p.driver, s)))
        && ix.carry_in.iter().enumerate().all(|(d, c)| c.last_shift.is_none_or(|s| inside(DriverIdx(d), s)))
}

/// Cost of demand for shift types that no driver can work: uncovered whatever the roster.
pub fn unworkable_demand_cost(ix: &ScenarioIndex, parts: &[Part]) -> f64 {
    let mut workable = vec![false; ix.shifts()];
    parts.iter().flat_map(|p| &p.shifts).for_each(|s| workable[s.0] = true);
    ix.demand
        .indexed_iter()
        .filter(|((_, s), _)| !workable[*s])
        .filter_map(|(_, c)| c.map(|c| c.under.cents() as f64 * f64::from(c.required)))
        .sum()
}
