//! `roster bench jobs` and `roster bench api-load`: end-to-end throughput of the job service and API
//! latency under load from a second process.
//!
//! `jobs` creates a throwaway database, starts the app with N in-process workers, submits small
//! jobs all at once and measures jobs per minute until the queue drains; meanwhile it runs
//! `roster bench api-load` as a separate process against the same server (reads of jobs and
//! listings) and reports that process's latency percentiles.

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use model::generate::{GeneratorParams, generate};
use serde_json::{Value, json};
use service::app::Application;
use service::config::{Quota, Settings};
use service::db::users::NewUser;
use service::domain::UserId;
use service::identity::{Password, PasswordHasher, Role, Secret, Username};
use sqlx::{Connection, Executor, PgConnection};
use tokio_util::sync::CancellationToken;

/// Options of the two suites.
#[derive(Debug, Clone)]
pub struct JobsBench {
    /// Jobs to submit.
    pub jobs: usize,
    /// In-process workers.
    pub workers: usize,
    /// Drivers of the generated scenario each job solves.
    pub drivers: usize,
    /// Concurrent connections of the load process.
    pub concurrency: usize,
    /// Seconds the load process runs.
    pub load_secs: u64,
}

fn server_url() -> String {
    std::env::var("BENCH_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Runs the throughput benchmark.
pub fn run_jobs(b: &JobsBench) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let name = format!("roster_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url())).await.context("PostgreSQL")?;
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await?;
        let result = measure(b, &format!("{}/{name}", server_url())).await;
        admin.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await?;
        result
    })
}

async fn measure(b: &JobsBench, database_url: &str) -> anyhow::Result<ExitCode> {
    let settings = Settings {
        database_url: database_url.to_string(),
        listen: "127.0.0.1:0".parse()?,
        poll_interval: Duration::from_millis(50),
        // The load generator is one principal; the limiter still runs on every request, but must
        // not refuse: this measures latency, not the limit.
        api_rate_limit: Quota::per_minute(100_000_000),
        redis_key_prefix: format!("bench:{}:", uuid::Uuid::new_v4().simple()),
        // Events stay in the outbox: the benchmark measures the API and the workers, not Kafka.
        events: false,
        ..Settings::default()
    };
    let cost = settings.bcrypt_cost;
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let pool = app.pool().clone();
    let stop = CancellationToken::new();
    let server = tokio::spawn(app.run(b.workers, stop.clone()));
    let token = bench_user(&pool, cost, &base).await?;
    let client = authorized_client(&token)?;

    let params = GeneratorParams {
        drivers: b.drivers,
        days: 14,
        depots: 1,
        seed: 1,
        start_date: NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?,
    };
    let scenario = serde_json::to_value(generate(&params)?)?;
    let created: Value = client.post(format!("{base}/v1/scenarios")).json(&scenario).send().await?.json().await?;
    let scenario_id = created["id"].as_str().context("scenario id")?.to_string();

    // The second process: API reads while the workers solve.
    let load = Command::new(std::env::current_exe()?)
        .env("ROSTER_TOKEN", &token)
        .args(["bench", "api-load", "--url", &base, "--seconds", &b.load_secs.to_string()])
        .args(["--concurrency", &b.concurrency.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;

    let started = Instant::now();
    let body = json!({"scenario_id": scenario_id, "options": {"time_limit_secs": 30}});
    for _ in 0..b.jobs {
        let res = client.post(format!("{base}/v1/jobs")).json(&body).send().await?;
        anyhow::ensure!(res.status() == 202, "submit: {}", res.text().await?);
    }
    let submitted = started.elapsed();
    loop {
        let page: Value = client.get(format!("{base}/v1/jobs?status=succeeded&limit=200")).send().await?.json().await?;
        if page["items"].as_array().map_or(0, Vec::len) >= b.jobs {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(3600), "queue did not drain in an hour");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = started.elapsed();
    let load_out = tokio::task::spawn_blocking(move || load.wait_with_output()).await??;
    stop.cancel();
    server.await??;

    let per_min = b.jobs as f64 / drained.as_secs_f64() * 60.0;
    println!(
        "jobs: {} jobs of {} drivers × 14 days, {} worker(s): submitted in {:.2} s, all solved in {:.1} s = {:.1} jobs/min",
        b.jobs,
        b.drivers,
        b.workers,
        submitted.as_secs_f64(),
        drained.as_secs_f64(),
        per_min
    );
    print!("api-load (second process, during the run): {}", String::from_utf8_lossy(&load_out.stdout));
    Ok(ExitCode::SUCCESS)
}

/// A planner for the benchmark, logged in: the bearer token.
async fn bench_user(pool: &sqlx::PgPool, cost: u32, base: &str) -> anyhow::Result<String> {
    let password = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let hash = PasswordHasher::new(cost).hash(&Password::parse(Secret::new(password.clone()))?).await?;
    let username = Username::parse("bench-planner")?;
    let new = NewUser { id: UserId::new(), username: &username, password_hash: &hash, role: Role::Planner };
    service::db::users::insert(pool, &new).await?;
    // The server task may not be accepting yet: retry the login briefly.
    let body = json!({"username": "bench-planner", "password": password});
    for _ in 0..100 {
        if let Ok(res) = reqwest::Client::new().post(format!("{base}/v1/auth/login")).json(&body).send().await {
            let v: Value = res.json().await?;
            return v["token"].as_str().map(str::to_owned).context("login answered no token");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the server did not answer the login")
}

/// A client sending `Authorization: Bearer <token>`.
fn authorized_client(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
    Ok(reqwest::Client::builder().default_headers(headers).build()?)
}

/// Runs the load generator against `url` for `seconds`, printing one summary line. The bearer
/// token comes from `ROSTER_TOKEN` (tokens never go on a command line, where `ps` shows them).
pub fn run_load(url: &str, seconds: u64, concurrency: usize) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let token = std::env::var("ROSTER_TOKEN").context("ROSTER_TOKEN: a bearer token for the API")?;
        let client = authorized_client(&token)?;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let errors = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..concurrency.max(1))
            .map(|i| {
                let (client, url, errors) = (client.clone(), url.to_string(), errors.clone());
                tokio::spawn(async move {
                    let mut samples = Vec::new();
                    let mut last_job: Option<String> = None;
                    while Instant::now() < deadline {
                        // Alternate a listing and a single-job read, as a dashboard would.
                        let target = match (&last_job, samples.len() % 2) {
                            (Some(id), 1) => format!("{url}/v1/jobs/{id}"),
                            _ => format!("{url}/v1/jobs?limit=20"),
                        };
                        let t = Instant::now();
                        match client.get(&target).send().await {
                            Ok(res) if res.status().is_success() => {
                                let v: Value = res.json().await.unwrap_or(Value::Null);
                                samples.push(t.elapsed());
                                if let Some(id) = v["items"][i % 20]["id"].as_str().or(v["items"][0]["id"].as_str()) {
                                    last_job = Some(id.to_string());
                                }
                            }
                            _ => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    samples
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await?);
        }
        all.sort();
        let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)));
        let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
        println!(
            "{} requests in {seconds} s ({:.0}/s), {} errors, {} connections; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            all.len(),
            all.len() as f64 / seconds as f64,
            errors.load(Ordering::Relaxed),
            concurrency,
            ms(pct(0.5)),
            ms(pct(0.9)),
            ms(pct(0.99)),
            ms(all.last())
        );
        Ok(ExitCode::SUCCESS)
    })
}
