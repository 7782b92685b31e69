-- ReliefLink schema, migration 0010: the job runner's own tenant context, and delivery of
-- the outbox (applicant notices, 12345 status callbacks) with its state on each row.
--
-- The job runner acts for one county at a time, like a request: Store.withJobRunner sets
-- app.county_id and app.job_runner transaction-locally. It is nobody's user, so what it
-- writes to a timeline carries no user, only the label 系统.

CREATE FUNCTION app_is_job_runner() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('app.job_runner', true) = 'on', false) $$;

-- What the job runner reads to deliver and to time cases.
CREATE POLICY job_runner_reads ON cases FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON case_assignments FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON departments FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON orgs FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON hotline_integrations FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON catalog_item_versions FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON case_extensions FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_appends ON case_events FOR INSERT
    WITH CHECK ((SELECT app_is_job_runner()) AND actor_user_id IS NULL);

-- Delivery state: pending until delivered, skipped (nowhere to deliver to) or failed for good.
CREATE TYPE delivery_outcome AS ENUM ('delivered', 'skipped', 'failed');
ALTER TABLE outbox
    ADD COLUMN outcome    delivery_outcome,
    ADD COLUMN detail     text CHECK (length(detail) <= 2000),
    ADD CONSTRAINT outbox_outcome_time CHECK ((outcome IS NULL) = (delivered_at IS NULL));
CREATE POLICY job_runner_reads ON outbox FOR SELECT USING ((SELECT app_is_job_runner()));
-- Whoever reads the case reads what was sent about it (and the change that wrote a row gets
-- its id back to enqueue the delivery job).
CREATE POLICY read_with_case ON outbox FOR SELECT
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.county_id = outbox.county_id AND c.id = outbox.case_id));
CREATE POLICY job_runner_records ON outbox FOR UPDATE USING ((SELECT app_is_job_runner()));
GRANT UPDATE ON outbox TO relieflink_app;
