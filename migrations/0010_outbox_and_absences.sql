-- Events (DESIGN §6): the transactional outbox for what we publish, and the state the HR absence
-- consumer keeps so that it applies each absence once.

-- Every event others must hear about is written here in the same transaction as the state change
-- it describes; the relay publishes rows in id order and stamps sent_at after the broker's ack.
-- Writers update the entity's row before they enqueue, so the entity's row lock orders the ids of
-- one key and the relay's id order is the per-key order.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL CONSTRAINT outbox_event_id_unique UNIQUE,
    topic       text NOT NULL,
    -- The Kafka message key: the entity id, so one entity's events share a partition and stay in order.
    key         text NOT NULL,
    -- The whole envelope {event_id, type, version, occurred_at, actor, trace_id, data}.
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    -- Failed delivery attempts and the last broker error, for operators during an outage.
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  text
);
-- The relay only ever scans what is still to send, oldest first.
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Absences from HR (hr.absences.v1) that were applied: the driver is unavailable from..to inclusive.
CREATE TABLE driver_absences (
    -- HR's id of the absence: applying the same absence twice is a no-op.
    absence_id      text PRIMARY KEY,
    driver_id       text NOT NULL,
    kind            text NOT NULL CONSTRAINT driver_absences_kind_known CHECK (kind IN ('sickness', 'leave')),
    from_date       date NOT NULL,
    to_date         date NOT NULL,
    -- HR's per-driver sequence number carried by the message that recorded it.
    source_version  bigint NOT NULL CHECK (source_version > 0),
    -- The event that carried it, to trace an absence back to its Kafka message.
    source_event_id uuid NOT NULL,
    applied_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT driver_absences_period CHECK (from_date <= to_date)
);
CREATE INDEX driver_absences_by_driver ON driver_absences (driver_id, from_date);

-- The entity-state check: the highest HR sequence applied per driver. HR keys its messages by
-- driver, so within a partition they arrive in order; one at or below this number is a redelivery
-- or a replay and is skipped.
CREATE TABLE driver_absence_state (
    driver_id     text PRIMARY KEY,
    last_version  bigint NOT NULL CHECK (last_version >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Published rosters that an absence breaks: the roster assigns the driver a shift on a day of the
-- absence. Planners re-optimize from these; nothing is changed behind their backs.
CREATE TABLE roster_disruptions (
    roster_id    uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
    driver_id    text NOT NULL,
    date         date NOT NULL,
    absence_id   text NOT NULL REFERENCES driver_absences (absence_id),
    detected_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (roster_id, driver_id, date, absence_id)
);
CREATE INDEX roster_disruptions_by_absence ON roster_disruptions (absence_id);
