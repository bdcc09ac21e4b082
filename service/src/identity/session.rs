//! Sessions in Redis.
//!
//! Keys (all under the configured prefix):
//!
//! * `session:<sha256 of token>` → the session as JSON, with a sliding idle TTL. Redis never sees
//!   the token itself, so a dump of Redis (or a `MONITOR` session) yields nothing to log in with.
//! * `user:<user id>:sessions` → set of the token digests of that user's sessions, so that disabling
//!   a user revokes every session in one atomic script.

use std::fmt;
use std::time::Duration;

use chrono::Utc;
use rand::RngCore;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use super::IdentityError;
use super::account::Role;
use crate::config::Settings;
use crate::domain::UserId;

/// Bytes of randomness in a token: 256 bits, beyond guessing.
const TOKEN_BYTES: usize = 32;

/// The opaque bearer token of a session. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh token from the operating system's CSPRNG (via the thread-local ChaCha generator it
    /// seeds), hex-encoded.
    pub fn generate() -> SessionToken {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        SessionToken(hex::encode(bytes))
    }

    /// A token as presented by a client (not checked: an unknown one simply resolves to nothing).
    pub fn from_presented(s: &str) -> SessionToken {
        SessionToken(s.to_string())
    }

    /// The token, to hand to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest under which Redis knows the token. SHA-256 without salt suffices: the token has
    /// 256 bits of entropy, so there is no dictionary to precompute.
    fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

impl Serialize for SessionToken {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Who is calling: resolved from the session by the API's guard and carried into request spans,
/// jobs and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// Their username (the `actor` of logs and the `submitted_by` of jobs).
    pub username: String,
    /// Their role when the session began; changing a role revokes the user's sessions.
    pub role: Role,
    /// The session: safe to log, unlike the token.
    pub session_id: Uuid,
}

/// A session as stored in Redis.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    #[serde(flatten)]
    principal: Principal,
    /// Login time (Unix seconds), for the absolute lifetime.
    created_at: i64,
    /// The token digest the session was stored under.
    digest: String,
}

/// Revokes every session in a user's set and the set, atomically: a session created concurrently
/// is either in the set when the script runs (and revoked) or added afterwards (to a fresh set).
/// The session keys are derived from the set's members, so this is for a single Redis node (or a
/// cluster with the prefix as hash tag), which is what DESIGN §5 deploys.
const REVOKE_ALL: &str = r"
local revoked = 0
for _, digest in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  revoked = revoked + redis.call('DEL', ARGV[1] .. digest)
end
redis.call('DEL', KEYS[1])
return revoked
";

/// Sessions of all users, in Redis.
#[derive(Debug, Clone)]
pub struct SessionStore {
    redis: ConnectionManager,
    prefix: String,
    idle: Duration,
    max_lifetime: Duration,
    revoke_all: Script,
}

impl SessionStore {
    /// A store on `redis` with the settings' prefix and lifetimes.
    pub fn new(redis: ConnectionManager, settings: &Settings) -> SessionStore {
        SessionStore {
            redis,
            prefix: settings.redis_key_prefix.clone(),
            idle: settings.session_idle,
            max_lifetime: settings.session_max_lifetime,
            revoke_all: Script::new(REVOKE_ALL),
        }
    }

    /// How long a session lasts without a request.
    pub fn idle_timeout(&self) -> Duration {
        self.idle
    }

    fn session_key(&self, digest: &str) -> String {
        format!("{}session:{digest}", self.prefix)
    }

    fn user_key(&self, user: UserId) -> String {
        format!("{}user:{user}:sessions", self.prefix)
    }

    /// Starts a session for a user whose password was just verified; returns its token (the only
    /// copy) and its principal.
    pub async fn create(
        &self,
        user_id: UserId,
        username: &str,
        role: Role,
    ) -> Result<(SessionToken, Principal), IdentityError> {
        let token = SessionToken::generate();
        let digest = token.digest();
        let principal = Principal { user_id, username: username.to_string(), role, session_id: Uuid::new_v4() };
        let stored =
            StoredSession { principal: principal.clone(), created_at: Utc::now().timestamp(), digest: digest.clone() };
        let json = serde_json::to_string(&stored)?;
        let user_key = self.user_key(user_id);
        let mut conn = self.redis.clone();
        // One transaction, so that a session never exists outside its user's set (where revoke-all
        // could not find it).
        let _: () = redis::pipe()
            .atomic()
            .set_options(
                self.session_key(&digest),
                json,
                redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(millis(self.idle))),
            )
            .ignore()
            .sadd(&user_key, &digest)
            .ignore()
            .pexpire(&user_key, millis(self.max_lifetime) as i64)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok((token, principal))
    }

    /// The principal of a live session, renewing its idle TTL (sliding expiry); `None` for an
    /// unknown, expired or revoked token.
    pub async fn resolve(&self, token: &SessionToken) -> Result<Option<Principal>, IdentityError> {
        let digest = token.digest();
        let key = self.session_key(&digest);
        let mut conn = self.redis.clone();
        let json: Option<String> =
            redis::cmd("GETEX").arg(&key).arg("PX").arg(millis(self.idle)).query_async(&mut conn).await?;
        let Some(json) = json else { return Ok(None) };
        let stored: StoredSession = serde_json::from_str(&json)?;
        // Defence in depth, in constant time: the record must name the digest it was found under,
        // so a record written under the wrong key (a prefix collision, a bad restore) never logs
        // anyone in.
        if !bool::from(stored.digest.as_bytes().ct_eq(digest.as_bytes())) {
            tracing::error!(session_id = %stored.principal.session_id, "session stored under a foreign key; refused");
            return Ok(None);
        }
        if Utc::now().timestamp() - stored.created_at > self.max_lifetime.as_secs() as i64 {
            let _: () = conn.del(&key).await?;
            return Ok(None);
        }
        Ok(Some(stored.principal))
    }

    /// Ends one session; whether it was live.
    pub async fn revoke(&self, token: &SessionToken, user_id: UserId) -> Result<bool, IdentityError> {
        let digest = token.digest();
        let mut conn = self.redis.clone();
        let (deleted, _): (i64, i64) = redis::pipe()
            .atomic()
            .del(self.session_key(&digest))
            .srem(self.user_key(user_id), &digest)
            .query_async(&mut conn)
            .await?;
        Ok(deleted > 0)
    }

    /// Ends every session of a user; how many were live.
    pub async fn revoke_all(&self, user_id: UserId) -> Result<u64, IdentityError> {
        let mut conn = self.redis.clone();
        let revoked: u64 = self
            .revoke_all
            .key(self.user_key(user_id))
            .arg(format!("{}session:", self.prefix))
            .invoke_async(&mut conn)
            .await?;
        Ok(revoked)
    }
}

/// Whole milliseconds, at least 1 (Redis refuses a zero TTL).
fn millis(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_never_shown_in_debug_output() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(a.expose()));
        assert_ne!(a.digest(), a.expose(), "Redis sees the digest, not the token");
    }
}
