-- Case and feedback numbers count per county. Before, one sequence served every county, so a
-- county's numbers showed how busy the others were, and each county's numbering had gaps.
--
-- A sequence per county and kind, in schema county_serials, made the first time a county
-- numbers one (so a county added later needs nothing): sequences, not counter rows, so that
-- concurrent intakes never queue on a lock. Existing counties continue after the shared
-- sequence's last value, so that no number of today's repeats.
CREATE SCHEMA county_serials;

-- The county's sequence of `kind` ('case', 'feedback'), made on first use. Security definer:
-- the actors may not create anything; they may draw numbers from what it made.
CREATE FUNCTION county_serial_sequence(kind text) RETURNS regclass LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name text := kind || '_' || replace(public.app_county_id()::text, '-', '');
    serial regclass;
BEGIN
    IF kind NOT IN ('case', 'feedback') OR public.app_county_id() IS NULL THEN
        RAISE EXCEPTION 'county_serial_sequence: no county, or an unknown kind %', kind USING ERRCODE = 'invalid_parameter_value';
    END IF;
    serial := to_regclass('county_serials.' || quote_ident(name));
    IF serial IS NULL THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE county_serials.%I', name);
            EXECUTE format('GRANT USAGE ON SEQUENCE county_serials.%I TO relieflink_tables', name);
        EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL;  -- another transaction made it meanwhile
        END;
        serial := to_regclass('county_serials.' || quote_ident(name));
    END IF;
    RETURN serial;
END
$$;
REVOKE ALL ON FUNCTION county_serial_sequence(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION county_serial_sequence(text) TO relieflink_tables;
GRANT USAGE ON SCHEMA county_serials TO relieflink_tables;

-- The county's next number of `kind`.
CREATE FUNCTION county_serial(kind text) RETURNS bigint LANGUAGE sql VOLATILE AS
$$ SELECT nextval(county_serial_sequence(kind)) $$;
GRANT EXECUTE ON FUNCTION county_serial(text) TO relieflink_tables;

DO $$
DECLARE
    county uuid;
    next_case bigint := (SELECT last_value + 1 FROM case_number_seq);
    next_feedback bigint := (SELECT last_value + 1 FROM feedback_number_seq);
BEGIN
    FOR county IN SELECT county_id FROM counties LOOP
        EXECUTE format('CREATE SEQUENCE county_serials.%I START WITH %s', 'case_' || replace(county::text, '-', ''), next_case);
        EXECUTE format('CREATE SEQUENCE county_serials.%I START WITH %s', 'feedback_' || replace(county::text, '-', ''), next_feedback);
        EXECUTE format('GRANT USAGE ON SEQUENCE county_serials.%I, county_serials.%I TO relieflink_tables',
                       'case_' || replace(county::text, '-', ''), 'feedback_' || replace(county::text, '-', ''));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION next_case_number() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN left(county_division_code(), 6) || '-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
           || lpad(county_serial('case')::text, 7, '0');
END
$$;
