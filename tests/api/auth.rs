//! Identity end to end: logins, sessions in the local Redis, the role × endpoint matrix, user
//! administration, and the principal carried into what users create.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use service::identity::Role;
use service::identity::policy::{self, Access};

use crate::helpers::{PASSWORD, client_with, small_scenario, spawn_app, spawn_app_with};

async fn send(client: &Client, method: &str, url: &str) -> Response {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method.clone(), url);
    if method == Method::POST || method == Method::PATCH {
        req = req.json(&json!({}));
    }
    req.send().await.expect("request")
}

async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    res.json().await.expect("problem json")
}

#[tokio::test]
async fn each_role_is_allowed_exactly_the_endpoints_of_the_matrix_and_anonymous_callers_none() {
    let app = spawn_app(0).await;
    let mut clients = Vec::new();
    for role in Role::ALL {
        clients.push((role, app.client_as(role).await));
    }
    let anonymous = Client::new();
    let id = uuid::Uuid::new_v4().to_string();
    for rule in policy::RULES {
        // Logout would end the session the rest of the table needs; it has its own test.
        if rule.access == Access::Anonymous || rule.path == "/v1/auth/logout" {
            continue;
        }
        let url = app.url(&rule.path.replace("{id}", &id));
        let res = send(&anonymous, rule.method, &url).await;
        assert_eq!(res.status(), 401, "anonymous {} {}", rule.method, rule.path);
        for (role, client) in &clients {
            let status = send(client, rule.method, &url).await.status().as_u16();
            if rule.access.admits(*role) {
                assert!(![401, 403].contains(&status), "{role} may {} {} but got {status}", rule.method, rule.path);
            } else {
                assert_eq!(status, 403, "{role} may not {} {}", rule.method, rule.path);
            }
        }
    }
    // Operations endpoints stay public.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        assert_eq!(anonymous.get(app.url(path)).send().await.expect("request").status(), 200, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn every_documented_v1_operation_has_a_rule_and_every_rule_is_documented() {
    let doc: Value = serde_json::to_value(service::api::openapi::document()).expect("json");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if path.starts_with("/v1/") {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let ruled: BTreeSet<_> = policy::RULES.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    assert_eq!(documented, ruled);
}

#[tokio::test]
async fn the_readme_shows_the_matrix_as_enforced() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let table = policy::markdown_table();
    assert!(readme.contains(&table), "README.md lacks the current matrix; paste this table:\n{table}");
}

#[tokio::test]
async fn a_login_answers_a_token_that_names_the_user_and_logout_revokes_it() {
    let app = spawn_app(0).await;
    app.create_user("Dana.Dispatch", Role::Dispatcher).await;
    let res = app.login("DANA.dispatch", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], "dana.dispatch", "usernames are case-insensitive");
    assert!(body["user"].get("password_hash").is_none());
    let token = body["token"].as_str().expect("token");
    assert_eq!(token.len(), 64, "256 bits, hex");

    let client = client_with(token);
    let me: Value = client.get(app.url("/v1/auth/me")).send().await.expect("request").json().await.expect("json");
    assert_eq!(me["username"], "dana.dispatch");
    assert_eq!(me["role"], "dispatcher");
    assert!(me["session_id"].is_string());

    assert_eq!(client.post(app.url("/v1/auth/logout")).send().await.expect("request").status(), 204);
    problem(client.get(app.url("/v1/auth/me")).send().await.expect("request"), 401).await;
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_user_a_wrong_password_and_a_disabled_user_get_the_same_401() {
    let app = spawn_app(0).await;
    let id = app.create_user("pat.planner", Role::Planner).await;
    let wrong = problem(app.login("pat.planner", "not the password at all").await, 401).await;
    let unknown = problem(app.login("nobody.here", PASSWORD).await, 401).await;
    let malformed = problem(app.login("x", PASSWORD).await, 401).await;
    let patch = json!({"disabled": true});
    let res = app.client.patch(app.url(&format!("/v1/users/{id}"))).json(&patch).send().await.expect("request");
    assert_eq!(res.status(), 200);
    let disabled = problem(app.login("pat.planner", PASSWORD).await, 401).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, malformed);
    assert_eq!(wrong, disabled);
    app.stop().await;
}

#[tokio::test]
async fn expired_revoked_and_forged_tokens_are_refused() {
    let app = spawn_app_with(0, |s| s.session_idle = Duration::from_millis(1500)).await;
    app.create_user("ana.analyst", Role::Analyst).await;
    let me = |c: Client| {
        let url = app.url("/v1/auth/me");
        async move { c.get(url).send().await.expect("request").status().as_u16() }
    };

    // Sliding expiry: requests more often than the idle timeout keep the session alive.
    let active = client_with(&app.login_token("ana.analyst").await);
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(me(active.clone()).await, 200, "renewed by use");
    }
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(me(active).await, 401, "expired after the idle timeout");

    let revoked = client_with(&app.login_token("ana.analyst").await);
    revoked.post(app.url("/v1/auth/logout")).send().await.expect("request");
    assert_eq!(me(revoked).await, 401);

    let forged = hex_token();
    assert_eq!(me(client_with(&forged)).await, 401);
    let basic = Client::new().get(app.url("/v1/auth/me")).header("authorization", "Basic YWRtaW46YWRtaW4=");
    problem(basic.send().await.expect("request"), 401).await;
    app.stop().await;
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_lifetime_however_active() {
    let app = spawn_app_with(0, |s| s.session_max_lifetime = Duration::from_secs(1)).await;
    app.create_user("ana.analyst", Role::Analyst).await;
    let client = client_with(&app.login_token("ana.analyst").await);
    assert_eq!(client.get(app.url("/v1/auth/me")).send().await.expect("request").status(), 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(client.get(app.url("/v1/auth/me")).send().await.expect("request").status(), 401);
    app.stop().await;
}

fn hex_token() -> String {
    (0..4).map(|_| uuid::Uuid::new_v4().simple().to_string()).collect::<String>()[..64].to_string()
}

#[tokio::test]
async fn disabling_a_user_or_changing_their_role_revokes_all_their_sessions() {
    let app = spawn_app(0).await;
    let id = app.create_user("pat.planner", Role::Planner).await;
    let first = client_with(&app.login_token("pat.planner").await);
    let second = client_with(&app.login_token("pat.planner").await);
    let other = app.client_as(Role::Planner).await;
    let user_url = app.url(&format!("/v1/users/{id}"));

    let res = app.client.patch(&user_url).json(&json!({"disabled": true})).send().await.expect("request");
    assert_eq!(res.json::<Value>().await.expect("json")["disabled"], true);
    for c in [&first, &second] {
        assert_eq!(c.get(app.url("/v1/auth/me")).send().await.expect("request").status(), 401);
    }
    assert_eq!(other.get(app.url("/v1/auth/me")).send().await.expect("request").status(), 200, "others keep theirs");

    app.client.patch(&user_url).json(&json!({"disabled": false})).send().await.expect("request");
    let planner = client_with(&app.login_token("pat.planner").await);
    assert_eq!(planner.get(app.url("/v1/jobs")).send().await.expect("request").status(), 200);
    let res = app.client.patch(&user_url).json(&json!({"role": "payroll"})).send().await.expect("request");
    assert_eq!(res.json::<Value>().await.expect("json")["role"], "payroll");
    assert_eq!(planner.get(app.url("/v1/jobs")).send().await.expect("request").status(), 401, "old role's session");
    let payroll = client_with(&app.login_token("pat.planner").await);
    assert_eq!(payroll.get(app.url("/v1/jobs")).send().await.expect("request").status(), 403, "new role applies");
    app.stop().await;
}

#[tokio::test]
async fn admins_create_list_and_change_users_with_every_problem_named() {
    let app = spawn_app(0).await;
    let res = app
        .client
        .post(app.url("/v1/users"))
        .json(&json!({"username": "Carl", "password": PASSWORD, "role": "payroll"}));
    let res = res.send().await.expect("request");
    assert_eq!(res.status(), 201);
    assert!(res.headers()["location"].to_str().expect("location").starts_with("/v1/users/"));
    let carl: Value = res.json().await.expect("json");
    assert_eq!(carl["username"], "carl");
    assert_eq!(carl["role"], "payroll");
    assert_eq!(app.login_token("carl").await.len(), 64);

    let taken =
        app.client.post(app.url("/v1/users")).json(&json!({"username": "CARL", "password": PASSWORD, "role": "admin"}));
    problem(taken.send().await.expect("request"), 409).await;
    let bad =
        app.client.post(app.url("/v1/users")).json(&json!({"username": "c d", "password": "short", "role": "admin"}));
    let p = problem(bad.send().await.expect("request"), 422).await;
    let paths: Vec<_> = p["errors"].as_array().expect("errors").iter().map(|e| e["path"].clone()).collect();
    assert_eq!(paths, [json!("username"), json!("password")]);
    let bad_role =
        app.client.post(app.url("/v1/users")).json(&json!({"username": "eve", "password": PASSWORD, "role": "root"}));
    problem(bad_role.send().await.expect("request"), 422).await;

    let users: Value = app.client.get(app.url("/v1/users")).send().await.expect("request").json().await.expect("json");
    let names: Vec<_> = users.as_array().expect("users").iter().map(|u| u["username"].as_str().unwrap_or("")).collect();
    assert_eq!(names, ["admin", "carl"]);
    let page: Value = app
        .client
        .get(app.url("/v1/users?limit=1&after=admin"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(page[0]["username"], "carl");

    // The last enabled admin can neither be disabled nor demoted.
    let admin_id = users[0]["id"].as_str().expect("id");
    let url = app.url(&format!("/v1/users/{admin_id}"));
    problem(app.client.patch(&url).json(&json!({"disabled": true})).send().await.expect("request"), 409).await;
    problem(app.client.patch(&url).json(&json!({"role": "analyst"})).send().await.expect("request"), 409).await;
    problem(app.client.patch(&url).json(&json!({})).send().await.expect("request"), 422).await;
    let missing = app.url(&format!("/v1/users/{}", uuid::Uuid::new_v4()));
    problem(app.client.patch(&missing).json(&json!({"disabled": true})).send().await.expect("request"), 404).await;
    app.stop().await;
}

#[tokio::test]
async fn scenarios_and_jobs_name_the_user_who_uploaded_and_submitted_them() {
    let app = spawn_app(0).await;
    app.create_user("pat.planner", Role::Planner).await;
    let planner = client_with(&app.login_token("pat.planner").await);
    let res = planner.post(app.url("/v1/scenarios")).json(&small_scenario(4, 7, 1)).send().await.expect("request");
    let scenario: Value = res.json().await.expect("json");
    assert_eq!(scenario["created_by"], "pat.planner");
    let body = json!({"scenario_id": scenario["id"], "options": {"time_limit_secs": 5}});
    let job: Value =
        planner.post(app.url("/v1/jobs")).json(&body).send().await.expect("request").json().await.expect("json");
    assert_eq!(job["submitted_by"], "pat.planner");
    app.stop().await;
}

#[tokio::test]
async fn the_user_command_creates_the_first_admin_who_can_then_log_in() {
    let app = spawn_app(0).await;
    let run = |username: &str| {
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["user", "create", "--username", username, "--role", "admin"])
            .env("DATABASE_URL", &app.database_url)
            .env("ROSTER_BCRYPT_COST", "4")
            .env("ROSTER_PASSWORD", PASSWORD)
            .output()
            .expect("roster binary")
    };
    let out = run("Root.Admin");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PASSWORD), "the password is never printed");
    let me: Value = client_with(&app.login_token("root.admin").await)
        .get(app.url("/v1/auth/me"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "admin");
    let again = run("root.admin");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("taken"));
    app.stop().await;
}
