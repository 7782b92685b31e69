-- The case list pages newest first by (created_at, id): cases filed in one group share their
-- creation instant, so the id breaks the tie and a page goes on from the last case exactly.
-- The index keeps that order, for the list of a county and under row-level security alike.
CREATE INDEX cases_created_id ON cases (county_id, created_at DESC, id DESC);
DROP INDEX cases_created;
