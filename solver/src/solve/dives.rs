//! Column generation and its dives: the master's bound, the rosters its pricing builds, a first
//! dive that hurries when it cannot finish in its share, then perturbed dives or branch and price
//! while the tree is small, each roster polished by row descent.

use std::time::{Duration, Instant};

use model::{DriverIdx, RosterGrid, ScenarioIndex};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{DESCENT_BEAM, Tracker};
use crate::best_response::RowSearch;
use crate::colgen::{BeamPricing, DiveStyle, Hurry, Master};
use crate::error::SolverError;
use crate::options::SolveOptions;
use crate::progress::{CancelToken, Phase};

/// Pricing rounds of column generation that fit in the time limit: a round that takes longer than
/// this share ends it. Converging takes dozens of rounds in the 30 % of the budget it has (Curtois
/// Instance12: about 40 rounds of at most 0.1 s in a minute); a metro part of 220 drivers prices for 1.5
/// to 4 s a round in a 10 to 18 s budget, and never converged in three.
const ROUNDS_IN_BUDGET: f64 = 50.0;

/// An exact pricing round at least this long brings in pricing by the beam DP
/// ([`BeamPricing`]). Curtois Instance13's rounds take 1.5–5.9 s, and with the beam its column
/// generation converged in 152–170 s in three runs of the rule's variants (it had not in 180 s
/// without). Instance20's take 1.1–1.4 s and stay exact: over its 182 days the beam's rows lower
/// the LP too slowly. With a 500 ms threshold its bound at 180 s was 4709 at best, and as low as
/// −28,275; exact pricing alone reached 4724 (not converged either). The margin is thin: a loaded
/// machine can push Instance20's rounds over it. Instances 1–12 price in a tenth of a second a
/// round; metro parts at 60 s stop at rounds of 1.2 s at most.
const SLOW_EXACT_ROUND: Duration = Duration::from_millis(1500);

/// Column generation from the best roster: its bound, the roster of its pricing and a first dive,
/// each polished by row descent. Returns the master when it converged (for more dives), and
/// whether its first dive ended (with a roster, by the bound, or by cancellation) before its
/// thorough share of the time was up: `false` when it hurried ([`Hurry`]). Skipped
/// when one pricing round (a DP per driver, `dp_seconds` each on `opts.threads` threads) would take
/// more than a tenth of the time limit by the row descent's timing, and ended by the first round
/// that takes more than [`ROUNDS_IN_BUDGET`]'s share of it: pricing under the master's duals can
/// take a hundred times a best response's DP.
pub(super) fn column_generation<'a>(
    ix: &'a ScenarioIndex,
    opts: &SolveOptions,
    dp_seconds: f64,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<Option<(Master<'a>, bool)>, SolverError> {
    let round = dp_seconds * ix.drivers() as f64 / f64::from(opts.threads.max(1));
    let Some(start) = track.best.as_ref().map(|b| b.grid.clone()) else { return Ok(None) };
    if round > opts.time_limit.as_secs_f64() / 10.0 || track.proven() {
        return Ok(None);
    }
    let started = track.started;
    let mut master = Master::new(ix, &start)?;
    master.round_limit = Some(opts.time_limit.div_f64(ROUNDS_IN_BUDGET));
    master.beam_pricing = Some(BeamPricing { width: DESCENT_BEAM, after: SLOW_EXACT_ROUND });
    let converged = master.generate(started + opts.time_limit.mul_f64(0.3), cancel)?;
    tracing::debug!(
        converged,
        bound = master.bound,
        iterations = master.iterations,
        beam_rounds = master.beam_rounds,
        at = started.elapsed().as_secs_f64(),
        "column generation"
    );
    // Every objective term is non-negative: an early Lagrangian bound below zero says nothing.
    track.raise_bound(master.bound.max(0.0), Phase::ColumnGeneration);
    if let Some((grid, _)) = master.lagrangian_roster.take() {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    if !converged || track.proven() || cancel.is_cancelled() {
        return Ok(None);
    }
    // A thorough dive; when it cannot finish in its share of the time (a large, degenerate
    // master), it goes on briskly: its roster is rougher, but comes in seconds for LNS to finish.
    let incumbent = track.objective().map_or(f64::INFINITY, |o| o as f64);
    let (half, thorough_until) =
        (started + opts.time_limit.mul_f64(0.5), Instant::now() + opts.time_limit.mul_f64(0.15));
    let hurry = Hurry { at: thorough_until, style: DiveStyle::BRISK };
    let dived = master.dive(DiveStyle::THOROUGH, Some(hurry), incumbent, None, half, cancel)?;
    // Perturbed dives would have to hurry too: rough starts, not worth repeating.
    let dives_finish = Instant::now() < thorough_until;
    tracing::debug!(
        hurried = !dives_finish,
        found = dived.is_some(),
        at = started.elapsed().as_secs_f64(),
        "first dive"
    );
    if let Some(grid) = dived {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    Ok(Some((master, dives_finish)))
}

/// Scenarios with at most this many drivers get branch and price after the first dive, larger
/// ones more dives: branch and price proves Curtois Instance5 (16 drivers) optimal in about 20 s,
/// while on Instance7 (20) the dives find better rosters in the same time.
pub(super) const BRANCH_AND_PRICE_DRIVERS: usize = 16;

/// Scenarios with at most this many drivers (and more than [`BRANCH_AND_PRICE_DRIVERS`]) get
/// branch and price after the perturbed dives, for the rest of the dives' share of the budget:
/// the dives give it a good incumbent to prune with. Curtois Instance6 (18 drivers) is proven
/// optimal at 1950 in 3 to 24 s (the perturbed dives before the tree change its order), where
/// dives and the final search ended at 1951 or 1952; on Instance7 (20 drivers, this constant at
/// 20) the tree searched 1,459 nodes in 28 s without a roster better than the dives' 1058, time
/// the final search can use.
pub(super) const BRANCH_AFTER_DIVES_DRIVERS: usize = 18;

/// Share of the time limit the perturbed dives may go on without a better roster. Dives on
/// Curtois Instance7 take a fraction of a second each, and better rosters come late and at
/// random: with `DIVE_NOISE` at 1.0 and seed 0 the dives found 1057 at 19.6 s and
/// the best known 1056 at 23.1 s, with seed 1 1057 at 9.2 s and 1056 at 22.3 s of a 60 s solve.
/// Eight fruitless dives in a row (the earlier rule, with the noise at 0.3) stopped them at 1058
/// near 9 s; 32 in a row stopped seed 1 at 1057 after 18 s. A quarter of the time limit (15 s)
/// was enough on that machine; on one about 1.4 times slower (Instances 10 and 11 proven in
/// 4.3–4.8 s instead of 3.0–3.2 s) it stopped seed 0 at 23.6 s with 1059, found at 8.8 s; with
/// 0.4 seed 0 reached 1056 (seed 2: 1057), and with 0.6 seeds 0 and 1 found 1056 at 27–28 s.
/// Patience is checked between dives, so a long dive runs past it. On Curtois Instance18 at
/// 10 minutes (22 drivers, 84 days) six perturbed dives of about 55 s ran to the dives' end at
/// 0.6 of the limit: 320 s without a better roster, then 4472 (from 4481) at 347.2 s; the
/// solve ended at 4470, 0.25 % above the best known value.
pub(super) const DIVE_PATIENCE_SHARE: f64 = 0.4;

/// [`DIVE_PATIENCE_SHARE`] where branch and price follows the dives: its proof is worth more than
/// the dives' last units. With a quarter of the time limit, Curtois Instance6 (18 drivers) was
/// proven optimal at 31.8 s in one run and not at all in another (it had been in 2–3 s).
pub(super) const BRANCHING_DIVE_PATIENCE_SHARE: f64 = 0.02;

/// Thorough dives with perturbed weights until `until`, the proof of optimality, cancellation, or
/// `patience` without a better roster.
pub(super) fn more_dives(
    ix: &ScenarioIndex,
    master: &mut Master<'_>,
    opts: &SolveOptions,
    patience: Duration,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut last_better = Instant::now();
    let mut dives = 0;
    while Instant::now() < until.min(last_better + patience) && !track.proven() && !cancel.is_cancelled() {
        let before = track.objective();
        let incumbent = before.map_or(f64::INFINITY, |o| o as f64);
        if let Some(grid) = master.dive(DiveStyle::THOROUGH, None, incumbent, Some(&mut rng), until, cancel)? {
            track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
        }
        if track.objective() < before {
            last_better = Instant::now();
        }
        dives += 1;
    }
    tracing::debug!(
        dives,
        objective = track.objective(),
        at = track.started.elapsed().as_secs_f64(),
        "perturbed dives"
    );
    Ok(())
}

/// Branch and price below the best roster until `until`, cancellation or the end of the tree
/// (which proves the best roster optimal: the bound is raised to its objective).
pub(super) fn branch_and_price(
    ix: &ScenarioIndex,
    master: &mut Master<'_>,
    opts: &SolveOptions,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    let Some(incumbent) = track.objective() else { return Ok(()) };
    let out = master.branch_and_price(incumbent as f64, until, cancel)?;
    tracing::debug!(
        nodes = out.nodes,
        complete = out.complete,
        bound = out.bound,
        found = out.roster.is_some(),
        at = track.started.elapsed().as_secs_f64(),
        "branch and price"
    );
    if let Some(grid) = out.roster {
        track.consider(polish(ix, grid, opts.seed), Phase::ColumnGeneration);
    }
    // The objective is integral: the tree's bound rounds up (to the best roster's objective once
    // the tree is exhausted).
    track.raise_bound((out.bound - 1e-6).ceil(), Phase::ColumnGeneration);
    Ok(())
}

/// `grid` (legal) after row descent.
fn polish(ix: &ScenarioIndex, grid: RosterGrid, seed: u64) -> RosterGrid {
    let mut search = RowSearch::new(ix, grid, true);
    let mut order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    search.descend(&order, 20);
    search.grid().clone()
}
