//! End-to-end tests of the job service: the real app on port 0, a fresh PostgreSQL database per
//! test, real workers (in-process, or `roster worker` processes for the crash tests).

mod auth;
mod helpers;
mod jobs;
mod malformed;
mod openapi;
mod queue;
mod rate_limit;
mod rollout;
mod scenarios;
mod workflow;
