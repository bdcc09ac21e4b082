//! PostgreSQL access, one module per aggregate; the schema is in `migrations/`.

pub mod absences;
pub mod outbox;
