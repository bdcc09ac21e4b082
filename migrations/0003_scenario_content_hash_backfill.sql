-- Zero-downtime NOT NULL rollout, step 2 of 3: backfill rows written by old versions.
-- Same expression as the application's insert (service/src/db/scenarios.rs), so both agree.
-- Run once every replica writes the column; on a large table this would be batched by id.
UPDATE scenarios
SET content_hash = encode(sha256(convert_to(body::text, 'UTF8')), 'hex')
WHERE content_hash IS NULL;
