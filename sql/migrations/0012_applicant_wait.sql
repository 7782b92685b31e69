-- ReliefLink schema, migration 0012: waiting for the applicant (补正). While the center waits
-- for missing materials before accepting, or a department while handling, the stage's clock
-- stops where the county's SLA policy says so; the office time waited is added to the
-- deadline when the applicant is back (issue 6, item 4).

ALTER TABLE cases
    ADD COLUMN awaiting_applicant_since  timestamptz,
    ADD COLUMN awaiting_applicant_reason text CHECK (length(awaiting_applicant_reason) <= 2000),
    -- Office time (seconds) spent waiting in earlier waits of the present stage.
    ADD COLUMN applicant_wait_seconds    float8 NOT NULL DEFAULT 0 CHECK (applicant_wait_seconds >= 0);
ALTER TABLE case_assignments
    ADD COLUMN awaiting_applicant_since  timestamptz,
    ADD COLUMN awaiting_applicant_reason text CHECK (length(awaiting_applicant_reason) <= 2000),
    ADD COLUMN applicant_wait_seconds    float8 NOT NULL DEFAULT 0 CHECK (applicant_wait_seconds >= 0);

ALTER TABLE sla_deadlines
    ADD COLUMN paused_at      timestamptz,
    ADD COLUMN paused_seconds float8 NOT NULL DEFAULT 0;

-- A wait that starts or ends moves the deadlines.
DROP TRIGGER cases_sla_sync ON cases;
CREATE TRIGGER cases_sla_sync AFTER INSERT OR UPDATE OF status, awaiting_applicant_since ON cases
    FOR EACH ROW WHEN (NEW.case_number IS NOT NULL) EXECUTE FUNCTION sla_sync_requested_by_case();
DROP TRIGGER case_assignments_sla_sync ON case_assignments;
CREATE TRIGGER case_assignments_sla_sync AFTER INSERT OR UPDATE OF status, superseded_at, awaiting_applicant_since ON case_assignments
    FOR EACH ROW EXECUTE FUNCTION sla_sync_requested();

-- A wait belongs to the stage it happened in: a change of state ends it and starts the next
-- stage's count afresh.
CREATE FUNCTION applicant_wait_ends_with_stage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.awaiting_applicant_since := NULL;
        NEW.awaiting_applicant_reason := NULL;
        NEW.applicant_wait_seconds := 0;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER cases_applicant_wait BEFORE UPDATE OF status ON cases
    FOR EACH ROW EXECUTE FUNCTION applicant_wait_ends_with_stage();
CREATE TRIGGER case_assignments_applicant_wait BEFORE UPDATE OF status ON case_assignments
    FOR EACH ROW EXECUTE FUNCTION applicant_wait_ends_with_stage();
