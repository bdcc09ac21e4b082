//! Identity: who is calling and what they may do (DESIGN §5).
//!
//! * [`account`]: the account vocabulary, checked once at the edge: [`Role`], [`Username`],
//!   [`Password`] (a policy-checked new password) and [`Secret`] (any secret as received, e.g. a
//!   login password, whose `Debug` never shows it).
//! * [`password`]: bcrypt hashing and verification on the blocking pool, and the dummy verification
//!   that makes a login for an unknown user cost as much as one with a wrong password.
//! * [`session`]: sessions in Redis. Login issues an opaque 256-bit token; Redis stores only its
//!   SHA-256, with a sliding idle TTL and an absolute lifetime, plus a per-user set so that all of a
//!   user's sessions can be revoked at once. A session resolves to a [`Principal`].
//! * [`policy`]: the role × endpoint matrix, the one place that says who may call what.
//! * [`rate_limit`]: GCRA in Redis through one atomic Lua script on the Redis clock, so that any
//!   number of replicas together admit no more than the limit.
//!
//! Users themselves are rows in PostgreSQL ([`crate::db::users`]); the HTTP side (login, the guard
//! middleware, the admin API) is in [`crate::api::auth`] and [`crate::api::users`].

pub mod account;
pub mod password;
pub mod policy;
pub mod rate_limit;
pub mod session;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use account::{AccountError, Password, Role, Secret, Username};
pub use password::{PasswordHash, PasswordHasher};
pub use rate_limit::{Decision, RateLimiter};
pub use session::{Principal, SessionStore, SessionToken};

use crate::config::Settings;

/// Why an identity operation failed (as opposed to being refused).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A stored session could not be read back (written by an incompatible version?).
    #[error("stored session is unreadable: {0}")]
    CorruptSession(#[from] serde_json::Error),
    /// bcrypt failed (a malformed stored hash, or the blocking task died).
    #[error("password hashing: {0}")]
    Hashing(String),
}

/// The identity services of one process: sessions, rate limiting and password hashing.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Sessions in Redis.
    pub sessions: SessionStore,
    /// The distributed rate limiter.
    pub limiter: RateLimiter,
    /// bcrypt at the configured cost.
    pub passwords: PasswordHasher,
}

impl Identity {
    /// Builds the services without connecting: Redis is connected on first use and reconnected by
    /// the connection manager, so the server starts (and `/healthz` answers) while Redis is down.
    pub fn new(settings: &Settings) -> Result<Identity, IdentityError> {
        let client = redis::Client::open(settings.redis_url.as_str())?;
        // Bounded waits: a request must fail (and the limiter fail open) rather than hang on Redis.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let redis = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Identity {
            sessions: SessionStore::new(redis.clone(), settings),
            limiter: RateLimiter::new(redis, &settings.redis_key_prefix),
            passwords: PasswordHasher::new(settings.bcrypt_cost),
        })
    }
}
