-- file_applications() (0017) again, with two changes.
--
-- 1. Applications of one applicant are filed one transaction after another, so that the second
-- always sees the first and is flagged as its possible duplicate (§5.1: flagged to the agent,
-- never merged). Before, two filed at the same moment (two filing groups, two windows, two
-- 12345 pushes) each missed the other, uncommitted, and neither was flagged.
--
-- A transaction-scoped advisory lock per applicant (the look-up hash), taken before the
-- filing statement reads the open cases: under READ COMMITTED that statement's snapshot then
-- holds every earlier filing of the applicant. Keys are taken in ascending order, so two groups
-- sharing applicants cannot deadlock. The locks use the two-key form under class 4012 (the
-- standard's number), apart from the migrator's one-key lock.
--
-- 2. Case numbers count per county (0022's county_serial_sequence), the sequence resolved once
-- per group.
CREATE OR REPLACE FUNCTION file_applications(
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
    -- Case numbers: county code, Shanghai date, then the county's own next serial (0022).
    number_prefix text := left(county_division_code(), 6) || '-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-';
    case_serial regclass := county_serial_sequence('case');
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
    -- One applicant at a time (see above): the lock is taken before this statement's snapshot.
    PERFORM pg_advisory_xact_lock(4012, key)
    FROM (SELECT DISTINCT hashtext(app_county_id()::text || encode(lookup, 'hex')) AS key
          FROM unnest(lookups) AS lookup WHERE lookup IS NOT NULL) applicants
    ORDER BY key;
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
            SELECT x.*, number_prefix || lpad(nextval(case_serial)::text, 7, '0') AS number
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

