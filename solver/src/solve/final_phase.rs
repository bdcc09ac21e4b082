//! The final phase: turns of the exchange search, large neighbourhood search and the row descent
//! on the best roster until the deadline, the bound or cancellation, each turn to the search that
//! gained most per second; a stalled phase re-heats the exchange search's annealing.

use std::time::{Duration, Instant};

use model::{DriverIdx, ScenarioIndex};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Tracker, descend, descent_search};
use crate::best_response::RowSearch;
use crate::error::SolverError;
use crate::exchange::{ExchangeLimits, ExchangeSearch};
use crate::lns::{Lns, LnsConfig, sub_milp_limit};
use crate::options::SolveOptions;
use crate::progress::{CancelToken, Phase, ProgressSink};

/// Share of the time limit one turn of the final phase's searches takes (at least a second).
const TURN_SHARE: f64 = 0.05;

/// The searches of the final phase, in the order they first run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// The exchange search's annealing ([`crate::exchange`]).
    Exchange,
    /// Large neighbourhood search ([`crate::lns`]).
    Lns,
    /// Passes of best responses (the exact row DP, or its beam on rows too long for it), one
    /// driver's row at a time ([`super::row_descent`]).
    Descent,
}

impl Search {
    const ALL: [Search; 3] = [Search::Exchange, Search::Lns, Search::Descent];

    fn name(self) -> &'static str {
        match self {
            Search::Exchange => "exchange",
            Search::Lns => "lns",
            Search::Descent => "descent",
        }
    }
}

/// The rest of the budget, in turns of the exchange search, LNS and the row descent until the
/// deadline, the bound or cancellation. Each turn goes to the search that gained most per second
/// in its own last turn (untried ones first, in [`Search::ALL`]'s order), and every fifth turn to
/// the one of the others that waited longest, so that a search that stalled gets another try from
/// the roster the others left; when none gained in its last turn they take turns (the exchange
/// search settles within half a second, and on metro parts took four turns of every five from
/// LNS, which still found gains), and the exchange search re-heats first (see below). An exchange
/// turn ends early once the search settles, a descent turn once a pass improves no row; an LNS
/// turn is whole rounds, so that its sub-MILPs get the time limit they would get in one long run
/// (their neighbourhoods shrink when they hit it). With `opts.lns_rounds` the phase is those LNS
/// rounds only, for runs that must repeat exactly.
///
/// The descent is here because the other two leave rows that are not their driver's best
/// response: on Curtois Instance21, a descent from the roster a 60 s solve ended with gained 1,952
/// in 3.4 s, where the final phase had been gaining about 100 a second (BENCHMARKS.md).
pub(super) fn final_search<'a>(
    ix: &'a ScenarioIndex,
    opts: &SolveOptions,
    deadline: Instant,
    exchanger: &mut Option<ExchangeSearch<'a>>,
    track: &mut Tracker<'_>,
    sink: ProgressSink<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    let mut lns = Lns::new(ix);
    let mut descent = None;
    // Gain per second of each search's last turn (untried: infinite), and the turn it last ran.
    let mut rate = [f64::INFINITY; 3];
    let mut ran_at = [None::<u64>; 3];
    let turn_length = opts.time_limit.mul_f64(TURN_SHARE).max(Duration::from_secs(1));
    // The search the last turn went to.
    let mut last: Option<Search> = None;
    // The objective is integral: stop at the bound rounded up, or within the gap asked for.
    let stop_at = track.bound.map(|b| (b.ceil() as i64).max((b / (1.0 - opts.gap.min(0.999))).floor() as i64));
    for turn in 0u64.. {
        let left = deadline.saturating_duration_since(Instant::now());
        let reached = stop_at.zip(track.objective()).is_some_and(|(s, o)| o <= s);
        // Every search improves a roster: without one there is nothing to do.
        if left < Duration::from_millis(500)
            || cancel.is_cancelled()
            || track.proven()
            || reached
            || track.best.is_none()
        {
            break;
        }
        let pick = if opts.lns_rounds.is_some() { Search::Lns } else { pick_search(turn, &rate, &ran_at, last) };
        let (t0, before) = (Instant::now(), track.objective());
        let until = t0 + turn_length.min(left);
        last = Some(pick);
        ran_at[pick as usize] = Some(turn);
        match pick {
            Search::Exchange => {
                if rate.iter().all(|r| *r == 0.0) {
                    // A stalled phase: the cooled search settles in a third of a second without a
                    // gain, so it starts again at a calibrated temperature. On Curtois Instance12
                    // (optimum 4040, 60 s) runs sat on 4152 or 4157, two uncovered shifts too
                    // many, from about 30 s to the end; re-heated turns took seed 1 from 4354 to
                    // 4159 at 33.5 s and seed 3 from 4262 to 4169 at 37.7 s, which LNS then took
                    // to 4057 and 4066. Seeds 0–11 ended within 1 % in 10 of 12 runs, against 8
                    // of 12 without (BENCHMARKS.md). A phase still gaining keeps cooling: metro
                    // large gained from resuming at the cooled temperature.
                    if let Some(search) = exchanger.as_mut() {
                        search.reheat();
                    }
                }
                exchange(ix, exchanger, opts.seed.wrapping_add(turn), until, track, cancel);
            }
            Search::Lns => {
                if let Some(inc) = track.best.take() {
                    let cfg = LnsConfig {
                        time_limit: left,
                        max_rounds: Some(opts.lns_rounds.unwrap_or_else(|| lns_rounds_per_turn(turn_length, left))),
                        parallel: opts.threads as usize,
                        seed: opts.seed,
                        started: track.started,
                        stop_at,
                    };
                    track.best = Some(lns.improve(inc, &cfg, sink, cancel)?);
                    if opts.lns_rounds.is_some() {
                        break;
                    }
                }
            }
            Search::Descent => descend_turn(ix, &mut descent, opts, turn, until, deadline, track, cancel),
        }
        let gain = before.zip(track.objective()).map_or(0, |(b, a)| b - a);
        tracing::trace!(
            turn,
            search = pick.name(),
            gain,
            seconds = t0.elapsed().as_secs_f64(),
            drivers = ix.drivers(),
            at = track.started.elapsed().as_secs_f64(),
            "final turn"
        );
        rate[pick as usize] = gain as f64 / t0.elapsed().as_secs_f64().max(1e-3);
    }
    Ok(())
}

/// The search of turn `turn`, given each search's last gain per second, the turn each last ran
/// and the search of the last turn: see [`final_search`].
fn pick_search(turn: u64, rate: &[f64; 3], ran_at: &[Option<u64>; 3], last: Option<Search>) -> Search {
    if rate.iter().all(|r| *r == rate[0]) {
        // None gained in its last turn (or none has run): in turn.
        return last.map_or(Search::Exchange, |l| Search::ALL[(l as usize + 1) % Search::ALL.len()]);
    }
    // The highest rate; among equals, the first (an untried search before a tried one).
    let best =
        Search::ALL.into_iter().fold(Search::Exchange, |b, s| if rate[s as usize] > rate[b as usize] { s } else { b });
    if turn % 5 != 4 {
        return best;
    }
    // The one of the others that waited longest (one that never ran, first).
    Search::ALL
        .into_iter()
        .filter(|s| *s != best)
        .min_by_key(|s| ran_at[*s as usize].map_or(-1, |t| t as i64))
        .unwrap_or(best)
}

/// A descent turn: best responses from the best roster until `until` or a pass without a gain.
/// The search is built on first use and restarted from the best roster after that, so what it
/// learnt about the rows (that they need the beam, say) carries over.
#[allow(clippy::too_many_arguments)]
fn descend_turn<'a>(
    ix: &'a ScenarioIndex,
    descent: &mut Option<RowSearch<'a>>,
    opts: &SolveOptions,
    turn: u64,
    until: Instant,
    deadline: Instant,
    track: &mut Tracker<'_>,
    cancel: &'a CancelToken,
) {
    let Some(best) = track.best.as_ref() else { return };
    let search = match descent {
        Some(s) => {
            s.restart(best.grid.clone());
            s
        }
        None => descent.insert(descent_search(ix, Some(&best.grid), deadline, cancel)),
    };
    let mut order: Vec<DriverIdx> = (0..ix.drivers()).map(DriverIdx).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(opts.seed.wrapping_add(turn)));
    // The rows start legal and a best response only replaces a row by a cheaper legal one.
    if descend(search, &order, opts.threads as usize, (until, until), cancel).is_some() {
        track.consider(search.grid().clone(), Phase::LocalSearch);
    }
}

/// LNS rounds in a turn of `turn_length` with `left` to the deadline: a round takes about its
/// sub-MILPs' time limit.
fn lns_rounds_per_turn(turn_length: Duration, left: Duration) -> u32 {
    (turn_length.as_secs_f64() / sub_milp_limit(left).as_secs_f64()).ceil().max(1.0) as u32
}

/// Share of the time limit the exchange search after an unconverged column generation may take.
pub(super) const EXCHANGE_SHARE: f64 = 0.2;

/// Annealing cycles without a better roster after which an exchange search gives its time back
/// (to LNS).
const EXCHANGE_STALL_CYCLES: u32 = 2;

/// Improves the best roster by the exchange search ([`crate::exchange`]) until `until` or until it
/// settles. `search` is built on first use and restarted from the best roster after that (its
/// per-driver tables stay, and its annealing resumes at the heat it had cooled to: metro large went
/// from a 1.09 % to a 0.78 % gap in 60 s when its final turns stopped re-heating from scratch;
/// only a stalled final search re-heats it, see [`final_search`]).
pub(super) fn exchange<'a>(
    ix: &'a ScenarioIndex,
    search: &mut Option<ExchangeSearch<'a>>,
    seed: u64,
    until: Instant,
    track: &mut Tracker<'_>,
    cancel: &CancelToken,
) {
    let Some(best) = track.best.as_ref() else { return };
    let search = match search {
        Some(s) => {
            s.restart(best.grid.clone());
            s
        }
        None => search.insert(ExchangeSearch::new(ix, best.grid.clone())),
    };
    // The search's total leaves the fairness spreads out, the bound does not: the bound is a
    // target for it only when they weigh nothing.
    let limits = ExchangeLimits {
        stop_at: track.bound.filter(|_| ix.scenario.weights.fairness_weighs_nothing()).map(|b| b.ceil()),
        stall_cycles: Some(EXCHANGE_STALL_CYCLES),
        ..ExchangeLimits::until(until)
    };
    let out = search.run(seed, &limits, cancel);
    if out.best < out.start - 0.5 {
        track.consider(search.grid().clone(), Phase::LocalSearch);
    }
}

#[cfg(test)]
mod tests {
    use super::{Search, pick_search};

    const UNTRIED: f64 = f64::INFINITY;

    #[test]
    fn untried_searches_run_first_in_their_order() {
        assert_eq!(pick_search(0, &[UNTRIED; 3], &[None; 3], None), Search::Exchange);
        assert_eq!(
            pick_search(1, &[5.0, UNTRIED, UNTRIED], &[Some(0), None, None], Some(Search::Exchange)),
            Search::Lns
        );
        assert_eq!(pick_search(2, &[5.0, 0.0, UNTRIED], &[Some(0), Some(1), None], Some(Search::Lns)), Search::Descent);
    }

    #[test]
    fn the_search_that_gained_most_per_second_runs_next_except_every_fifth_turn() {
        let rate = [5.0, 0.0, 80.0];
        let ran_at = [Some(4), Some(1), Some(7)];
        assert_eq!(pick_search(8, &rate, &ran_at, Some(Search::Descent)), Search::Descent);
        // Turn 9 is a fifth turn: of the other two, LNS has waited longest.
        assert_eq!(pick_search(9, &rate, &ran_at, Some(Search::Descent)), Search::Lns);
    }

    #[test]
    fn searches_that_all_stalled_take_turns() {
        let stalled = [0.0; 3];
        let ran_at = [Some(3), Some(4), Some(5)];
        assert_eq!(pick_search(6, &stalled, &ran_at, Some(Search::Descent)), Search::Exchange);
        assert_eq!(pick_search(7, &stalled, &ran_at, Some(Search::Exchange)), Search::Lns);
        assert_eq!(pick_search(8, &stalled, &ran_at, Some(Search::Lns)), Search::Descent);
    }
}
