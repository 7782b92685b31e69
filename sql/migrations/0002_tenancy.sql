-- ReliefLink schema, migration 0002: tenants, people and row-level security.
--
-- The county is the tenant. Every table carries county_id, and every primary and foreign
-- key includes it, so the schema can be distributed by county_id (Citus) when a province
-- outgrows one server. PostgreSQL enforces who sees which rows (DESIGN.md, "Tenancy").

-- The application's role: owns nothing, cannot bypass row-level security. `serve` and `jobs`
-- connect as it (or as a login role granted it); migrations run as the owner.
-- Roles belong to the whole cluster, so several databases migrating at once may race here.
DO $$
BEGIN
    CREATE ROLE relieflink_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

CREATE TYPE org_tier AS ENUM ('county', 'township', 'village');
CREATE TYPE department_kind AS ENUM ('relief_center', 'joint_office', 'department');
CREATE TYPE app_role AS ENUM (
    'center_manager', 'center_agent', 'joint_office', 'department_manager', 'department_agent',
    'township_agent', 'village_agent', 'auditor');

-- The request's context, set transaction-locally by the store's one entry point
-- (set_config(..., true) with bound values). Each reader returns NULL when it is missing,
-- so every policy built on them fails closed.
CREATE FUNCTION app_county_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.county_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION app_org_path() RETURNS ltree LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.org_path', true), '')::ltree $$;
CREATE FUNCTION app_department_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.department_id', true), '')::uuid $$;
-- Roles as text, comma-separated: comparing text arrays needs no enum look-ups per statement.
CREATE FUNCTION app_roles() RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(string_to_array(nullif(current_setting('app.roles', true), ''), ','), '{}') $$;
-- Center managers and agents, the joint office and auditors see their whole county.
CREATE FUNCTION app_sees_county() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT app_roles() && ARRAY['center_manager', 'center_agent', 'joint_office', 'auditor']::text[] $$;
CREATE FUNCTION app_has_role(wanted app_role) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT wanted::text = ANY (app_roles()) $$;
CREATE FUNCTION app_may_write() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT app_roles() && ARRAY['center_manager', 'center_agent', 'joint_office', 'department_manager',
                               'department_agent', 'township_agent', 'village_agent']::text[] $$;

CREATE TABLE counties (
    county_id     uuid        PRIMARY KEY,
    division_code char(12)    NOT NULL UNIQUE CHECK (division_code ~ '^[0-9]{6}000000$'),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orgs (
    county_id     uuid        NOT NULL REFERENCES counties,
    id            uuid        NOT NULL,
    tier          org_tier    NOT NULL,
    division_code char(12)    NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    parent_id     uuid,
    -- Division codes from the county down, e.g. 320281000000.320281100000.320281100201.
    path          ltree       NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, division_code),
    FOREIGN KEY (county_id, parent_id) REFERENCES orgs (county_id, id),
    CHECK ((tier = 'county') = (parent_id IS NULL))
);
CREATE INDEX orgs_path ON orgs USING gist (path);

CREATE TABLE departments (
    county_id  uuid            NOT NULL REFERENCES counties,
    id         uuid            NOT NULL,
    kind       department_kind NOT NULL,
    name       text            NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    active     boolean         NOT NULL DEFAULT true,
    created_at timestamptz     NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, name)
);
-- One relief center and one joint-meeting office per county.
CREATE UNIQUE INDEX departments_one_special ON departments (county_id, kind) WHERE kind <> 'department';

-- Staff accounts. Usernames are unique within a county; sign-in names the county's code too.
CREATE TABLE users (
    county_id           uuid        NOT NULL REFERENCES counties,
    id                  uuid        NOT NULL,
    username            text        NOT NULL CHECK (username ~ '^[a-z0-9_.-]{3,64}$'),
    display_name        text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash       text        NOT NULL,
    org_id              uuid        NOT NULL,
    department_id       uuid,
    active              boolean     NOT NULL DEFAULT true,
    failed_sign_ins     integer     NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, username),
    FOREIGN KEY (county_id, org_id) REFERENCES orgs (county_id, id),
    FOREIGN KEY (county_id, department_id) REFERENCES departments (county_id, id)
);

CREATE TABLE role_grants (
    county_id  uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    role       app_role    NOT NULL,
    granted_by uuid,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, user_id, role),
    FOREIGN KEY (county_id, user_id) REFERENCES users (county_id, id)
);

-- Applications (cases). This migration holds what row-level security needs; the workflow
-- issue adds the rest of a case.
CREATE TABLE cases (
    county_id  uuid        NOT NULL REFERENCES counties,
    id         uuid        NOT NULL,
    -- The applicant's village (or township): who below the county may see the case.
    org_id     uuid        NOT NULL,
    org_path   ltree       NOT NULL,
    title      text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, id),
    FOREIGN KEY (county_id, org_id) REFERENCES orgs (county_id, id)
);
CREATE INDEX cases_org_path ON cases USING gist (org_path);
CREATE INDEX cases_created ON cases (county_id, created_at DESC);

-- Which departments a case was dispatched to (§5.3): they see it.
CREATE TABLE case_assignments (
    county_id     uuid        NOT NULL,
    case_id       uuid        NOT NULL,
    department_id uuid        NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, case_id, department_id),
    FOREIGN KEY (county_id, case_id) REFERENCES cases (county_id, id),
    FOREIGN KEY (county_id, department_id) REFERENCES departments (county_id, id)
);
CREATE INDEX case_assignments_department ON case_assignments (county_id, department_id, case_id);

-- A case's org path is the path of its org, whatever the caller sent.
CREATE FUNCTION cases_set_org_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT path INTO NEW.org_path FROM orgs WHERE county_id = NEW.county_id AND id = NEW.org_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER cases_org_path BEFORE INSERT OR UPDATE OF org_id ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_set_org_path();

-- Whether the current user may see a case: the county-wide roles all of it; township and
-- village staff their subtree; department staff what was dispatched to their department.
-- Each role test is a scalar subquery, evaluated once per statement (an init plan), so per
-- row only the branch that can be true runs: nothing for the county-wide roles, one ltree
-- comparison for township and village staff, one index probe for department staff.
CREATE FUNCTION app_sees_case(case_county uuid, case_id uuid, case_path ltree) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (SELECT app_sees_county())
        OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[])
            AND case_path <@ (SELECT app_org_path()))
        OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[]) AND EXISTS (
                SELECT 1 FROM case_assignments a
                WHERE a.county_id = case_county AND a.case_id = app_sees_case.case_id
                  AND a.department_id = (SELECT app_department_id())))
$$;

-- Row-level security: on every tenant table, ENABLE and FORCE; the county boundary is a
-- RESTRICTIVE policy that every other policy is ANDed with.
DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['counties', 'orgs', 'departments', 'users', 'role_grants', 'cases', 'case_assignments']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('CREATE POLICY county_boundary ON %I AS RESTRICTIVE USING (county_id = (SELECT app_county_id())) '
                       'WITH CHECK (county_id = (SELECT app_county_id()))', tenant_table);
    END LOOP;
END
$$;

-- Everyone signed in to a county reads its org tree and departments (to route work); only
-- center managers change them.
CREATE POLICY read_signed_in ON counties FOR SELECT USING ((SELECT app_user_id()) IS NOT NULL);
CREATE POLICY read_signed_in ON orgs FOR SELECT USING ((SELECT app_user_id()) IS NOT NULL);
CREATE POLICY read_signed_in ON departments FOR SELECT USING ((SELECT app_user_id()) IS NOT NULL);
CREATE POLICY managers_write ON orgs FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON orgs FOR UPDATE USING ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_write ON departments FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON departments FOR UPDATE USING ((SELECT app_has_role('center_manager')));

-- Users: the county-wide roles see every account; anyone sees their own. Managers write.
CREATE POLICY read_users ON users FOR SELECT
    USING ((SELECT app_sees_county()) OR id = (SELECT app_user_id()));
CREATE POLICY managers_write ON users FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY update_users ON users FOR UPDATE
    USING ((SELECT app_has_role('center_manager')) OR id = (SELECT app_user_id()));
CREATE POLICY read_grants ON role_grants FOR SELECT
    USING ((SELECT app_sees_county()) OR user_id = (SELECT app_user_id()));
CREATE POLICY managers_write ON role_grants FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_delete ON role_grants FOR DELETE USING ((SELECT app_has_role('center_manager')));

-- Cases: read as app_sees_case says; written by staff who see them (never by auditors);
-- never deleted (nothing a case refers to is ever hard-deleted).
-- Written out rather than calling app_sees_case(), so the role tests become init plans of the
-- query itself (a function call in a policy is evaluated row by row).
CREATE POLICY read_cases ON cases FOR SELECT USING (
    (SELECT app_sees_county())
    OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path()))
    OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[]) AND EXISTS (
            SELECT 1 FROM case_assignments a
            WHERE a.county_id = cases.county_id AND a.case_id = cases.id AND a.department_id = (SELECT app_department_id()))));
CREATE POLICY insert_cases ON cases FOR INSERT WITH CHECK (
    (SELECT app_may_write()) AND ((SELECT app_sees_county())
        OR ((SELECT app_roles()) && ARRAY['township_agent', 'village_agent']::text[] AND org_path <@ (SELECT app_org_path()))));
CREATE POLICY update_cases ON cases FOR UPDATE
    USING ((SELECT app_may_write()) AND (
        (SELECT app_sees_county())
        OR ((SELECT app_roles() && ARRAY['township_agent', 'village_agent']::text[]) AND org_path <@ (SELECT app_org_path()))
        OR ((SELECT app_roles() && ARRAY['department_manager', 'department_agent']::text[]) AND EXISTS (
                SELECT 1 FROM case_assignments a
                WHERE a.county_id = cases.county_id AND a.case_id = cases.id AND a.department_id = (SELECT app_department_id())))))
    WITH CHECK ((SELECT app_may_write()) AND app_sees_case(county_id, id, org_path));
CREATE POLICY read_assignments ON case_assignments FOR SELECT
    USING ((SELECT app_sees_county()) OR department_id = (SELECT app_department_id()));
CREATE POLICY center_assigns ON case_assignments FOR INSERT
    WITH CHECK ((SELECT app_roles()) && ARRAY['center_manager', 'center_agent', 'joint_office']::text[]);

GRANT USAGE ON SCHEMA public TO relieflink_app;
GRANT SELECT ON counties TO relieflink_app;
GRANT SELECT, INSERT, UPDATE ON orgs, departments, users, cases TO relieflink_app;
GRANT SELECT, INSERT, DELETE ON role_grants TO relieflink_app;
GRANT SELECT, INSERT ON case_assignments TO relieflink_app;
-- Readiness checks read which migrations are applied.
GRANT SELECT ON schema_migrations TO relieflink_app;
