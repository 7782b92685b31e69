-- The due dates on cases and assignments, which staff and applicants read, follow the SLA's
-- deadlines (working days, the green channel, extensions): the job runner that keeps the
-- deadlines writes them through (ServiceLevels.publishDueDates). It may update those rows
-- of its county; the workflow's own policies are unchanged.
CREATE POLICY job_runner_sets_due ON cases FOR UPDATE
    USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_sets_due ON case_assignments FOR UPDATE
    USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
