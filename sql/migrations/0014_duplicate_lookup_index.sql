-- ReliefLink schema, migration 0014: the duplicate check at intake reads one index entry.
--
-- open_case_of_applicant() asks for the oldest open case of an applicant and item. Its plan
-- is made once per session, and a session that began while `cases` was small (a new county,
-- the demo, a fresh server) planned it along cases_queue or cases_created in created_at
-- order, filtering every open case of the county: each application read more rows than the
-- last (bench intake saw millions of index tuples read in twenty seconds). With created_at
-- in the partial index, the index gives both the match and the order, and wins every plan.

DROP INDEX cases_open_by_applicant;
CREATE INDEX cases_open_by_applicant ON cases (county_id, applicant_lookup, item_id, created_at)
    WHERE status IN ('submitted', 'dispatched', 'joint_review', 'in_progress');
