//! Distributed rate limiting: GCRA (the generic cell rate algorithm) in Redis.
//!
//! GCRA keeps one number per key, the theoretical arrival time (TAT) of the next request if requests
//! came exactly at the sustained rate. A request at `now` is admitted when `TAT + T − τ <= now`,
//! with `T = period / limit` and `τ = period` (a burst of `limit`), and then `TAT = max(TAT, now) + T`.
//! The check and the update are one Lua script, so Redis runs them atomically; the script reads the
//! clock from Redis (`TIME`), so replicas with skewed clocks still share one timeline. Together, any
//! number of replicas admit no more than the limit.

use std::sync::Arc;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use crate::config::Quota;

/// The GCRA step. KEYS[1]: the TAT (µs on the Redis clock). ARGV[1]: T (µs). ARGV[2]: τ (µs).
/// Returns {admitted (0/1), remaining, retry after (µs), reset (µs until the bucket is full)}.
/// Times are microseconds since 1970, below 2^53, so Lua's doubles hold them exactly.
const GCRA: &str = r"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, new_tat - now}
";

/// The limiter's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The request may proceed.
    pub admitted: bool,
    /// The quota's limit (`RateLimit-Limit`).
    pub limit: u32,
    /// Requests still admitted right now (`RateLimit-Remaining`).
    pub remaining: u32,
    /// When refused: how long until a request would be admitted (`Retry-After`).
    pub retry_after: Duration,
    /// How long until the full burst is available again (`RateLimit-Reset`).
    pub reset: Duration,
}

impl Decision {
    /// Whole seconds until a retry is admitted, rounded up (at least 1 when refused): rounding
    /// down would send clients back too early, into another 429.
    pub fn retry_after_secs(&self) -> u64 {
        if self.admitted { 0 } else { ceil_secs(self.retry_after).max(1) }
    }

    /// Whole seconds until the quota is full again, rounded up.
    pub fn reset_secs(&self) -> u64 {
        ceil_secs(self.reset)
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_micros().div_ceil(1_000_000) as u64
}

/// A GCRA limiter shared by every replica through Redis.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    redis: ConnectionManager,
    prefix: String,
    script: Arc<Script>,
}

impl RateLimiter {
    /// A limiter whose keys are `<prefix>rl:<key>`.
    pub fn new(redis: ConnectionManager, prefix: &str) -> RateLimiter {
        RateLimiter { redis, prefix: prefix.to_string(), script: Arc::new(Script::new(GCRA)) }
    }

    /// Counts one request against `key` under `quota` (EVALSHA, loading the script on first use).
    pub async fn check(&self, key: &str, quota: Quota) -> Result<Decision, redis::RedisError> {
        let limit = quota.limit.max(1);
        let tolerance = (quota.period.as_micros() as u64).max(1);
        let interval = (tolerance / u64::from(limit)).max(1);
        let mut conn = self.redis.clone();
        let (admitted, remaining, retry_us, reset_us): (i64, i64, i64, i64) = self
            .script
            .key(format!("{}rl:{key}", self.prefix))
            .arg(interval)
            .arg(tolerance)
            .invoke_async(&mut conn)
            .await?;
        Ok(Decision {
            admitted: admitted == 1,
            limit,
            remaining: remaining.clamp(0, i64::from(limit)) as u32,
            retry_after: Duration::from_micros(retry_us.max(0) as u64),
            reset: Duration::from_micros(reset_us.max(0) as u64),
        })
    }
}
