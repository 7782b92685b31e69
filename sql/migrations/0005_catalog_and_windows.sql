-- ReliefLink schema, migration 0005: the item catalog (§6.1.3) and service windows (§6.1.4).
--
-- An item is a stable identity; every edit writes a new, immutable version, and a case keeps
-- the version it was handled under, so a later edit never rewrites what an applicant was told.

-- Citizens and the 12345 platform act without an account: the store sets app.channel to
-- 'online' or 'hotline' (and the county) for them, and policies admit exactly their steps.
CREATE FUNCTION app_channel() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.channel', true), '') $$;

-- The 8+1 kinds of the social assistance framework (reference/policy.md).
CREATE TYPE relief_kind AS ENUM (
    'minimum_living', 'destitute_support', 'disaster', 'medical', 'education', 'housing',
    'employment', 'temporary', 'social_participation');

CREATE TABLE catalog_items (
    county_id       uuid        NOT NULL REFERENCES counties,
    id              uuid        NOT NULL,
    -- A short stable code staff and the 12345 platform use, e.g. dibao.
    code            text        NOT NULL CHECK (code ~ '^[a-z0-9_-]{2,40}$'),
    kind            relief_kind NOT NULL,
    current_version integer     NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    retired_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, code)
);

-- One version of an item: all eight attributes §6.1.3.1 names. `materials` is the list of
-- required materials, each with its review standard (§6.1.3.2): key, name, required, form,
-- key points, common problems, error examples. Versions are never updated.
CREATE TABLE catalog_item_versions (
    county_id       uuid        NOT NULL,
    item_id         uuid        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    department_id   uuid        NOT NULL,
    target_group    text        NOT NULL CHECK (length(target_group) BETWEEN 1 AND 2000),
    process         text        NOT NULL CHECK (length(process) BETWEEN 1 AND 4000),
    relief_content  text        NOT NULL CHECK (length(relief_content) BETWEEN 1 AND 4000),
    policy_basis    text        NOT NULL CHECK (length(policy_basis) BETWEEN 1 AND 2000),
    time_limit_days integer     NOT NULL CHECK (time_limit_days BETWEEN 1 AND 365),
    materials       jsonb       NOT NULL CHECK (jsonb_typeof(materials) = 'array'),
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, item_id, version),
    FOREIGN KEY (county_id, item_id) REFERENCES catalog_items (county_id, id),
    FOREIGN KEY (county_id, department_id) REFERENCES departments (county_id, id)
);

-- Service windows and function areas (§6.1.4) at the county center and the township and
-- village service centers, with the items each serves.
CREATE TABLE service_windows (
    county_id     uuid        NOT NULL REFERENCES counties,
    id            uuid        NOT NULL,
    org_id        uuid        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    function_area text        NOT NULL CHECK (length(function_area) BETWEEN 1 AND 100),
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, org_id, name),
    FOREIGN KEY (county_id, org_id) REFERENCES orgs (county_id, id)
);

CREATE TABLE window_items (
    county_id uuid NOT NULL,
    window_id uuid NOT NULL,
    item_id   uuid NOT NULL,
    PRIMARY KEY (county_id, window_id, item_id),
    FOREIGN KEY (county_id, window_id) REFERENCES service_windows (county_id, id),
    FOREIGN KEY (county_id, item_id) REFERENCES catalog_items (county_id, id)
);

-- Makes a table a tenant table: row-level security enabled and forced on the owner too, and
-- the county boundary as the RESTRICTIVE policy every other policy is ANDed with.
CREATE FUNCTION make_tenant_table(target regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format('CREATE POLICY county_boundary ON %s AS RESTRICTIVE USING (county_id = (SELECT app_county_id())) '
                   'WITH CHECK (county_id = (SELECT app_county_id()))', target);
END
$$;
REVOKE ALL ON FUNCTION make_tenant_table(regclass) FROM PUBLIC;

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['catalog_items', 'catalog_item_versions', 'service_windows', 'window_items']
    LOOP
        PERFORM make_tenant_table(tenant_table::regclass);
        -- Staff and citizens choosing what to apply for read the catalog and the windows.
        EXECUTE format('CREATE POLICY read_catalog ON %I FOR SELECT '
                       'USING ((SELECT app_user_id()) IS NOT NULL OR (SELECT app_channel()) IS NOT NULL)', tenant_table);
        EXECUTE format('CREATE POLICY managers_write ON %I FOR INSERT WITH CHECK ((SELECT app_has_role(''center_manager'')))',
                       tenant_table);
    END LOOP;
END
$$;
CREATE POLICY managers_update ON catalog_items FOR UPDATE USING ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON service_windows FOR UPDATE USING ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_delete ON window_items FOR DELETE USING ((SELECT app_has_role('center_manager')));

-- Citizens pick their village when applying online, and read which department implements
-- an item: the org tree and the department names are public within a county.
CREATE POLICY read_by_channel ON orgs FOR SELECT USING ((SELECT app_channel()) IS NOT NULL);
CREATE POLICY read_by_channel ON departments FOR SELECT USING ((SELECT app_channel()) IS NOT NULL);

GRANT SELECT, INSERT, UPDATE ON catalog_items, service_windows TO relieflink_app;
GRANT SELECT, INSERT ON catalog_item_versions TO relieflink_app;
GRANT SELECT, INSERT, DELETE ON window_items TO relieflink_app;
