-- Zero-downtime NOT NULL rollout, step 1 of 3: add the column as nullable.
-- Old application versions keep inserting without it; new versions write it on every insert.
-- Adding a nullable column without a default is a catalog-only change: no table rewrite, no long lock.
ALTER TABLE scenarios ADD COLUMN content_hash text;
