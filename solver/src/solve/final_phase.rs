//! The final phase: turns of the exchange search and large neighbourhood search on the best
//! roster until the deadline, the bound or cancellation, each turn to the search that gained more
//! per second; a stalled phase re-heats the exchange search's annealing.

use std::time::{Duration, Instant};

use model::ScenarioIndex;

use super::Tracker;
use crate::error::SolverError;
use crate::exchange::{ExchangeLimits, ExchangeSearch};
use crate::lns::{Lns, LnsConfig, sub_milp_limit};
use crate::options::SolveOptions;
use crate::progress::{CancelToken, Phase, ProgressSink};

/// Share of the time limit one turn of the final phase's searches takes (at least a second).
const TURN_SHARE: f64 = 0.05;

/// The rest of the budget, in turns of the exchange search and LNS until the deadline, the bound
/// or cancellation. Each turn goes to the search that gained more per second in its own last turn
/// (the exchange search first), and every fifth turn to the other one, so that a search that
/// stalled gets another try from the roster the other one left; when neither gained in its last
/// turn they take turns (the exchange search settles within half a second, and on metro parts
/// took four turns of every five from LNS, which still found gains), and the exchange search
/// re-heats first (see below). An exchange turn ends early once
/// the search settles; an LNS turn is whole rounds, so that its sub-MILPs get the time limit they
/// would get in one long run (their neighbourhoods shrink when they hit it). With `opts.lns_rounds` the phase is those LNS rounds only, for runs
/// that must repeat exactly.
pub(super) fn final_search<'a>(
    ix: &'a ScenarioIndex,
    opts: &SolveOptions,
    deadline: Instant,
    exchanger: &mut Option<ExchangeSearch<'a>>,
    track: &mut Tracker<'_>,
    sink: ProgressSink<'_>,
    cancel: &CancelToken,
) -> Result<(), SolverError> {
    const EXCHANGE: usize = 0;
    const LNS: usize = 1;
    let mut lns = Lns::new(ix);
    // Gain per second of each search's last turn; untried ones first, the exchange search first
    // of all (it settles in a fraction of a second where it finds nothing).
    let mut rate = [f64::INFINITY; 2];
    let turn_length = opts.time_limit.mul_f64(TURN_SHARE).max(Duration::from_secs(1));
    // The search the last turn went to.
    let mut last = None;
    // The objective is integral: stop at the bound rounded up, or within the gap asked for.
    let stop_at = track.bound.map(|b| (b.ceil() as i64).max((b / (1.0 - opts.gap.min(0.999))).floor() as i64));
    for turn in 0u64.. {
        let left = deadline.saturating_duration_since(Instant::now());
        let reached = stop_at.zip(track.objective()).is_some_and(|(s, o)| o <= s);
        // Both searches improve a roster: without one there is nothing to do.
        if left < Duration::from_millis(500)
            || cancel.is_cancelled()
            || track.proven()
            || reached
            || track.best.is_none()
        {
            break;
        }
        let (better, worse) = if rate[EXCHANGE] >= rate[LNS] { (EXCHANGE, LNS) } else { (LNS, EXCHANGE) };
        let pick = if opts.lns_rounds.is_some() {
            LNS
        } else if rate[EXCHANGE] == rate[LNS] {
            // Neither gained in its last turn (or neither has run): take turns, so that the
            // search whose turns are short does not get four of every five.
            last.map_or(EXCHANGE, |l| 1 - l)
        } else if turn % 5 == 4 {
            worse
        } else {
            better
        };
        let (t0, before) = (Instant::now(), track.objective());
        last = Some(pick);
        if pick == EXCHANGE {
            if rate.iter().all(|r| *r == 0.0) {
                // A stalled phase: the cooled search settles in a third of a second without a
                // gain, so it starts again at a calibrated temperature. On Curtois Instance12
                // (optimum 4040, 60 s) runs sat on 4152 or 4157, two uncovered shifts too many,
                // from about 30 s to the end; re-heated turns took seed 1 from 4354 to 4159 at
                // 33.5 s and seed 3 from 4262 to 4169 at 37.7 s, which LNS then took to 4057 and
                // 4066. Seeds 0–11 ended within 1 % in 10 of 12 runs, against 8 of 12 without
                // (BENCHMARKS.md). A phase still gaining keeps cooling: metro large gained from
                // resuming at the cooled temperature.
                if let Some(search) = exchanger.as_mut() {
                    search.reheat();
                }
            }
            exchange(ix, exchanger, opts.seed.wrapping_add(turn), t0 + turn_length.min(left), track, cancel);
        } else if let Some(inc) = track.best.take() {
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
        let gain = before.zip(track.objective()).map_or(0, |(b, a)| b - a);
        tracing::trace!(
            turn,
            search = if pick == EXCHANGE { "exchange" } else { "lns" },
            gain,
            seconds = t0.elapsed().as_secs_f64(),
            drivers = ix.drivers(),
            at = track.started.elapsed().as_secs_f64(),
            "final turn"
        );
        rate[pick] = gain as f64 / t0.elapsed().as_secs_f64().max(1e-3);
    }
    Ok(())
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
