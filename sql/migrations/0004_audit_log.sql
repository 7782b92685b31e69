-- ReliefLink schema, migration 0004: the audit log (GB/T 37973: auditability).
--
-- Append-only and hash-chained per county: each row's hash covers its content and the previous
-- row's hash, so an edited, removed or reordered row breaks the chain, and
-- `relieflink audit verify` names the first row that does.

CREATE TABLE audit_log (
    county_id      uuid        NOT NULL REFERENCES counties,
    seq            bigint      NOT NULL,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id  uuid,
    action         text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    object_type    text        NOT NULL CHECK (length(object_type) BETWEEN 1 AND 100),
    object_id      text,
    client_address text,
    detail         jsonb       NOT NULL DEFAULT '{}',
    prev_hash      bytea       NOT NULL,
    hash           bytea       NOT NULL,
    PRIMARY KEY (county_id, seq)
);

-- The end of each county's chain; appends lock it, so they line up one after another.
CREATE TABLE audit_heads (
    county_id uuid   PRIMARY KEY REFERENCES counties,
    seq       bigint NOT NULL,
    hash      bytea  NOT NULL
);

-- The exact text a row's hash covers (jsonb's text form is canonical).
CREATE FUNCTION audit_payload(entry audit_log) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(concat_ws('|', entry.county_id::text, entry.seq::text,
        to_char(entry.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), coalesce(entry.actor_user_id::text, ''),
        entry.action, entry.object_type, coalesce(entry.object_id, ''), coalesce(entry.client_address, ''),
        entry.detail::text), 'UTF8')
$$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head audit_heads;
BEGIN
    INSERT INTO audit_heads (county_id, seq, hash) VALUES (NEW.county_id, 0, '\x'::bytea)
        ON CONFLICT (county_id) DO NOTHING;
    SELECT * INTO head FROM audit_heads WHERE county_id = NEW.county_id FOR UPDATE;
    NEW.seq := head.seq + 1;
    NEW.at := clock_timestamp();
    NEW.prev_hash := head.hash;
    NEW.hash := sha256(NEW.prev_hash || audit_payload(NEW));
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE county_id = NEW.county_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY county_boundary ON audit_log AS RESTRICTIVE
    USING (county_id = (SELECT app_county_id())) WITH CHECK (county_id = (SELECT app_county_id()));
CREATE POLICY county_boundary ON audit_heads AS RESTRICTIVE
    USING (county_id = (SELECT app_county_id())) WITH CHECK (county_id = (SELECT app_county_id()));
-- Anyone acting in a county appends; center managers and auditors read.
CREATE POLICY append ON audit_log FOR INSERT WITH CHECK (true);
CREATE POLICY read_audit ON audit_log FOR SELECT
    USING ((SELECT app_roles()) && ARRAY['center_manager', 'auditor']::text[]);
CREATE POLICY chain ON audit_heads USING (true) WITH CHECK (true);

GRANT SELECT, INSERT ON audit_log TO relieflink_app;
GRANT SELECT, INSERT, UPDATE ON audit_heads TO relieflink_app;
