-- ReliefLink schema, migration 0006: intake through the three channels (§5.1), the case's
-- timeline, its materials archive (§6.1.2.2), complaints and feedback (§6.2.1, §6.3.6) and
-- the 12345 platform's per-county secret (§5.1.3).

CREATE TYPE case_status AS ENUM (
    'submitted', 'rejected', 'dispatched', 'joint_review', 'in_progress', 'completed', 'closed', 'withdrawn');
CREATE TYPE intake_channel AS ENUM ('window', 'online', 'hotline');

-- What an applicant keeps to read their case or complaint: its number and a query code.
-- Only the code's SHA-256 is stored.
CREATE FUNCTION app_lookup_number() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.lookup_number', true), '') $$;
CREATE FUNCTION app_lookup_code_hash() RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT decode(nullif(current_setting('app.lookup_code_hash', true), ''), 'hex') $$;

ALTER TABLE cases
    ADD COLUMN case_number          text,
    ADD COLUMN status               case_status    NOT NULL DEFAULT 'submitted',
    ADD COLUMN channel              intake_channel,
    ADD COLUMN window_id            uuid,
    ADD COLUMN item_id              uuid,
    ADD COLUMN item_version         integer,
    ADD COLUMN description          text           CHECK (length(description) <= 4000),
    ADD COLUMN green_channel        boolean        NOT NULL DEFAULT false,
    ADD COLUMN green_channel_reason text           CHECK (length(green_channel_reason) <= 500),
    -- Personal data: sealed by PersonalDataCipher; masked copies for lists; a keyed hash of
    -- the id number to find the same applicant without decrypting.
    ADD COLUMN applicant_name        bytea,
    ADD COLUMN applicant_id_number   bytea,
    ADD COLUMN applicant_phone       bytea,
    ADD COLUMN applicant_address     bytea,
    ADD COLUMN applicant_name_masked text,
    ADD COLUMN applicant_id_masked   text,
    ADD COLUMN applicant_phone_masked text,
    ADD COLUMN applicant_lookup      bytea,
    -- From the id number: public notices never list minors (policy.md).
    ADD COLUMN applicant_birth_date  date,
    ADD COLUMN query_code_hash      bytea          CHECK (length(query_code_hash) = 32),
    ADD COLUMN hotline_order_number text           CHECK (length(hotline_order_number) BETWEEN 1 AND 64),
    -- An open case of the same applicant and item found at intake: flagged, never merged.
    ADD COLUMN possible_duplicate_of uuid,
    ADD COLUMN updated_at           timestamptz    NOT NULL DEFAULT now(),
    -- When the current stage is due, for the applicant's progress query; the SLA timers of
    -- the job runner keep it.
    ADD COLUMN due_at               timestamptz,
    ADD CONSTRAINT cases_green_channel_reason CHECK (NOT green_channel OR length(green_channel_reason) > 0),
    ADD CONSTRAINT cases_window FOREIGN KEY (county_id, window_id) REFERENCES service_windows (county_id, id),
    ADD CONSTRAINT cases_item_version FOREIGN KEY (county_id, item_id, item_version)
        REFERENCES catalog_item_versions (county_id, item_id, version),
    -- A window intake names its window; the other channels have none.
    ADD CONSTRAINT cases_channel_window CHECK (channel IS NULL OR (channel = 'window') = (window_id IS NOT NULL)),
    ADD CONSTRAINT cases_hotline_order CHECK (hotline_order_number IS NULL OR channel = 'hotline');
CREATE UNIQUE INDEX cases_number ON cases (county_id, case_number);
-- One case per 12345 order: a repeated push finds the first.
CREATE UNIQUE INDEX cases_hotline_order ON cases (county_id, hotline_order_number) WHERE hotline_order_number IS NOT NULL;
CREATE INDEX cases_open_by_applicant ON cases (county_id, applicant_lookup, item_id)
    WHERE status IN ('submitted', 'dispatched', 'joint_review', 'in_progress');
-- The one-door queue: green channel first, then oldest (§5.2, §6.3.5).
CREATE INDEX cases_queue ON cases (county_id, status, green_channel DESC, created_at);

-- The acting county's division code, for numbers citizens read (the county directory is
-- public, but the channels have no policy of their own on it).
-- The look-ups below are plpgsql, not SQL functions: PostgreSQL plans a SQL function that
-- cannot be inlined (SECURITY DEFINER, SET) on every call, plpgsql once per session, and
-- intake calls them on every application.
CREATE FUNCTION county_division_code() RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS
$$ BEGIN RETURN (SELECT division_code FROM counties WHERE county_id = app_county_id()); END $$;
REVOKE ALL ON FUNCTION county_division_code() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION county_division_code() TO relieflink_app;

-- A county by its code, with its name: what the public pages and channels start from.
CREATE FUNCTION public_county(code text) RETURNS TABLE (county_id uuid, name text) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS
$$ BEGIN RETURN QUERY SELECT c.county_id, c.name FROM counties c WHERE c.division_code = code; END $$;
REVOKE ALL ON FUNCTION public_county(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public_county(text) TO relieflink_app;

-- Case numbers: county code, Shanghai date, a sequence number; unique per county. One
-- sequence, not a counter row per county and day, so concurrent intakes never queue on a lock.
CREATE SEQUENCE case_number_seq;
GRANT USAGE ON SEQUENCE case_number_seq TO relieflink_app;
CREATE FUNCTION next_case_number() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN left(county_division_code(), 6) || '-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
           || lpad(nextval('case_number_seq')::text, 7, '0');
END
$$;

-- The case a citizen names by number in a complaint: its id only, nothing else about it.
CREATE FUNCTION case_id_by_number(number text) RETURNS uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS
$$ BEGIN RETURN (SELECT c.id FROM cases c WHERE c.county_id = app_county_id() AND c.case_number = number); END $$;
REVOKE ALL ON FUNCTION case_id_by_number(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION case_id_by_number(text) TO relieflink_app;

-- Whether the county holds an open case of this applicant for this item. Intake staff and
-- channels may not see every case (a village sees its own), yet a duplicate anywhere in the
-- county must be flagged; this answers only the case's id, nothing about it.
CREATE FUNCTION open_case_of_applicant(lookup bytea, item uuid, except_case uuid) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT c.id FROM cases c
            WHERE c.county_id = app_county_id() AND c.applicant_lookup = lookup AND c.item_id = item AND c.id <> except_case
              AND c.status IN ('submitted', 'dispatched', 'joint_review', 'in_progress')
            ORDER BY c.created_at LIMIT 1);
END
$$;
REVOKE ALL ON FUNCTION open_case_of_applicant(bytea, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_case_of_applicant(bytea, uuid, uuid) TO relieflink_app;

-- A case as its applicant reads it: by number and query code.
CREATE POLICY applicant_reads ON cases FOR SELECT
    USING (case_number = (SELECT app_lookup_number()) AND query_code_hash = (SELECT app_lookup_code_hash()));
-- The applicant's progress query names the item and the departments handling it.
CREATE POLICY read_by_lookup ON catalog_item_versions FOR SELECT USING ((SELECT app_lookup_number()) IS NOT NULL);
CREATE POLICY read_by_lookup ON departments FOR SELECT USING ((SELECT app_lookup_number()) IS NOT NULL);
-- Citizens online and the 12345 platform file cases through their channel only.
CREATE POLICY channel_inserts ON cases FOR INSERT
    WITH CHECK (channel::text = (SELECT app_channel()) AND created_by IS NULL);
-- A repeated 12345 push finds the case its order made.
CREATE POLICY hotline_reads_orders ON cases FOR SELECT
    USING ((SELECT app_channel()) = 'hotline' AND hotline_order_number IS NOT NULL);

-- The timeline (全过程跟踪, §6.1.2.2): every step with who, from which org, when, from-state,
-- to-state and reason. Append-only.
CREATE TABLE case_events (
    county_id            uuid        NOT NULL,
    id                   bigint      GENERATED ALWAYS AS IDENTITY,
    case_id              uuid        NOT NULL,
    at                   timestamptz NOT NULL DEFAULT now(),
    actor_user_id        uuid,
    actor_org_id         uuid,
    -- Who acted when no user did: 网上申请, 12345热线.
    actor_label          text        CHECK (length(actor_label) <= 100),
    action               text        NOT NULL CHECK (action ~ '^[a-z_]{2,40}$'),
    from_status          case_status,
    to_status            case_status,
    reason               text        CHECK (length(reason) <= 2000),
    visible_to_applicant boolean     NOT NULL DEFAULT false,
    detail               jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id)
);
CREATE INDEX case_events_case ON case_events (county_id, case_id, id);

-- Materials archived with the case (§6.1.2.2): bytes checked by content, hashed, ≤ 20 MB.
CREATE TYPE material_review AS ENUM ('pending', 'accepted', 'needs_correction', 'rejected');
CREATE TABLE case_materials (
    county_id    uuid            NOT NULL,
    id           uuid            NOT NULL,
    case_id      uuid            NOT NULL,
    -- Which required material of the case's item version this is, if any.
    material_key text            CHECK (material_key ~ '^[a-z0-9_-]{1,40}$'),
    file_name    text            NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    media_type   text            NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    byte_count   integer         NOT NULL CHECK (byte_count BETWEEN 1 AND 20971520),
    sha256       bytea           NOT NULL CHECK (length(sha256) = 32),
    content      bytea           NOT NULL,
    uploaded_by  uuid,
    uploaded_at  timestamptz     NOT NULL DEFAULT now(),
    review       material_review NOT NULL DEFAULT 'pending',
    review_note  text            CHECK (length(review_note) <= 2000),
    reviewed_by  uuid,
    reviewed_at  timestamptz,
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id)
);
CREATE INDEX case_materials_case ON case_materials (county_id, case_id, uploaded_at);
ALTER TABLE case_materials ALTER COLUMN content SET STORAGE EXTERNAL;  -- PDFs and images do not compress

-- Complaints, suggestions and praise (§6.2.1, §6.3.6), about a case or the service.
CREATE TYPE feedback_kind AS ENUM ('complaint', 'suggestion', 'praise');
CREATE TYPE feedback_status AS ENUM ('open', 'answered', 'closed');
CREATE TABLE feedback (
    county_id      uuid            NOT NULL REFERENCES counties,
    id             uuid            NOT NULL,
    feedback_number text           NOT NULL,
    kind           feedback_kind   NOT NULL,
    case_id        uuid,
    subject        text            NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    content        text            NOT NULL CHECK (length(content) BETWEEN 1 AND 4000),
    contact_name   bytea,
    contact_phone  bytea,
    contact_phone_masked text,
    query_code_hash bytea          NOT NULL CHECK (length(query_code_hash) = 32),
    status         feedback_status NOT NULL DEFAULT 'open',
    due_at         timestamptz     NOT NULL,
    answer         text            CHECK (length(answer) <= 4000),
    answered_by    uuid,
    answered_at    timestamptz,
    created_by     uuid,
    created_at     timestamptz     NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, feedback_number),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    CHECK ((status = 'open') = (answer IS NULL))
);
CREATE INDEX feedback_open ON feedback (county_id, status, due_at);

-- The 12345 platform's push secret per county (sealed by PersonalDataCipher) and where
-- status callbacks go.
CREATE TABLE hotline_integrations (
    county_id    uuid        PRIMARY KEY REFERENCES counties,
    secret       bytea       NOT NULL,
    callback_url text        CHECK (callback_url ~ '^https?://'),
    updated_by   uuid,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

SELECT make_tenant_table(target) FROM unnest(ARRAY['case_events', 'case_materials', 'feedback', 'hotline_integrations']::regclass[]) AS target;

-- Events and materials follow their case: whoever reads the case reads them (the cases
-- policies apply inside the subquery). Events are written by staff and the channels and
-- never changed; materials are uploaded and reviewed by staff who see the case.
CREATE POLICY read_with_case ON case_events FOR SELECT
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_events.county_id AND c.id = case_events.case_id));
CREATE POLICY staff_or_channel_append ON case_events FOR INSERT
    WITH CHECK ((SELECT app_may_write()) AND actor_user_id = (SELECT app_user_id())
                OR (SELECT app_channel()) IS NOT NULL AND actor_user_id IS NULL);
CREATE POLICY read_with_case ON case_materials FOR SELECT
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_materials.county_id AND c.id = case_materials.case_id));
CREATE POLICY staff_upload ON case_materials FOR INSERT
    WITH CHECK ((SELECT app_may_write()) AND uploaded_by = (SELECT app_user_id())
                AND EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_materials.county_id AND c.id = case_materials.case_id));
CREATE POLICY staff_review ON case_materials FOR UPDATE
    USING ((SELECT app_may_write())
           AND EXISTS (SELECT 1 FROM cases c WHERE c.county_id = case_materials.county_id AND c.id = case_materials.case_id));

-- Feedback: the center reads and answers it; auditors read it; a citizen files it through a
-- channel, staff at a window on a citizen's behalf, and the citizen reads it with number and code.
CREATE POLICY center_reads ON feedback FOR SELECT USING ((SELECT app_sees_county()));
CREATE POLICY filer_reads ON feedback FOR SELECT
    USING (feedback_number = (SELECT app_lookup_number()) AND query_code_hash = (SELECT app_lookup_code_hash()));
CREATE POLICY channel_or_staff_files ON feedback FOR INSERT
    WITH CHECK ((SELECT app_channel()) = 'online' AND created_by IS NULL
                OR (SELECT app_may_write()) AND created_by = (SELECT app_user_id()));
CREATE POLICY center_answers ON feedback FOR UPDATE
    USING ((SELECT app_roles()) && ARRAY['center_manager', 'center_agent']::text[]);

-- The hotline secret: managers set it; a push reads it to check the signature.
CREATE POLICY managers_or_push_read ON hotline_integrations FOR SELECT
    USING ((SELECT app_has_role('center_manager')) OR (SELECT app_channel()) = 'hotline');
CREATE POLICY managers_write ON hotline_integrations FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON hotline_integrations FOR UPDATE USING ((SELECT app_has_role('center_manager')));

-- Feedback numbers, like case numbers, unique per county.
CREATE SEQUENCE feedback_number_seq;
GRANT USAGE ON SEQUENCE feedback_number_seq TO relieflink_app;

GRANT SELECT, INSERT ON case_events TO relieflink_app;
GRANT SELECT, INSERT, UPDATE ON case_materials, feedback, hotline_integrations TO relieflink_app;

-- Files one application: the case in `submitted` and its opening event, in one round trip
-- (intake is the busiest write). Runs as the caller, so every row-level security policy
-- holds: staff file what their policies admit, the channels only what theirs do.
-- Refusals: RLI01 the item is not offered, RLI02 the place is not a township or village.
CREATE FUNCTION file_application(
    case_id uuid, channel intake_channel, window_id uuid, item uuid, item_code text, place uuid, place_code text,
    created_by uuid, description text, green_channel_reason text,
    name_sealed bytea, id_number_sealed bytea, phone_sealed bytea, address_sealed bytea,
    name_masked text, id_number_masked text, phone_masked text, lookup bytea, birth_date date,
    query_code_hash bytea, hotline_order_number text, actor_label text
) RETURNS TABLE (case_number text, submitted_at timestamptz, item_name text, possible_duplicate_of uuid)
LANGUAGE plpgsql AS $$
DECLARE
    chosen record;
    org uuid;
    duplicate uuid;
    number text;
BEGIN
    SELECT i.id, v.version, v.name INTO chosen
    FROM catalog_items i JOIN catalog_item_versions v ON v.county_id = i.county_id AND v.item_id = i.id AND v.version = i.current_version
    WHERE i.retired_at IS NULL AND (i.id = item OR i.code = item_code);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the item is not offered' USING ERRCODE = 'RLI01';
    END IF;
    SELECT o.id INTO org FROM orgs o
    WHERE (o.id = place OR o.division_code = place_code) AND o.tier <> 'county' AND o.active;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such township or village' USING ERRCODE = 'RLI02';
    END IF;
    duplicate := open_case_of_applicant(lookup, chosen.id, case_id);
    number := next_case_number();
    INSERT INTO cases (county_id, id, org_id, org_path, title, created_by, case_number, status, channel, window_id,
                       item_id, item_version, description, green_channel, green_channel_reason,
                       applicant_name, applicant_id_number, applicant_phone, applicant_address,
                       applicant_name_masked, applicant_id_masked, applicant_phone_masked, applicant_lookup,
                       applicant_birth_date, query_code_hash, hotline_order_number, possible_duplicate_of, due_at)
    VALUES (app_county_id(), case_id, org, '', chosen.name || '（' || name_masked || '）', created_by, number, 'submitted',
            channel, window_id, chosen.id, chosen.version, description, green_channel_reason IS NOT NULL, green_channel_reason,
            name_sealed, id_number_sealed, phone_sealed, address_sealed, name_masked, id_number_masked, phone_masked, lookup,
            birth_date, query_code_hash, hotline_order_number, duplicate,
            -- Acceptance within two days (12345 practice, reference/policy.md); the SLA timers
            -- move it to working days on the county's calendar.
            now() + interval '2 days');
    INSERT INTO case_events (county_id, case_id, actor_user_id, actor_org_id, actor_label, action, to_status,
                             visible_to_applicant, detail)
    VALUES (app_county_id(), case_id, created_by,
            CASE WHEN created_by IS NOT NULL THEN (SELECT o.id FROM orgs o WHERE o.path = app_org_path()) END,
            actor_label, 'submitted', 'submitted', true,
            jsonb_strip_nulls(jsonb_build_object('channel', channel, 'green_channel', (green_channel_reason IS NOT NULL)::text,
                                                 'possible_duplicate_of', duplicate)));
    RETURN QUERY SELECT number, now(), chosen.name, duplicate;
END
$$;
