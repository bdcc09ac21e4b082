//! The account vocabulary: roles, usernames and passwords, validated once where they enter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Shortest and longest username, in characters.
pub const USERNAME_LENGTH: std::ops::RangeInclusive<usize> = 3..=64;
/// Shortest new password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest new password, in bytes: bcrypt ignores everything after the 72nd byte, so a longer one
/// would be accepted with a silently truncated meaning.
pub const PASSWORD_MAX_BYTES: usize = 72;

/// Why an account field is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// The username is too short or too long.
    #[error("must be {min} to {max} characters", min = USERNAME_LENGTH.start(), max = USERNAME_LENGTH.end())]
    UsernameLength,
    /// The username has a character outside the allowed set.
    #[error("may contain only letters a-z, digits, '.', '_' and '-', and must start with a letter or digit")]
    UsernameCharset,
    /// The password is too short.
    #[error("must be at least {PASSWORD_MIN_CHARS} characters")]
    PasswordTooShort,
    /// The password is too long for bcrypt.
    #[error("must be at most {PASSWORD_MAX_BYTES} bytes")]
    PasswordTooLong,
    /// The password has a control character (usually a paste accident: a newline or a tab).
    #[error("must not contain control characters")]
    PasswordControlCharacter,
    /// Not one of the roles.
    #[error("unknown role {0:?}; expected admin, planner, dispatcher, payroll or analyst")]
    UnknownRole(String),
}

impl AccountError {
    /// The request field this error is about.
    pub fn field(&self) -> &'static str {
        match self {
            AccountError::UsernameLength | AccountError::UsernameCharset => "username",
            AccountError::PasswordTooShort | AccountError::PasswordTooLong | AccountError::PasswordControlCharacter => {
                "password"
            }
            AccountError::UnknownRole(_) => "role",
        }
    }
}

/// What a user may do; the endpoints of each role are in [`super::policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including managing users.
    Admin,
    /// Uploads scenarios, submits and cancels optimization jobs.
    Planner,
    /// Reviews and publishes rosters.
    Dispatcher,
    /// Reads cost forecasts.
    Payroll,
    /// Reads everything and runs benchmarks.
    Analyst,
}

impl Role {
    /// Every role, in the order of the documentation's tables.
    pub const ALL: [Role; 5] = [Role::Admin, Role::Planner, Role::Dispatcher, Role::Payroll, Role::Analyst];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Dispatcher => "dispatcher",
            Role::Payroll => "payroll",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<Role, AccountError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| AccountError::UnknownRole(s.to_string()))
    }
}

impl TryFrom<String> for Role {
    type Error = AccountError;
    fn try_from(s: String) -> Result<Role, AccountError> {
        s.parse()
    }
}

/// A valid username: 3–64 of `a-z 0-9 . _ -`, starting with a letter or digit. Input is lower-cased
/// first, so `Alice` and `alice` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Normalizes (lower case) and validates.
    pub fn parse(raw: &str) -> Result<Username, AccountError> {
        let name = raw.to_lowercase();
        if !USERNAME_LENGTH.contains(&name.chars().count()) {
            return Err(AccountError::UsernameLength);
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !starts_well || !name.chars().all(allowed) {
            return Err(AccountError::UsernameCharset);
        }
        Ok(Username(name))
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret as received (a login password, say): unchecked, and never shown by `Debug` or logs.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: String) -> Secret {
        Secret(s)
    }

    /// The secret itself, for hashing or verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A new password that meets the policy: at least 12 characters, at most 72 bytes (bcrypt's limit),
/// no control characters. Only new passwords are checked; a login compares whatever was typed.
#[derive(Clone)]
pub struct Password(Secret);

impl Password {
    /// Checks a new password against the policy.
    pub fn parse(raw: Secret) -> Result<Password, AccountError> {
        let s = raw.expose();
        if s.chars().count() < PASSWORD_MIN_CHARS {
            return Err(AccountError::PasswordTooShort);
        }
        if s.len() > PASSWORD_MAX_BYTES {
            return Err(AccountError::PasswordTooLong);
        }
        if s.chars().any(char::is_control) {
            return Err(AccountError::PasswordControlCharacter);
        }
        Ok(Password(raw))
    }

    /// The password as a secret, for hashing.
    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_checked_for_length_and_characters() {
        assert_eq!(Username::parse("Alice.Dispatch-2").map(|u| u.0), Ok("alice.dispatch-2".to_string()));
        assert_eq!(Username::parse("al"), Err(AccountError::UsernameLength));
        assert_eq!(Username::parse(&"a".repeat(65)), Err(AccountError::UsernameLength));
        assert_eq!(Username::parse("-alice"), Err(AccountError::UsernameCharset));
        assert_eq!(Username::parse("al ice"), Err(AccountError::UsernameCharset));
        assert_eq!(Username::parse("ålice"), Err(AccountError::UsernameCharset));
    }

    #[test]
    fn passwords_need_twelve_characters_and_fit_in_bcrypt() {
        let p = |s: &str| Password::parse(Secret::new(s.to_string())).map(|_| ());
        assert_eq!(p("short-pass1"), Err(AccountError::PasswordTooShort));
        assert_eq!(p("twelve chars"), Ok(()));
        assert_eq!(p(&"é".repeat(40)), Err(AccountError::PasswordTooLong), "80 bytes");
        assert_eq!(p("line\nbreak-in-it"), Err(AccountError::PasswordControlCharacter));
    }

    #[test]
    fn secrets_and_passwords_never_show_in_debug_output() {
        let s = Secret::new("hunter2-hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let p = Password::parse(s).expect("valid");
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!(matches!("root".parse::<Role>(), Err(AccountError::UnknownRole(_))));
    }
}
