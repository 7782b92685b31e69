-- ReliefLink schema, migration 0017: applications are filed in groups.
--
-- Filing one application cost PostgreSQL about a millisecond and a half of CPU, most of it
-- fixed per statement, not per case: starting the plans of a dozen statements inside
-- file_application() and, for every case, an SLA-sync enqueue (a plpgsql call, an INSERT and
-- its statement trigger) and an org-path trigger. Online intake now gathers the applications
-- that arrive while a filing is under way and files them together (Intake.applyOnline), each
-- statement runs once for the group, new cases ask for their SLA syncs in one INSERT, and a
-- foreign key replaces the org-path trigger.
--
-- file_applications() takes one array per field, a row per application, and answers a row
-- per application in the same order: filed (number, time, item, possible duplicate) or
-- refused (RLI01: the item is not offered; RLI02: the place is not a township or village),
-- the others filed regardless. It still runs as the caller, so every policy holds.

-- The oldest open case of each (applicant, item) pair, anywhere in the county: the group
-- form of open_case_of_applicant(). Each pair is looked up on its own through
-- cases_open_by_applicant (a lateral join cannot be turned into a hash join over the county's
-- open cases), and the oldest of its one or two matches is taken by aggregate, not by
-- ORDER BY … LIMIT, which could walk another index in time order (see 0014).
CREATE FUNCTION open_cases_of_applicants(lookups bytea[], items uuid[])
RETURNS TABLE (lookup bytea, item uuid, case_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT q.lookup, q.item, oldest.id
        FROM (SELECT DISTINCT u.lookup, u.item FROM unnest(lookups, items) AS u(lookup, item)) q
        CROSS JOIN LATERAL (
            SELECT (array_agg(c.id ORDER BY c.created_at, c.case_number))[1] AS id FROM cases c
            WHERE c.county_id = app_county_id() AND c.applicant_lookup = q.lookup AND c.item_id = q.item
              AND c.status IN ('submitted', 'dispatched', 'joint_review', 'in_progress')) oldest
        WHERE oldest.id IS NOT NULL;
END
$$;
REVOKE ALL ON FUNCTION open_cases_of_applicants(bytea[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_cases_of_applicants(bytea[], uuid[]) TO relieflink_tables;
-- Their single forms have no caller left.
DROP FUNCTION open_case_of_applicant(bytea, uuid, uuid);
DROP FUNCTION next_case_number();

-- New cases ask for their SLA sync in one INSERT per statement, not one enqueue_now() per
-- row. The conflict rule is enqueue_now()'s (while a job with the key is open, bring it
-- forward, or run it again if running); a new case has no open job, so it never applies
-- here, but a copy that behaved differently would be a trap. No NOTIFY (see 0013).
CREATE FUNCTION sla_sync_requested_by_new_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, state, unique_key, tenant, wake)
    SELECT 'sla.sync', jsonb_build_object('countyID', n.county_id, 'caseID', n.id), 'sla',
           (CASE WHEN n.green_channel THEN 1 ELSE 4 END)::smallint, 'available', 'sla.sync:' || n.id, n.county_id, false
    FROM inserted n
    WHERE n.case_number IS NOT NULL
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
    DO UPDATE SET
        run_at = CASE WHEN j.state = 'running' THEN j.run_at ELSE least(j.run_at, now()) END,
        state = CASE WHEN j.state = 'scheduled' THEN 'available' ELSE j.state END,
        rerun = j.rerun OR j.state = 'running';
    RETURN NULL;
END
$$;
DROP TRIGGER cases_sla_sync ON cases;
CREATE TRIGGER cases_sla_sync AFTER UPDATE OF status, awaiting_applicant_since ON cases
    FOR EACH ROW WHEN (NEW.case_number IS NOT NULL) EXECUTE FUNCTION sla_sync_requested_by_case();
CREATE TRIGGER cases_sla_sync_filed AFTER INSERT ON cases
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION sla_sync_requested_by_new_cases();

-- A case's org path is its org's path by constraint, not by a trigger rewriting every new
-- case (a plpgsql call and a query per row; the foreign key checked the same row again). The
-- key also carries a path change of an org to its cases. The key to counties goes: the org's
-- own key to its county covers it.
CREATE UNIQUE INDEX orgs_path_of_id ON orgs (county_id, id, path);
ALTER TABLE cases
    DROP CONSTRAINT cases_county_id_org_id_fkey,
    DROP CONSTRAINT cases_county_id_fkey,
    ADD CONSTRAINT cases_org FOREIGN KEY (county_id, org_id, org_path) REFERENCES orgs (county_id, id, path) ON UPDATE CASCADE;
DROP TRIGGER cases_org_path ON cases;
DROP FUNCTION cases_set_org_path();

DROP FUNCTION file_application(uuid, intake_channel, uuid, uuid, text, uuid, text, uuid, text, text, bytea, bytea, bytea, bytea,
                               text, text, text, bytea, date, bytea, text, text);

-- Files a group of applications of one channel (and, at a window, one window and one clerk).
-- A second application of the same applicant for the same item in one group is flagged as a
-- possible duplicate of the first, as it would be had they come one after the other.
CREATE FUNCTION file_applications(
    channel intake_channel, window_id uuid, created_by uuid, actor_label text,
    case_ids uuid[], items uuid[], item_codes text[], places uuid[], place_codes text[],
    descriptions text[], green_channel_reasons text[],
    names_sealed bytea[], id_numbers_sealed bytea[], phones_sealed bytea[], addresses_sealed bytea[],
    names_masked text[], id_numbers_masked text[], phones_masked text[], lookups bytea[], birth_dates date[],
    query_code_hashes bytea[], hotline_order_numbers text[]
) RETURNS TABLE (case_id uuid, refusal text, case_number text, submitted_at timestamptz, item_name text,
                 possible_duplicate_of uuid)
LANGUAGE plpgsql AS $$
DECLARE
    -- Case numbers: county code, Shanghai date, then case_number_seq's next value (0006).
    number_prefix text := left(county_division_code(), 6) || '-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-';
    actor_org uuid := CASE WHEN created_by IS NOT NULL THEN (SELECT o.id FROM orgs o WHERE o.path = app_org_path()) END;
BEGIN
    -- unnest() would pad a short array with NULLs and file what nobody sent.
    IF (SELECT count(DISTINCT coalesce(n, -1)) FROM unnest(ARRAY[
            cardinality(case_ids), cardinality(items), cardinality(item_codes), cardinality(places), cardinality(place_codes),
            cardinality(descriptions), cardinality(green_channel_reasons), cardinality(names_sealed),
            cardinality(id_numbers_sealed), cardinality(phones_sealed), cardinality(addresses_sealed),
            cardinality(names_masked), cardinality(id_numbers_masked), cardinality(phones_masked), cardinality(lookups),
            cardinality(birth_dates), cardinality(query_code_hashes), cardinality(hotline_order_numbers)]) AS n) <> 1 THEN
        RAISE EXCEPTION 'file_applications takes arrays of one length' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH application AS (
        SELECT a.*, chosen.id AS item_id, chosen.version AS item_version, chosen.name AS item_name, place.id AS org_id,
               place.path AS org_path
        FROM unnest(case_ids, items, item_codes, places, place_codes, descriptions, green_channel_reasons,
                    names_sealed, id_numbers_sealed, phones_sealed, addresses_sealed, names_masked, id_numbers_masked,
                    phones_masked, lookups, birth_dates, query_code_hashes, hotline_order_numbers)
             WITH ORDINALITY AS a(case_id, item, item_code, place, place_code, description, green_channel_reason,
                                  name_sealed, id_number_sealed, phone_sealed, address_sealed, name_masked, id_number_masked,
                                  phone_masked, lookup, birth_date, query_code_hash, hotline_order_number, position)
        LEFT JOIN LATERAL (
            SELECT i.id, v.version, v.name
            FROM catalog_items i JOIN catalog_item_versions v ON v.county_id = i.county_id AND v.item_id = i.id AND v.version = i.current_version
            WHERE i.retired_at IS NULL AND (i.id = a.item OR i.code = a.item_code)
            LIMIT 1) chosen ON true
        LEFT JOIN LATERAL (
            SELECT o.id, o.path FROM orgs o
            WHERE (o.id = a.place OR o.division_code = a.place_code) AND o.tier <> 'county' AND o.active
            LIMIT 1) place ON true
    ), accepted AS MATERIALIZED (
        SELECT a.*, coalesce(open.case_id, CASE WHEN a.lookup IS NOT NULL
                                                THEN nullif(first_value(a.case_id) OVER same_applicant, a.case_id) END) AS duplicate
        FROM (
            -- Numbered in the order the applications came (volatile outputs follow the sort).
            SELECT x.*, number_prefix || lpad(nextval('case_number_seq')::text, 7, '0') AS number
            FROM application x WHERE x.item_id IS NOT NULL AND x.org_id IS NOT NULL
            ORDER BY x.position) a
        LEFT JOIN open_cases_of_applicants(
            (SELECT array_agg(x.lookup) FROM application x WHERE x.item_id IS NOT NULL),
            (SELECT array_agg(x.item_id) FROM application x WHERE x.item_id IS NOT NULL)) open
            ON open.lookup = a.lookup AND open.item = a.item_id
        WINDOW same_applicant AS (PARTITION BY a.lookup, a.item_id ORDER BY a.position)
    ), filed AS (
        INSERT INTO cases (county_id, id, org_id, org_path, title, created_by, case_number, status, channel, window_id,
                           item_id, item_version, description, green_channel, green_channel_reason,
                           applicant_name, applicant_id_number, applicant_phone, applicant_address,
                           applicant_name_masked, applicant_id_masked, applicant_phone_masked, applicant_lookup,
                           applicant_birth_date, query_code_hash, hotline_order_number, possible_duplicate_of, due_at)
        SELECT app_county_id(), a.case_id, a.org_id, a.org_path, a.item_name || '（' || a.name_masked || '）', created_by, a.number,
               'submitted', channel, window_id, a.item_id, a.item_version, a.description, a.green_channel_reason IS NOT NULL,
               a.green_channel_reason, a.name_sealed, a.id_number_sealed, a.phone_sealed, a.address_sealed, a.name_masked,
               a.id_number_masked, a.phone_masked, a.lookup, a.birth_date, a.query_code_hash, a.hotline_order_number,
               a.duplicate,
               -- Acceptance within two days (12345 practice, reference/policy.md); the SLA
               -- timers move it to working days on the county's calendar.
               now() + interval '2 days'
        FROM accepted a
        ORDER BY a.position
    ), opened AS (
        INSERT INTO case_events (county_id, case_id, actor_user_id, actor_org_id, actor_label, action, to_status,
                                 visible_to_applicant, detail)
        SELECT app_county_id(), a.case_id, created_by, actor_org, actor_label, 'submitted', 'submitted', true,
               jsonb_strip_nulls(jsonb_build_object('channel', channel, 'green_channel', (a.green_channel_reason IS NOT NULL)::text,
                                                    'possible_duplicate_of', a.duplicate))
        FROM accepted a
        ORDER BY a.position
    )
    SELECT a.case_id,
           CASE WHEN a.item_id IS NULL THEN 'RLI01' WHEN a.org_id IS NULL THEN 'RLI02' END,
           f.number, now(), a.item_name, f.duplicate
    FROM application a LEFT JOIN accepted f ON f.case_id = a.case_id
    ORDER BY a.position;
END
$$;
