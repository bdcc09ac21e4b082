//! User accounts. Usernames arrive normalized ([`Username`]); passwords only as bcrypt hashes.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::UserId;
use crate::identity::{PasswordHash, Role, Username};

/// A user as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Normalized (lower-case) username.
    pub username: String,
    /// bcrypt hash of the password (its `Debug` is redacted).
    #[sqlx(try_from = "String")]
    pub password_hash: PasswordHash,
    /// Role.
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new user.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Id to store it under.
    pub id: UserId,
    /// Username.
    pub username: &'a Username,
    /// Hash of the initial password.
    pub password_hash: &'a PasswordHash,
    /// Role.
    pub role: Role,
}

const COLUMNS: &str = "id, username, password_hash, role, disabled, created_at, updated_at";

/// Stores a new user; a taken username violates `users_username_unique` (a 409 in the API).
pub async fn insert(pool: &PgPool, u: &NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    ))
    .bind(u.id)
    .bind(u.username.as_str())
    .bind(u.password_hash.as_str())
    .bind(u.role.as_str())
    .fetch_one(pool)
    .await
}

/// A user by id.
pub async fn get(pool: &PgPool, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")).bind(id).fetch_optional(pool).await
}

/// A user by id, locked until the end of the transaction.
pub async fn get_for_update(conn: &mut PgConnection, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1 FOR UPDATE")).bind(id).fetch_optional(conn).await
}

/// A user by (normalized) username.
pub async fn by_username(pool: &PgPool, username: &Username) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username.as_str())
        .fetch_optional(pool)
        .await
}

/// Users by username, `limit` of them, after `after` when given (keyset pagination).
pub async fn list(pool: &PgPool, limit: i64, after: Option<&str>) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE ($1::text IS NULL OR username > $1) ORDER BY username LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Locks the enabled admins' rows until the end of the transaction and counts them. Changes that
/// could remove the last admin take this lock first, so two admins demoting each other at once
/// are serialized and the second sees the first's change.
pub async fn lock_enabled_admins(conn: &mut PgConnection) -> Result<usize, sqlx::Error> {
    let ids: Vec<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE role = 'admin' AND NOT disabled FOR UPDATE")
        .fetch_all(conn)
        .await?;
    Ok(ids.len())
}

/// Changes a user's role and/or disabled flag; `None` leaves a field as it is.
pub async fn update(
    conn: &mut PgConnection,
    id: UserId,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE users SET role = COALESCE($2, role), disabled = COALESCE($3, disabled), updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(role.map(Role::as_str))
    .bind(disabled)
    .fetch_optional(conn)
    .await
}
