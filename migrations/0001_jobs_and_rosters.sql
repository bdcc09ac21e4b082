-- Scenarios, the optimization job queue, progress, and the rosters jobs produce.
-- Invariants are constraints here so that no code path can write a half-valid row; the service
-- maps each constraint name to a 4xx answer.

CREATE TABLE scenarios (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    -- The validated scenario in the native JSON format (DESIGN §3).
    body        jsonb NOT NULL,
    drivers     integer NOT NULL CHECK (drivers >= 0),
    days        integer NOT NULL CHECK (days > 0),
    start_date  date NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,
    scenario_id       uuid NOT NULL REFERENCES scenarios (id),
    -- queued → running → succeeded | failed | cancelled; running → queued when a worker hands it
    -- back at shutdown or its lease expires.
    status            text NOT NULL DEFAULT 'queued'
                      CONSTRAINT jobs_status_known
                      CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- Solver options as submitted (time limit, gap, threads, seed).
    options           jsonb NOT NULL,
    -- A roster to start from and to measure changes against (re-optimization).
    baseline_roster_id uuid,
    idempotency_key   text CONSTRAINT jobs_idempotency_key_unique UNIQUE,
    -- SHA-256 of the canonical request body, to tell a retry from a conflicting reuse of a key.
    request_hash      text NOT NULL,
    cancel_requested  boolean NOT NULL DEFAULT false,
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
    lease_owner       text,
    lease_expires_at  timestamptz,
    submitted_by      text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    -- The solver's status (optimal, feasible_at_limit, infeasible, no_solution_yet).
    solve_status      text,
    objective_cents   bigint,
    bound             double precision,
    gap               double precision,
    -- Why the job failed, or the infeasibility diagnosis.
    error             text,
    CONSTRAINT jobs_lease_held_while_running
        CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- The claim query scans queued jobs oldest first and running jobs by lease expiry.
CREATE INDEX jobs_queued ON jobs (created_at) WHERE status = 'queued';
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);

CREATE TABLE job_progress (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    elapsed_ms  bigint NOT NULL,
    phase       text NOT NULL,
    incumbent   double precision,
    bound       double precision,
    gap         double precision,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE rosters (
    id           uuid PRIMARY KEY,
    scenario_id  uuid NOT NULL REFERENCES scenarios (id),
    job_id       uuid REFERENCES jobs (id),
    -- Optimistic concurrency: bumped by every edit and transition; the ETag is derived from it.
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    status       text NOT NULL DEFAULT 'proposed'
                 CONSTRAINT rosters_status_known
                 CHECK (status IN ('draft', 'proposed', 'approved', 'published', 'rejected', 'superseded')),
    objective_cents bigint NOT NULL,
    hard_violations integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rosters_one_per_job ON rosters (job_id) WHERE job_id IS NOT NULL;
ALTER TABLE jobs ADD CONSTRAINT jobs_baseline_roster_fk FOREIGN KEY (baseline_roster_id) REFERENCES rosters (id);

CREATE TABLE assignments (
    roster_id  uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
    driver_id  text NOT NULL,
    day        integer NOT NULL CHECK (day >= 0),
    shift_id   text NOT NULL,
    PRIMARY KEY (roster_id, driver_id, day)
);

CREATE TABLE driver_summaries (
    roster_id        uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
    driver_id        text NOT NULL,
    shifts           integer NOT NULL,
    worked_minutes   bigint NOT NULL,
    overtime_minutes bigint NOT NULL,
    weekends_worked  integer NOT NULL,
    cost_cents       bigint NOT NULL,
    PRIMARY KEY (roster_id, driver_id)
);

-- Payroll's view: one row per driver and ISO week (or the part of it inside the horizon).
CREATE TABLE cost_forecasts (
    roster_id        uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
    driver_id        text NOT NULL,
    iso_year         integer NOT NULL,
    iso_week         integer NOT NULL CHECK (iso_week BETWEEN 1 AND 53),
    worked_minutes   bigint NOT NULL,
    regular_minutes  bigint NOT NULL,
    -- Overtime minutes per tier of the scenario's policy, in tier order.
    overtime_minutes bigint[] NOT NULL,
    night_minutes    bigint NOT NULL,
    sunday_holiday_minutes bigint NOT NULL,
    regular_cents    bigint NOT NULL,
    overtime_cents   bigint NOT NULL,
    premium_cents    bigint NOT NULL,
    PRIMARY KEY (roster_id, driver_id, iso_year, iso_week)
);
