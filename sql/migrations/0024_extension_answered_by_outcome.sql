-- A department that records its outcome while its own extension request is open answers that
-- request (refused: no longer needed), so no request outlives the work it asked time for and
-- none is approved on a finished assignment. It may touch only its own open requests, and only
-- to close them.
CREATE POLICY department_closes_own ON case_extensions FOR UPDATE
    USING ((SELECT app_roles()) && ARRAY['department_manager', 'department_agent']::text[]
           AND status = 'requested'
           AND EXISTS (SELECT 1 FROM case_assignments a WHERE a.county_id = case_extensions.county_id
                       AND a.id = case_extensions.assignment_id AND a.department_id = (SELECT app_department_id())))
    WITH CHECK (status = 'refused');
