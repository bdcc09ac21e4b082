//! The OpenAPI 3.1 document, generated from the handlers' annotations. A test keeps the committed
//! copy (`service/openapi.json`) identical to it.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, jobs, problem, reoptimize, rosters, scenarios, users, workflow};
use crate::db;
use crate::domain;

#[derive(OpenApi)]
#[openapi(
    info(title = "Metro roster platform", description = "Optimization jobs, rosters and cost forecasts for a metro's train drivers."),
    paths(
        scenarios::upload, scenarios::read, scenarios::list,
        jobs::submit, jobs::read, jobs::list, jobs::cancel, jobs::events::history, jobs::events::stream,
        rosters::read, rosters::export, rosters::cost_forecast,
        workflow::transition, workflow::edit, workflow::audit, reoptimize::reoptimize, reoptimize::diff,
        auth::login, auth::logout, auth::me, users::create, users::list, users::read, users::update,
    ),
    components(schemas(
        problem::Problem, problem::FieldProblem, domain::JobStatus, domain::JobTrigger, domain::JobOptions,
        scenarios::ScenarioView, jobs::SubmitJob, jobs::JobView, jobs::JobPage, db::progress::ProgressRow,
        rosters::RosterView, rosters::AssignmentView, rosters::ForecastView, rosters::DriverForecast,
        db::rosters::DriverSummaryRow, db::rosters::ForecastRow,
        workflow::TransitionRequest, workflow::WorkflowResult, workflow::CellChange, workflow::EditRequest,
        workflow::EditResult, workflow::ViolationView, db::audit::AuditRow,
        reoptimize::ReoptimizeRequest, reoptimize::AbsenceInput, reoptimize::PinInput, reoptimize::Window,
        reoptimize::RosterDiff, reoptimize::CellDiff,
        auth::LoginRequest, auth::LoginResponse, crate::identity::Principal, crate::identity::Role,
        users::UserView, users::CreateUser, users::UpdateUser,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "scenarios"), (name = "jobs"), (name = "rosters"), (name = "workflow"), (name = "auth"), (name = "users"))
)]
struct ApiDoc;

/// Declares the bearer scheme that every `/v1` route but login requires (see the README's matrix).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        doc.components.get_or_insert_with(Default::default).add_security_scheme("bearer", scheme);
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_text() -> String {
    document().to_pretty_json().unwrap_or_default() + "\n"
}
