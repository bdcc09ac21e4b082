//! bcrypt on the blocking pool. A cost-12 hash takes a quarter of a second of CPU; run on the async
//! runtime it would stall every other request on that worker thread.

use std::fmt;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::IdentityError;
use super::account::{Password, Secret};

/// A stored bcrypt hash (modular crypt format). Not a secret in the way a password is, but an
/// offline-guessing target, so `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The hash as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for PasswordHash {
    fn from(s: String) -> PasswordHash {
        PasswordHash(s)
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashes and verifies passwords at one cost.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// A hash of a random password at `cost`, verified against when the user does not exist so
    /// that the answer takes as long as for a wrong password (no user enumeration by timing).
    dummy: Arc<OnceCell<PasswordHash>>,
}

impl PasswordHasher {
    /// A hasher at `cost` (12 in production; 4, the minimum, in tests).
    pub fn new(cost: u32) -> PasswordHasher {
        PasswordHasher { cost, dummy: Arc::new(OnceCell::new()) }
    }

    /// Hashes a new password with a fresh salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, IdentityError> {
        let secret = password.secret().clone();
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(secret.expose(), cost))
            .await
            .map_err(|e| IdentityError::Hashing(e.to_string()))?
            .map(PasswordHash)
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    }

    /// Whether `candidate` matches `hash` (bcrypt compares the digests in constant time).
    pub async fn verify(&self, candidate: &Secret, hash: &PasswordHash) -> Result<bool, IdentityError> {
        let secret = candidate.clone();
        let hash = hash.0.clone();
        tokio::task::spawn_blocking(move || bcrypt::verify(secret.expose(), &hash))
            .await
            .map_err(|e| IdentityError::Hashing(e.to_string()))?
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    }

    /// Spends one verification, as for a real user, and forgets the answer.
    pub async fn verify_dummy(&self, candidate: &Secret) -> Result<(), IdentityError> {
        let dummy = self.dummy_hash().await?;
        self.verify(candidate, &dummy).await.map(|_| ())
    }

    /// Computes the dummy hash ahead of the first login, so that the first unknown-user login is
    /// not twice as slow as the rest (which would be a timing signal of its own).
    pub async fn warm_up(&self) -> Result<(), IdentityError> {
        self.dummy_hash().await.map(|_| ())
    }

    async fn dummy_hash(&self) -> Result<PasswordHash, IdentityError> {
        self.dummy
            .get_or_try_init(|| async {
                let random = super::session::SessionToken::generate();
                let password = Password::parse(Secret::new(random.expose().chars().take(32).collect()))
                    .map_err(|e| IdentityError::Hashing(e.to_string()))?;
                self.hash(&password).await
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let h = PasswordHasher::new(4);
        let pw = Password::parse(Secret::new("correct horse battery".into())).expect("valid");
        let hash = h.hash(&pw).await.expect("hash");
        assert!(hash.as_str().starts_with("$2b$04$"));
        assert!(h.verify(pw.secret(), &hash).await.expect("verify"));
        assert!(!h.verify(&Secret::new("correct horse battery!".into()), &hash).await.expect("verify"));
        assert!(!format!("{hash:?}").contains("$2b$"));
        h.verify_dummy(&Secret::new("anything".into())).await.expect("dummy verify");
    }
}
