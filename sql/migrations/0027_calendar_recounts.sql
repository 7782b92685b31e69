-- A year's calendar imported after deadlines running into that year were counted asks the job
-- runner to count them again (ReliefStore.ServiceLevels.recount). Each import's recount is
-- done once: a recount repeated after a runner died between its commit and the job's end
-- would move every deadline a second time. This row, written in the recount's transaction,
-- is what the repeat finds.
CREATE TABLE calendar_recounts (
    county_id uuid        NOT NULL REFERENCES counties (county_id),
    id        uuid        NOT NULL,
    year      int         NOT NULL,
    moved     int         NOT NULL DEFAULT 0,
    done_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id)
);
SELECT make_tenant_table('calendar_recounts');
CREATE POLICY job_runner_keeps ON calendar_recounts FOR ALL TO relieflink_jobs
    USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
GRANT SELECT, INSERT, UPDATE ON calendar_recounts TO relieflink_tables;
