//! `roster user`: account administration from the command line, chiefly creating the first admin
//! (after which admins manage users over the API).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use service::config::Settings;
use service::db;
use service::db::users::NewUser;
use service::domain::UserId;
use service::identity::{Password, PasswordHasher, Role, Secret, Username};

/// What `roster user` does.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from ROSTER_PASSWORD, or is read from standard input.
    Create(CreateArgs),
}

/// Arguments of `roster user create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Username: 3-64 of a-z 0-9 . _ - (upper case is folded).
    #[arg(long)]
    username: String,
    /// Role: admin, planner, dispatcher, payroll or analyst.
    #[arg(long)]
    role: Role,
}

/// Runs a `roster user` subcommand.
pub fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Create(args) => create(args),
    }
}

/// The password from `ROSTER_PASSWORD`, else one line of standard input (prompted on a terminal).
fn read_password() -> anyhow::Result<Secret> {
    if let Ok(p) = std::env::var("ROSTER_PASSWORD") {
        return Ok(Secret::new(p));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for the new user (visible as you type; set ROSTER_PASSWORD to avoid): ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n']).to_string()))
}

fn create(args: CreateArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let username = Username::parse(&args.username).map_err(|e| anyhow::anyhow!("--username: {e}"))?;
    let password = Password::parse(read_password()?).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let pool = db::pool(&settings.database_url, 1)?;
        if settings.migrate_on_start {
            db::migrate(&pool).await?;
        }
        let hash = PasswordHasher::new(settings.bcrypt_cost).hash(&password).await?;
        let new = NewUser { id: UserId::new(), username: &username, password_hash: &hash, role: args.role };
        let user = db::users::insert(&pool, &new).await.map_err(|e| match e.as_database_error() {
            Some(db) if db.constraint() == Some("users_username_unique") => {
                anyhow::anyhow!("the username {username} is taken")
            }
            _ => anyhow::Error::from(e),
        })?;
        println!("created {} user {} ({})", user.role, user.username, user.id);
        Ok(ExitCode::SUCCESS)
    })
}
