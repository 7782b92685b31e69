-- Applications of one applicant are filed one transaction after another, so that the second
-- always sees the first and is flagged as its possible duplicate (§5.1: flagged to the agent,
-- never merged). Before, two filed at the same moment (two filing groups, two windows, two
-- 12345 pushes) each missed the other, uncommitted, and neither was flagged.
--
-- A transaction-scoped advisory lock per applicant (the look-up hash), taken before the
-- filing statement reads the open cases: under READ COMMITTED that statement's snapshot then
-- holds every earlier filing of the applicant. Keys are taken in ascending order, so two groups
-- sharing applicants cannot deadlock. The locks use the two-key form under class 4012 (the
-- standard's number), apart from the migrator's one-key lock.
ALTER FUNCTION file_applications(intake_channel, uuid, uuid, text, uuid[], uuid[], text[], uuid[], text[], text[], text[],
                                 bytea[], bytea[], bytea[], bytea[], text[], text[], text[], bytea[], date[], bytea[], text[])
    RENAME TO file_applications_unserialized;

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
BEGIN
    PERFORM pg_advisory_xact_lock(4012, key)
    FROM (SELECT DISTINCT hashtext(app_county_id()::text || encode(lookup, 'hex')) AS key
          FROM unnest(lookups) AS lookup WHERE lookup IS NOT NULL) applicants
    ORDER BY key;
    RETURN QUERY SELECT * FROM file_applications_unserialized(
        channel, window_id, created_by, actor_label, case_ids, items, item_codes, places, place_codes, descriptions,
        green_channel_reasons, names_sealed, id_numbers_sealed, phones_sealed, addresses_sealed, names_masked,
        id_numbers_masked, phones_masked, lookups, birth_dates, query_code_hashes, hotline_order_numbers);
END
$$;
