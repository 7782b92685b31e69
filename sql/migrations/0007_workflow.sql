-- ReliefLink schema, migration 0007: the linkage workflow (DB32/T 4012-2021 §5.2–§5.6).
-- One-door acceptance, dispatch or referral, the joint meeting's decision, the departments'
-- assignments with sign-for, return, delegated field tasks, extensions and outcomes, the
-- center's summary, follow-ups, public notices, and the outbox the job runner delivers from.
-- The rules of which action a state allows live in ReliefDomain (CaseWorkflow); these tables
-- hold what happened, and row-level security who may see and change it.

CREATE TYPE assignment_status AS ENUM ('pending', 'accepted', 'returned', 'done');
CREATE TYPE task_status AS ENUM ('open', 'reported');
CREATE TYPE relief_outcome AS ENUM ('granted', 'partly', 'denied');
CREATE TYPE referral_reason AS ENUM ('implementer_unclear', 'no_policy', 'cannot_transfer', 'several_departments');
CREATE TYPE extension_status AS ENUM ('requested', 'approved', 'refused');

ALTER TABLE cases
    ADD COLUMN rejection_reason   text           CHECK (length(rejection_reason) <= 2000),
    ADD COLUMN referral_reason    referral_reason,
    ADD COLUMN referral_note      text           CHECK (length(referral_note) <= 2000),
    -- The joint meeting's decision (§5.4): relief with a plan, or no relief with a reason.
    ADD COLUMN joint_relief       boolean,
    ADD COLUMN joint_plan         text           CHECK (length(joint_plan) <= 4000),
    ADD COLUMN joint_decided_by   uuid,
    ADD COLUMN joint_decided_at   timestamptz,
    -- How often departments returned it (退单): repeated returns show in the center's queue.
    ADD COLUMN return_count       integer        NOT NULL DEFAULT 0,
    ADD COLUMN summary            text           CHECK (length(summary) <= 4000),
    ADD COLUMN closed_by          uuid,
    ADD COLUMN closed_at          timestamptz,
    -- The departments and lead the joint meeting decided on, which the center dispatches.
    ADD COLUMN joint_department_ids uuid[],
    ADD COLUMN joint_lead_department_id uuid;

-- The assignment of a case to one department (§5.3, §5.4): one of them leads.
ALTER TABLE case_assignments
    ADD COLUMN id                uuid              NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN status            assignment_status NOT NULL DEFAULT 'pending',
    ADD COLUMN lead              boolean           NOT NULL DEFAULT false,
    ADD COLUMN dispatched_by     uuid,
    -- The center dispatched on the joint office's behalf, after its decision (§5.4).
    ADD COLUMN for_joint_office  boolean           NOT NULL DEFAULT false,
    ADD COLUMN signed_by         uuid,
    ADD COLUMN signed_at         timestamptz,
    -- What the applicant is told on signing: what to bring and where (§5.4).
    ADD COLUMN applicant_notice  text              CHECK (length(applicant_notice) <= 2000),
    ADD COLUMN return_reason     text              CHECK (length(return_reason) <= 2000),
    ADD COLUMN returned_by       uuid,
    ADD COLUMN returned_at       timestamptz,
    ADD COLUMN outcome           relief_outcome,
    ADD COLUMN outcome_content   text              CHECK (length(outcome_content) <= 4000),
    ADD COLUMN outcome_amount    numeric(12, 2)    CHECK (outcome_amount >= 0),
    ADD COLUMN done_by           uuid,
    ADD COLUMN done_at           timestamptz,
    ADD COLUMN due_at            timestamptz,
    -- Set when a dissatisfied follow-up reopens the case: the earlier round no longer counts.
    ADD COLUMN superseded_at     timestamptz,
    ADD CONSTRAINT case_assignments_id UNIQUE (county_id, id),
    ADD CONSTRAINT case_assignments_outcome CHECK ((status = 'done') = (outcome IS NOT NULL));
-- At most one lead department per case among those still on it.
CREATE UNIQUE INDEX case_assignments_one_lead ON case_assignments (county_id, case_id)
    WHERE lead AND status <> 'returned' AND superseded_at IS NULL;

-- Field work a department delegates to a township or village (§5.5), e.g. 入户调查.
CREATE TABLE case_tasks (
    county_id     uuid        NOT NULL,
    id            uuid        NOT NULL,
    case_id       uuid        NOT NULL,
    assignment_id uuid        NOT NULL,
    org_id        uuid        NOT NULL,
    org_path      ltree       NOT NULL,
    kind          text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 50),
    instructions  text        NOT NULL CHECK (length(instructions) BETWEEN 1 AND 2000),
    status        task_status NOT NULL DEFAULT 'open',
    report        text        CHECK (length(report) <= 4000),
    reported_by   uuid,
    reported_at   timestamptz,
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    due_at        timestamptz,
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    FOREIGN KEY (county_id, assignment_id) REFERENCES case_assignments (county_id, id),
    FOREIGN KEY (county_id, org_id) REFERENCES orgs (county_id, id),
    CHECK ((status = 'reported') = (report IS NOT NULL))
);
CREATE INDEX case_tasks_org ON case_tasks USING gist (org_path);
CREATE INDEX case_tasks_case ON case_tasks (county_id, case_id);

-- Extensions (延期): asked by the department with a reason, decided by the center.
CREATE TABLE case_extensions (
    county_id     uuid             NOT NULL,
    id            uuid             NOT NULL,
    case_id       uuid             NOT NULL,
    assignment_id uuid             NOT NULL,
    days          integer          NOT NULL CHECK (days BETWEEN 1 AND 30),
    reason        text             NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    status        extension_status NOT NULL DEFAULT 'requested',
    requested_by  uuid             NOT NULL,
    requested_at  timestamptz      NOT NULL DEFAULT now(),
    decided_by    uuid,
    decided_at    timestamptz,
    decision_note text             CHECK (length(decision_note) <= 2000),
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    FOREIGN KEY (county_id, assignment_id) REFERENCES case_assignments (county_id, id)
);
-- One open request per assignment at a time.
CREATE UNIQUE INDEX case_extensions_one_open ON case_extensions (county_id, assignment_id) WHERE status = 'requested';

-- Follow-ups (回访) after closing: satisfaction 1–5 and comments.
CREATE TABLE case_follow_ups (
    county_id    uuid        NOT NULL,
    id           uuid        NOT NULL,
    case_id      uuid        NOT NULL,
    satisfaction integer     NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
    comments     text        CHECK (length(comments) <= 2000),
    recorded_by  uuid        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id)
);

-- Public notices of granted relief (§6.2.1, §6.3.3): a snapshot of item, village, masked
-- name and amount, shown until `shown_until`; minors are never listed.
CREATE TABLE public_notices (
    county_id    uuid        NOT NULL REFERENCES counties,
    id           uuid        NOT NULL,
    title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    period_start date        NOT NULL,
    period_end   date        NOT NULL,
    shown_until  timestamptz NOT NULL,
    published_by uuid        NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    entries      jsonb       NOT NULL CHECK (jsonb_typeof(entries) = 'array'),
    PRIMARY KEY (county_id, id),
    CHECK (period_end >= period_start)
);
CREATE INDEX public_notices_shown ON public_notices (county_id, shown_until DESC);

-- What the job runner delivers: applicant notices and 12345 status callbacks, each written in
-- the same transaction as the change that causes it (exactly when that change commits).
CREATE TABLE outbox (
    county_id    uuid        NOT NULL REFERENCES counties,
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    case_id      uuid,
    kind         text        NOT NULL CHECK (kind IN ('applicant_notice', 'hotline_callback')),
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id)
);
CREATE INDEX outbox_pending ON outbox (county_id, id) WHERE delivered_at IS NULL;

SELECT make_tenant_table(target) FROM unnest(ARRAY['case_tasks', 'case_extensions', 'case_follow_ups', 'public_notices', 'outbox']::regclass[]) AS target;

-- The departments a case was ever dispatched to, on the case itself: the cases policy reads
-- them without querying case_assignments, so the assignments' own policy can ask "may I see
-- the case?" without a recursion, and a department's case list is one array test per row.
ALTER TABLE cases ADD COLUMN department_ids uuid[] NOT NULL DEFAULT '{}';
UPDATE cases c SET department_ids = ARRAY(SELECT DISTINCT a.department_id FROM case_assignments a
                                          WHERE a.county_id = c.county_id AND a.case_id = c.id);
CREATE FUNCTION case_assignments_track_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET department_ids = array_append(department_ids, NEW.department_id)
    WHERE county_id = NEW.county_id AND id = NEW.case_id AND NOT (NEW.department_id = ANY (department_ids));
    RETURN NULL;
END
$$;
CREATE TRIGGER case_assignments_track_department AFTER INSERT ON case_assignments
    FOR EACH ROW EXECUTE FUNCTION case_assignments_track_department();

DROP POLICY read_cases ON cases;
CREATE POLICY read_cases ON cases FOR SELECT USING (
    (SELECT app_sees_county())
    OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path()))
    OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[])
        AND (SELECT app_department_id()) = ANY (department_ids)));
DROP POLICY update_cases ON cases;
DROP FUNCTION app_sees_case(uuid, uuid, ltree);
CREATE FUNCTION app_sees_case(case_path ltree, case_departments uuid[]) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (SELECT app_sees_county())
        OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND case_path <@ (SELECT app_org_path()))
        OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[])
            AND (SELECT app_department_id()) = ANY (case_departments))
$$;
CREATE POLICY update_cases ON cases FOR UPDATE
    USING ((SELECT app_may_write()) AND (
        (SELECT app_sees_county())
        OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path()))
        OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[])
            AND (SELECT app_department_id()) = ANY (department_ids))))
    WITH CHECK ((SELECT app_may_write()) AND app_sees_case(org_path, department_ids));

-- Assignments: seen by whoever sees their case (every department on a case sees the others,
-- to know who leads and who is done); the center writes new ones and re-dispatches; a
-- department updates its own (sign, return, outcome).
DROP POLICY read_assignments ON case_assignments;
CREATE POLICY read_assignments ON case_assignments FOR SELECT USING (
    (SELECT app_sees_county())
    OR EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_assignments.county_id AND c.id = case_assignments.case_id));
CREATE POLICY update_assignments ON case_assignments FOR UPDATE USING (
    (SELECT app_roles()) && ARRAY['center_manager', 'center_agent']::text[]
    OR ((SELECT app_roles()) && ARRAY['department_manager', 'department_agent']::text[]
        AND department_id = (SELECT app_department_id())));
GRANT UPDATE ON case_assignments TO relieflink_app;

-- Tasks: seen by those who see the case and by the org they were delegated to (and above it);
-- written by the department that owns the assignment; reported by the org's staff.
CREATE POLICY read_tasks ON case_tasks FOR SELECT USING (
    EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_tasks.county_id AND c.id = case_tasks.case_id)
    OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path())));
CREATE POLICY department_delegates ON case_tasks FOR INSERT WITH CHECK (
    (SELECT app_roles()) && ARRAY['department_manager', 'department_agent']::text[]
    AND EXISTS (SELECT 1 FROM case_assignments a WHERE a.county_id = case_tasks.county_id AND a.id = case_tasks.assignment_id
                AND a.department_id = (SELECT app_department_id())));
CREATE POLICY org_reports ON case_tasks FOR UPDATE USING (
    (SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path()));

-- Extensions: read with the case; asked by the assignment's department; decided by the center.
CREATE POLICY read_with_case ON case_extensions FOR SELECT USING (
    EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_extensions.county_id AND c.id = case_extensions.case_id));
CREATE POLICY department_requests ON case_extensions FOR INSERT WITH CHECK (
    (SELECT app_roles()) && ARRAY['department_manager', 'department_agent']::text[]
    AND EXISTS (SELECT 1 FROM case_assignments a WHERE a.county_id = case_extensions.county_id AND a.id = case_extensions.assignment_id
                AND a.department_id = (SELECT app_department_id())));
CREATE POLICY center_decides ON case_extensions FOR UPDATE USING (
    (SELECT app_roles()) && ARRAY['center_manager', 'center_agent']::text[]);

-- Follow-ups: read with the case; recorded by the center.
CREATE POLICY read_with_case ON case_follow_ups FOR SELECT USING (
    EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_follow_ups.county_id AND c.id = case_follow_ups.case_id));
CREATE POLICY center_records ON case_follow_ups FOR INSERT WITH CHECK (
    (SELECT app_roles()) && ARRAY['center_manager', 'center_agent']::text[]);

-- Public notices: anyone through a channel or signed in reads them; the center publishes.
CREATE POLICY read_notices ON public_notices FOR SELECT USING (
    (SELECT app_channel()) IS NOT NULL OR (SELECT app_user_id()) IS NOT NULL);
CREATE POLICY center_publishes ON public_notices FOR INSERT WITH CHECK (
    (SELECT app_roles()) && ARRAY['center_manager', 'center_agent']::text[]);

-- The outbox: written by whoever makes the change; read and marked by the job runner (which
-- acts with the auditor-free system role `jobs` in issue 6) and by the county-wide roles.
CREATE POLICY write_outbox ON outbox FOR INSERT WITH CHECK (true);
CREATE POLICY read_outbox ON outbox FOR SELECT USING ((SELECT app_sees_county()));

GRANT SELECT, INSERT, UPDATE ON case_tasks, case_extensions TO relieflink_app;
GRANT SELECT, INSERT ON case_follow_ups, public_notices, outbox TO relieflink_app;
