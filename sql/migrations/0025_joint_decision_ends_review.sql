-- The joint office's decision ends its review stage: the deadline that timed the office is met
-- when it decides, though the case stays in joint_review until the center dispatches (or
-- rejects) on the office's behalf. The decision changes no status, so the SLA sync is asked
-- for when it is recorded too.
DROP TRIGGER cases_sla_sync ON cases;
CREATE TRIGGER cases_sla_sync AFTER UPDATE OF status, awaiting_applicant_since, joint_decided_at ON cases
    FOR EACH ROW WHEN (NEW.case_number IS NOT NULL) EXECUTE FUNCTION sla_sync_requested_by_case();
