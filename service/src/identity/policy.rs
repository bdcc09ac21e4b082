//! The role × endpoint matrix: the one place that says who may call what.
//!
//! Every `/v1` route has a [`Rule`] in [`RULES`]; the API's guard looks the matched route up here
//! and refuses what is not granted. A `/v1` route missing from the table is refused to everyone
//! (403, logged as an error): forgetting a row fails closed. The README's table is
//! [`markdown_table`]'s output, and a test keeps the two identical.

use super::account::Role;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a session; rate-limited per client address (login).
    Anonymous,
    /// Any logged-in user, whatever the role.
    AnyRole,
    /// Logged-in users with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a logged-in user with `role` may call the route.
    pub fn admits(self, role: Role) -> bool {
        match self {
            Access::Anonymous | Access::AnyRole => true,
            Access::Roles(roles) => roles.contains(&role),
        }
    }
}

/// One row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// HTTP method (`HEAD` is checked as `GET`).
    pub method: &'static str,
    /// Route template, exactly as registered with axum (`/v1/jobs/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

use Role::{Admin, Analyst, Dispatcher, Payroll, Planner};

/// Users.
const ADMINS: Access = Access::Roles(&[Admin]);
/// Changing the planning inputs: scenarios and jobs.
const PLANNING: Access = Access::Roles(&[Admin, Planner]);
/// Reading scenarios and rosters: the planners who make them, the dispatchers who review them.
const PLAN_READERS: Access = Access::Roles(&[Admin, Planner, Dispatcher, Analyst]);
/// Reading optimization jobs and their progress.
const JOB_READERS: Access = Access::Roles(&[Admin, Planner, Analyst]);
/// Reviewing rosters: lifecycle transitions and edits of assignments.
const REVIEWERS: Access = Access::Roles(&[Admin, Dispatcher]);
/// Re-optimizing after a disruption: the planners, and the dispatchers who handle the day's disruptions.
const REPLANNERS: Access = Access::Roles(&[Admin, Planner, Dispatcher]);
/// Reading cost forecasts.
const COST_READERS: Access = Access::Roles(&[Admin, Planner, Payroll, Analyst]);

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule { method, path, access }
}

/// The matrix. Routes outside `/v1` (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`) are public
/// and not listed.
pub static RULES: &[Rule] = &[
    rule("POST", "/v1/auth/login", Access::Anonymous),
    rule("POST", "/v1/auth/logout", Access::AnyRole),
    rule("GET", "/v1/auth/me", Access::AnyRole),
    rule("POST", "/v1/users", ADMINS),
    rule("GET", "/v1/users", ADMINS),
    rule("GET", "/v1/users/{id}", ADMINS),
    rule("PATCH", "/v1/users/{id}", ADMINS),
    rule("POST", "/v1/scenarios", PLANNING),
    rule("GET", "/v1/scenarios", PLAN_READERS),
    rule("GET", "/v1/scenarios/{id}", PLAN_READERS),
    rule("POST", "/v1/jobs", PLANNING),
    rule("GET", "/v1/jobs", JOB_READERS),
    rule("GET", "/v1/jobs/{id}", JOB_READERS),
    rule("POST", "/v1/jobs/{id}/cancel", PLANNING),
    rule("GET", "/v1/jobs/{id}/events", JOB_READERS),
    rule("GET", "/v1/jobs/{id}/progress", JOB_READERS),
    rule("GET", "/v1/rosters/{id}", PLAN_READERS),
    rule("GET", "/v1/rosters/{id}/export", PLAN_READERS),
    rule("GET", "/v1/rosters/{id}/cost-forecast", COST_READERS),
    rule("POST", "/v1/rosters/{id}/transitions", REVIEWERS),
    rule("PATCH", "/v1/rosters/{id}/assignments", REVIEWERS),
    rule("GET", "/v1/rosters/{id}/audit", PLAN_READERS),
    rule("POST", "/v1/rosters/{id}/reoptimize", REPLANNERS),
    rule("GET", "/v1/rosters/{id}/diff", PLAN_READERS),
];

/// The rule of `method` on the route template `path`.
pub fn rule_for(method: &str, path: &str) -> Option<&'static Rule> {
    let method = if method == "HEAD" { "GET" } else { method };
    RULES.iter().find(|r| r.method == method && r.path == path)
}

/// Whether the matrix has a rule for `path` with any method (a request with another method is a
/// 405, not a missing rule).
pub fn knows_path(path: &str) -> bool {
    RULES.iter().any(|r| r.path == path)
}

/// The matrix as a Markdown table, for the README.
pub fn markdown_table() -> String {
    let mut out = String::from("| endpoint |");
    for r in Role::ALL {
        out.push_str(&format!(" {r} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&":-:|".repeat(Role::ALL.len()));
    out.push('\n');
    for rule in RULES {
        out.push_str(&format!("| `{} {}` |", rule.method, rule.path));
        for role in Role::ALL {
            let cell = match rule.access {
                Access::Anonymous => "public",
                _ if rule.access.admits(role) => "✓",
                _ => "",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_one_rule_and_admins_may_call_everything() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|b| (a.method, a.path) != (b.method, b.path)), "{a:?} twice");
            assert!(a.access.admits(Admin), "{a:?}");
        }
    }

    #[test]
    fn only_admins_manage_users_and_only_planners_change_plans() {
        let users = rule_for("POST", "/v1/users").expect("rule");
        assert!(Role::ALL.iter().all(|&r| users.access.admits(r) == (r == Admin)));
        let submit = rule_for("POST", "/v1/jobs").expect("rule");
        assert!(submit.access.admits(Planner) && !submit.access.admits(Analyst) && !submit.access.admits(Dispatcher));
        assert!(rule_for("GET", "/v1/rosters/{id}/cost-forecast").expect("rule").access.admits(Payroll));
        assert!(!rule_for("GET", "/v1/rosters/{id}").expect("rule").access.admits(Payroll));
        assert_eq!(rule_for("HEAD", "/v1/jobs"), rule_for("GET", "/v1/jobs"));
    }
}
