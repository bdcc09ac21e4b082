-- Zero-downtime NOT NULL rollout, step 3 of 3: enforce it.
-- A CHECK constraint added NOT VALID takes only a brief lock; VALIDATE scans without blocking writes;
-- SET NOT NULL then uses the validated constraint instead of a full-table scan under an exclusive lock
-- (PostgreSQL 12+), after which the CHECK is redundant and dropped.
ALTER TABLE scenarios ADD CONSTRAINT scenarios_content_hash_not_null CHECK (content_hash IS NOT NULL) NOT VALID;
ALTER TABLE scenarios VALIDATE CONSTRAINT scenarios_content_hash_not_null;
ALTER TABLE scenarios ALTER COLUMN content_hash SET NOT NULL;
ALTER TABLE scenarios DROP CONSTRAINT scenarios_content_hash_not_null;
