-- ReliefLink schema, migration 0011: service levels (SLA, DESIGN.md; issue 6, item 4).
--
-- Each county may override the standard limits per stage (ReliefDomain.SLAPolicy.standard
-- applies where it has no row). Every stage a case enters opens a deadline; its three steps —
-- warning, due, escalation (督办) — are each taken exactly once: the step's marker column is
-- set under the deadline's row lock in the same transaction as the step's effects, and the
-- effects' own unique keys refuse a repeat.
--
-- Deadlines follow the case: any change of a case's or an assignment's state, or an
-- extension's decision, enqueues one `sla.sync` job for the case (coalesced while pending) in
-- the same transaction, and the job runner opens and ends deadlines to match.

CREATE TYPE sla_stage AS ENUM ('acceptance', 'joint_review', 'signing', 'handling', 'summary');
CREATE TYPE sla_step AS ENUM ('warning', 'due', 'escalation');

CREATE TABLE sla_policies (
    county_id                   uuid        NOT NULL REFERENCES counties,
    stage                       sla_stage   NOT NULL,
    limit_working_days          integer     CHECK (limit_working_days BETWEEN 0 AND 60),
    green_limit_working_days    integer     CHECK (green_limit_working_days BETWEEN 0 AND 60),
    green_handling_percent      integer     NOT NULL CHECK (green_handling_percent BETWEEN 10 AND 100),
    warn_at_fraction            float8      NOT NULL CHECK (warn_at_fraction BETWEEN 0.3 AND 0.95),
    escalate_after_working_days integer     NOT NULL CHECK (escalate_after_working_days BETWEEN 0 AND 10),
    pauses_for_applicant        boolean     NOT NULL,
    updated_by                  uuid,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, stage)
);

CREATE TABLE sla_deadlines (
    county_id              uuid        NOT NULL,
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    case_id                uuid        NOT NULL,
    -- The assignment timed, for signing and handling; its department answers for it.
    assignment_id          uuid,
    department_id          uuid,
    stage                  sla_stage   NOT NULL,
    green                  boolean     NOT NULL,
    started_at             timestamptz NOT NULL,
    warn_at                timestamptz NOT NULL,
    due_at                 timestamptz NOT NULL,
    escalate_at            timestamptz NOT NULL,
    extension_working_days integer     NOT NULL DEFAULT 0,
    warned_at              timestamptz,
    due_notified_at        timestamptz,
    escalated_at           timestamptz,
    ended_at               timestamptz,
    -- met (the stage ended), extended (replaced by the deadline an extension moved), withdrawn …
    end_reason             text        CHECK (end_reason IN ('met', 'extended', 'closed')),
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    CHECK (warn_at <= due_at AND due_at <= escalate_at),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
-- One open deadline per stage of a case (and per assignment).
CREATE UNIQUE INDEX sla_deadlines_open ON sla_deadlines
    (county_id, case_id, stage, coalesce(assignment_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE ended_at IS NULL;
CREATE INDEX sla_deadlines_case ON sla_deadlines (county_id, case_id);
CREATE INDEX sla_deadlines_due ON sla_deadlines (county_id, due_at) WHERE ended_at IS NULL;

-- The joint-meeting office's escalation list (督办): one row per deadline at most.
CREATE TABLE escalations (
    county_id     uuid        NOT NULL,
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    case_id       uuid        NOT NULL,
    deadline_id   uuid        NOT NULL,
    stage         sla_stage   NOT NULL,
    department_id uuid,
    due_at        timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Set when the stage is done after all.
    resolved_at   timestamptz,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, deadline_id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    FOREIGN KEY (county_id, deadline_id) REFERENCES sla_deadlines (county_id, id)
);
CREATE INDEX escalations_open ON escalations (county_id, created_at) WHERE resolved_at IS NULL;

-- Notices to staff (预警, 到期, 督办), addressed to a role, and for departments to one
-- department. One per deadline, step and role.
CREATE TABLE staff_notices (
    county_id               uuid        NOT NULL,
    id                      bigint      GENERATED ALWAYS AS IDENTITY,
    case_id                 uuid        NOT NULL,
    deadline_id             uuid        NOT NULL,
    step                    sla_step    NOT NULL,
    recipient_role          app_role    NOT NULL,
    recipient_department_id uuid,
    text                    text        NOT NULL CHECK (length(text) <= 1000),
    created_at              timestamptz NOT NULL DEFAULT now(),
    read_at                 timestamptz,
    read_by                 uuid,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, deadline_id, step, recipient_role),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    FOREIGN KEY (county_id, deadline_id) REFERENCES sla_deadlines (county_id, id)
);
CREATE INDEX staff_notices_recipient ON staff_notices (county_id, recipient_role, created_at DESC);

SELECT make_tenant_table(target)
FROM unnest(ARRAY['sla_policies', 'sla_deadlines', 'escalations', 'staff_notices']::regclass[]) AS target;

CREATE POLICY read_signed_in ON sla_policies FOR SELECT
    USING ((SELECT app_user_id()) IS NOT NULL OR (SELECT app_is_job_runner()));
CREATE POLICY managers_write ON sla_policies FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON sla_policies FOR UPDATE USING ((SELECT app_has_role('center_manager')));

CREATE POLICY read_with_case ON sla_deadlines FOR SELECT
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.county_id = sla_deadlines.county_id AND c.id = sla_deadlines.case_id));
CREATE POLICY read_with_case ON escalations FOR SELECT
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.county_id = escalations.county_id AND c.id = escalations.case_id));
CREATE POLICY addressed ON staff_notices FOR SELECT USING (
    ARRAY[recipient_role::text] && (SELECT app_roles())
    AND (recipient_department_id IS NULL OR recipient_department_id = (SELECT app_department_id())));
CREATE POLICY addressed_marks_read ON staff_notices FOR UPDATE USING (
    ARRAY[recipient_role::text] && (SELECT app_roles())
    AND (recipient_department_id IS NULL OR recipient_department_id = (SELECT app_department_id())));

-- The job runner keeps all four.
CREATE POLICY job_runner_keeps ON sla_deadlines FOR ALL USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_keeps ON escalations FOR ALL USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_keeps ON staff_notices FOR ALL USING ((SELECT app_is_job_runner())) WITH CHECK ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON case_events FOR SELECT USING ((SELECT app_is_job_runner()));
CREATE POLICY job_runner_reads ON calendar_days FOR SELECT USING ((SELECT app_is_job_runner()));

GRANT SELECT, INSERT, UPDATE ON sla_policies, sla_deadlines, escalations, staff_notices TO relieflink_app;

-- Enqueues a job from SQL, as JobQueue.enqueue does with DuplicatePolicy.runNoLaterThan:
-- while a job with the key is open, it is brought forward to now, or run again if running.
-- A fresh row wakes the runners through the insert trigger; only a job brought forward needs
-- a NOTIFY of its own.
CREATE FUNCTION job_queue.enqueue_now(job_kind text, job_payload jsonb, job_queue_name text, job_priority smallint,
                                      job_unique_key text, job_tenant uuid) RETURNS void
LANGUAGE sql AS $$
    WITH enqueued AS (
        INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, state, unique_key, tenant)
        VALUES (job_kind, job_payload, job_queue_name, job_priority, 'available', job_unique_key, job_tenant)
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
        DO UPDATE SET
            run_at = CASE WHEN j.state = 'running' THEN j.run_at ELSE least(j.run_at, now()) END,
            state = CASE WHEN j.state = 'scheduled' THEN 'available' ELSE j.state END,
            rerun = j.rerun OR j.state = 'running'
        RETURNING xmax = 0 AS inserted
    )
    SELECT pg_notify('job_queue', job_queue_name) FROM enqueued WHERE NOT inserted;
$$;

-- A case's deadlines must be looked at again: its state, an assignment's or an extension's
-- decision changed.
CREATE FUNCTION sla_sync_requested() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    green boolean;
BEGIN
    SELECT c.green_channel INTO green FROM cases c WHERE c.county_id = NEW.county_id AND c.id = NEW.case_id;
    PERFORM job_queue.enqueue_now(
        'sla.sync', jsonb_build_object('countyID', NEW.county_id, 'caseID', NEW.case_id), 'sla',
        (CASE WHEN coalesce(green, false) THEN 1 ELSE 4 END)::smallint, 'sla.sync:' || NEW.case_id, NEW.county_id);
    RETURN NULL;
END
$$;
-- On cases, NEW.case_id is spelled NEW.id: a small wrapper keeps the function above single.
CREATE FUNCTION sla_sync_requested_by_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_queue.enqueue_now(
        'sla.sync', jsonb_build_object('countyID', NEW.county_id, 'caseID', NEW.id), 'sla',
        (CASE WHEN NEW.green_channel THEN 1 ELSE 4 END)::smallint, 'sla.sync:' || NEW.id, NEW.county_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER cases_sla_sync AFTER INSERT OR UPDATE OF status ON cases
    FOR EACH ROW WHEN (NEW.case_number IS NOT NULL) EXECUTE FUNCTION sla_sync_requested_by_case();
CREATE TRIGGER case_assignments_sla_sync AFTER INSERT OR UPDATE OF status, superseded_at ON case_assignments
    FOR EACH ROW EXECUTE FUNCTION sla_sync_requested();
CREATE TRIGGER case_extensions_sla_sync AFTER UPDATE OF status ON case_extensions
    FOR EACH ROW EXECUTE FUNCTION sla_sync_requested();
