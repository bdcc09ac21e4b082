//! One test app per test: a fresh database on the local PostgreSQL, the app on port 0, its own
//! Redis key prefix on the local Redis, and a client logged in as an admin.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use model::generate::{GeneratorParams, generate};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use service::app::Application;
use service::config::{Quota, Settings};
use service::db::users::NewUser;
use service::domain::UserId;
use service::identity::{Identity, Password, PasswordHasher, Role, Secret, Username};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The local server (DESIGN §7); `TEST_DATABASE_URL` overrides it.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_database() -> (String, String) {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{}/postgres", server_url())).await.expect("local PostgreSQL");
    admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create database");
    (format!("{}/{name}", server_url()), name)
}

/// Drops a test database (best effort: a leaked one is only disk space).
pub async fn drop_database(name: &str) {
    if let Ok(mut admin) = PgConnection::connect(&format!("{}/postgres", server_url())).await {
        let _ = admin.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await;
    }
}

/// Settings for tests: port 0, short leases, fast polling, the cheapest bcrypt, a Redis key prefix of
/// its own (parallel tests never share sessions or limits) and limits no polling loop reaches.
pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_string(),
        listen: "127.0.0.1:0".parse().expect("address"),
        lease: Duration::from_secs(3),
        poll_interval: Duration::from_millis(100),
        json_logs: false,
        // Events stay in the outbox: these tests have no broker (tests/events cover the relay).
        events: false,
        redis_url: std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        redis_key_prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
        bcrypt_cost: 4,
        api_rate_limit: Quota::per_minute(100_000),
        login_rate_limit: Quota::per_minute(10_000),
        ..Settings::default()
    }
}

/// The password of every user the helpers create.
pub const PASSWORD: &str = "correct horse battery staple";

/// A client that sends `token` as its bearer token.
pub fn client_with(token: &str) -> Client {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {token}")).expect("header"));
    Client::builder().default_headers(headers).build().expect("client")
}

/// A token for a session opened straight in Redis, for a user who need not exist in the database
/// (for apps on a schema from before the users table).
pub async fn mint_token(settings: &Settings, role: Role) -> String {
    let identity = Identity::new(settings).expect("identity");
    let (token, _) = identity.sessions.create(UserId::new(), &format!("minted-{role}"), role).await.expect("session");
    token.expose().to_string()
}

/// A running app.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The test's database.
    pub pool: PgPool,
    /// Its URL, for extra workers.
    pub database_url: String,
    /// HTTP client, logged in as an admin.
    pub client: Client,
    /// The app's settings (its Redis key prefix, limits).
    pub settings: Settings,
    db_name: String,
    /// Whether `stop` drops the database (not for a replica sharing another app's).
    owns_database: bool,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

/// Starts the app with `workers` in-process workers on a fresh database.
pub async fn spawn_app(workers: usize) -> TestApp {
    spawn_app_with(workers, |_| {}).await
}

/// Same, with settings adjusted by `tweak`.
pub async fn spawn_app_with(workers: usize, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, db_name) = fresh_database().await;
    let mut settings = test_settings(&database_url);
    tweak(&mut settings);
    let mut app = start(settings, workers, db_name, true).await;
    app.create_user("admin", Role::Admin).await;
    let token = app.login_token("admin").await;
    app.client = client_with(&token);
    app
}

/// Builds and runs the app on `settings`; the client is not logged in yet.
async fn start(settings: Settings, workers: usize, db_name: String, owns_database: bool) -> TestApp {
    let app = Application::build(settings.clone()).await.expect("app builds");
    let address = format!("http://{}", app.local_addr());
    let pool = app.pool().clone();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let server = tokio::spawn(async move {
        app.run(workers, stop).await.expect("app runs");
    });
    let database_url = settings.database_url.clone();
    TestApp {
        address,
        pool,
        database_url,
        client: Client::new(),
        settings,
        db_name,
        owns_database,
        shutdown,
        server: Some(server),
    }
}

impl TestApp {
    /// Stops the server and its workers (they hand their jobs back); the database stays.
    pub async fn shutdown_server(&mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(60), server).await.expect("graceful shutdown").expect("server");
        }
    }

    /// Stops the app and drops the database.
    pub async fn stop(mut self) {
        self.shutdown_server().await;
        self.pool.close().await;
        if self.owns_database {
            drop_database(&self.db_name).await;
        }
    }

    /// A second instance of this app (another replica): same database, same Redis and prefix, its
    /// own port; its client shares this app's admin session. Stop it before this app.
    pub async fn spawn_replica(&self) -> TestApp {
        let mut replica = start(self.settings.clone(), 0, self.db_name.clone(), false).await;
        replica.client = self.client.clone();
        replica
    }

    /// Creates a user with [`PASSWORD`] straight in the database.
    pub async fn create_user(&self, username: &str, role: Role) -> UserId {
        let username = Username::parse(username).expect("username");
        let password = Password::parse(Secret::new(PASSWORD.into())).expect("password");
        let hash = PasswordHasher::new(self.settings.bcrypt_cost).hash(&password).await.expect("hash");
        let new = NewUser { id: UserId::new(), username: &username, password_hash: &hash, role };
        service::db::users::insert(&self.pool, &new).await.expect("insert user").id
    }

    /// POSTs a login.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        let body = json!({"username": username, "password": password});
        Client::new().post(self.url("/v1/auth/login")).json(&body).send().await.expect("request")
    }

    /// Logs `username` in with [`PASSWORD`] and returns the token.
    pub async fn login_token(&self, username: &str) -> String {
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status(), 200, "login: {}", res.text().await.unwrap_or_default());
        res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string()
    }

    /// A client logged in as a new user with `role`.
    pub async fn client_as(&self, role: Role) -> Client {
        let username = format!("{role}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        self.create_user(&username, role).await;
        client_with(&self.login_token(&username).await)
    }

    /// Full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// POST JSON to `path`.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request")
    }

    /// Uploads `scenario` and returns its id.
    pub async fn upload(&self, scenario: &Value) -> String {
        let res = self.post_json("/v1/scenarios", scenario).await;
        assert_eq!(res.status(), 201, "upload: {}", res.text().await.unwrap_or_default());
        res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string()
    }

    /// Submits a job and returns its id.
    pub async fn submit(&self, scenario_id: &str, time_limit_secs: f64) -> String {
        let body = json!({"scenario_id": scenario_id, "options": {"time_limit_secs": time_limit_secs}});
        let res = self.post_json("/v1/jobs", &body).await;
        assert_eq!(res.status(), 202, "submit: {}", res.text().await.unwrap_or_default());
        res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string()
    }

    /// The job as the API shows it.
    pub async fn job(&self, id: &str) -> Value {
        self.get(&format!("/v1/jobs/{id}")).await.json().await.expect("json")
    }

    /// Polls the job until `done` holds for it, for at most `limit`.
    pub async fn wait_for_job(&self, id: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let job = self.job(id).await;
            if done(&job) {
                return job;
            }
            assert!(start.elapsed() < limit, "job {id} did not reach the expected state in {limit:?}: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the job has ended.
    pub async fn wait_until_ended(&self, id: &str) -> Value {
        self.wait_for_job(id, Duration::from_secs(120), |j| {
            matches!(j["status"].as_str(), Some("succeeded" | "failed" | "cancelled"))
        })
        .await
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&self.pool).await.expect("count")
    }
}

/// A small generated metro scenario (solves to optimality in about a second).
pub fn small_scenario(drivers: usize, days: usize, seed: u64) -> Value {
    let p = GeneratorParams {
        drivers,
        days,
        depots: 1,
        seed,
        start_date: NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
    };
    serde_json::to_value(generate(&p).expect("generator")).expect("json")
}

/// The bundled 50-driver dataset: big enough that a solve runs for its whole time limit.
pub fn metro_small() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/metro/small/scenario.json"))
        .expect("bundled dataset");
    serde_json::from_str(&text).expect("json")
}
