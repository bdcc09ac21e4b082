-- Automatic re-optimization after an HR absence (issue 8): why a job was queued, and the roster
-- audit action that records who asked for a re-optimization.

-- 'api': a user submitted it (POST /v1/jobs or POST /v1/rosters/{id}/reoptimize).
-- 'hr_absence': the HR consumer queued it because an absence broke a published roster; its roster
-- is stored as a draft, so a dispatcher reviews it before it can go anywhere.
-- A constant default makes ADD COLUMN a catalog-only change (no table rewrite); the CHECK is added
-- NOT VALID and validated afterwards so that the scan does not hold the exclusive lock.
ALTER TABLE jobs ADD COLUMN trigger text NOT NULL DEFAULT 'api';
ALTER TABLE jobs ADD CONSTRAINT jobs_trigger_known CHECK (trigger IN ('api', 'hr_absence')) NOT VALID;
ALTER TABLE jobs VALIDATE CONSTRAINT jobs_trigger_known;

-- At most one automatic re-optimization of a roster waits or runs at a time: the consumer checks
-- under a lock on the roster, and this index is the invariant should any other path forget to.
CREATE UNIQUE INDEX jobs_one_active_auto_reoptimization ON jobs (baseline_roster_id)
    WHERE trigger = 'hr_absence' AND status IN ('queued', 'running');

-- 'reoptimize': someone (a user, or 'hr-consumer') queued a re-optimization of the roster; the
-- details name the job, the trigger and the window.
ALTER TABLE roster_audit DROP CONSTRAINT roster_audit_action_known;
ALTER TABLE roster_audit ADD CONSTRAINT roster_audit_action_known
    CHECK (action IN ('transition', 'edit', 'forced_edit', 'reoptimize'));
