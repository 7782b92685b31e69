-- When the lead department of a case handled by several returns its assignment (退单), the lead
-- passes to a department still on the case, so that joint handling never goes on without one
-- (§5.3: several departments handle a case together under one lead). The department that
-- returns may not write other departments' assignments, so this runs as the owner, and only
-- for a lead assignment the calling department itself has just returned.
--
-- The successor is a department still handling its part before one that has finished it,
-- then the one that signed for its assignment first, then by name (departments dispatched
-- together have no order of their own). Answers the successor's department id, or NULL when
-- none is left (the case then goes back to the center, which dispatches again with a lead).
CREATE FUNCTION pass_lead_after_return(returned uuid) RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
    gone case_assignments%ROWTYPE;
    successor uuid;
BEGIN
    SELECT * INTO gone FROM case_assignments a
    WHERE a.county_id = app_county_id() AND a.id = returned AND a.department_id = app_department_id()
      AND a.returned_at IS NOT NULL AND a.superseded_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pass_lead_after_return: not a returned assignment of the calling department'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Another live lead (the returned one was not leading): nothing to pass.
    IF EXISTS (SELECT 1 FROM case_assignments a WHERE a.county_id = gone.county_id AND a.case_id = gone.case_id
               AND a.lead AND a.returned_at IS NULL AND a.superseded_at IS NULL) THEN
        RETURN NULL;
    END IF;
    UPDATE case_assignments a SET lead = true
    WHERE a.county_id = gone.county_id AND a.id = (
        SELECT s.id FROM case_assignments s
        JOIN departments d ON d.county_id = s.county_id AND d.id = s.department_id
        WHERE s.county_id = gone.county_id AND s.case_id = gone.case_id AND s.id <> gone.id
          AND s.returned_at IS NULL AND s.superseded_at IS NULL AND s.status <> 'returned'
        ORDER BY s.status = 'done', s.signed_at NULLS LAST, d.name, s.id
        LIMIT 1)
    RETURNING a.department_id INTO successor;
    RETURN successor;
END
$$;
REVOKE ALL ON FUNCTION pass_lead_after_return(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pass_lead_after_return(uuid) TO relieflink_tables;
