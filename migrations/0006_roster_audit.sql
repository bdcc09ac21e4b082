-- The dispatcher workflow's audit trail: every transition and edit of a roster, who, when, what, why.
CREATE TABLE roster_audit (
    id          bigserial PRIMARY KEY,
    roster_id   uuid NOT NULL REFERENCES rosters (id) ON DELETE CASCADE,
    -- The version the action produced.
    version     integer NOT NULL,
    actor       text NOT NULL,
    -- 'transition', 'edit', 'forced_edit'.
    action      text NOT NULL CONSTRAINT roster_audit_action_known CHECK (action IN ('transition', 'edit', 'forced_edit')),
    from_status text,
    to_status   text,
    reason      text,
    -- Changed cells, violations and cost delta of an edit.
    details     jsonb NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roster_audit_by_roster ON roster_audit (roster_id, id);
