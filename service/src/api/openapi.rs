//! The OpenAPI 3.1 document, generated from the handlers' annotations. A test keeps the committed
//! copy (`service/openapi.json`) identical to it.

use utoipa::OpenApi;

use super::{jobs, problem, reoptimize, rosters, scenarios, workflow};
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
    ),
    components(schemas(
        problem::Problem, problem::FieldProblem, domain::JobStatus, domain::JobOptions,
        scenarios::ScenarioView, jobs::SubmitJob, jobs::JobView, jobs::JobPage, db::progress::ProgressRow,
        rosters::RosterView, rosters::AssignmentView, rosters::ForecastView, rosters::DriverForecast,
        db::rosters::DriverSummaryRow, db::rosters::ForecastRow,
        workflow::TransitionRequest, workflow::WorkflowResult, workflow::CellChange, workflow::EditRequest,
        workflow::EditResult, workflow::ViolationView, db::audit::AuditRow,
        reoptimize::ReoptimizeRequest, reoptimize::AbsenceInput, reoptimize::PinInput, reoptimize::Window,
        reoptimize::RosterDiff, reoptimize::CellDiff,
    )),
    tags((name = "scenarios"), (name = "jobs"), (name = "rosters"), (name = "workflow"))
)]
struct ApiDoc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_text() -> String {
    document().to_pretty_json().unwrap_or_default() + "\n"
}
