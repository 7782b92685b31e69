-- ReliefLink schema, migration 0014: the duplicate check at intake stays on its index.
--
-- open_case_of_applicant() asked for the oldest open case of an applicant and item with
-- ORDER BY created_at LIMIT 1. plpgsql keeps one plan per session, and a session that
-- planned it while `cases` was nearly empty (a new deployment, the demo, a benchmark) chose
-- to walk cases_created or cases_queue in order, filtering every open case of the county:
-- each application then read more rows than the last, until an ANALYZE replanned it
-- (bench intake read millions of index tuples in twenty seconds and slowed by half). The
-- matches are now gathered first, by cases_open_by_applicant alone, and only they are
-- ordered: there are one or two, never the county.
DROP FUNCTION open_case_of_applicant(bytea, uuid, uuid);
CREATE FUNCTION open_case_of_applicant(lookup bytea, item uuid, except_case uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (WITH matches AS MATERIALIZED (
                SELECT c.id, c.created_at FROM cases c
                WHERE c.county_id = app_county_id() AND c.applicant_lookup = lookup AND c.item_id = item
                  AND c.id <> except_case AND c.status IN ('submitted', 'dispatched', 'joint_review', 'in_progress'))
            SELECT m.id FROM matches m ORDER BY m.created_at LIMIT 1);
END
$$;
REVOKE ALL ON FUNCTION open_case_of_applicant(bytea, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_case_of_applicant(bytea, uuid, uuid) TO relieflink_app;
