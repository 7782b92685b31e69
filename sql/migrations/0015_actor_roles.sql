-- ReliefLink schema, migration 0015: each kind of actor acts as a role of its own, and the
-- policies on cases that serve one kind name its role.
--
-- Every permissive policy of a table is OR'ed into every query on it, and PostgreSQL reads a
-- row's columns up to the last one any policy mentions. A township agent's case list paid for
-- the applicant's look-up (case_number, query_code_hash), the 12345 channel's (column 27), the
-- job runner's and the departments' (department_ids, column 44 of 47) on every row it passed
-- over, and planned ten init plans per query: 1.6 times the owner's time for the same rows.
--
-- Now the store opens every transaction with set_config('role', …, true) (Store.swift), as one
-- of: relieflink_staff, relieflink_department (staff holding a department role),
-- relieflink_public (citizens online, the 12345 platform, applicants' look-ups, sign-in) and
-- relieflink_jobs (the job runner acting for a county). A policy `TO relieflink_staff` is not
-- even planned for the others. The context settings (app.*) still decide every row, and a
-- transaction that did not take a role sees only the policies for everyone.
--
-- relieflink_app, which login roles are members of, is NOINHERIT: its members may SET ROLE to
-- the actor roles below (granted to it) without holding their policies themselves. The actor
-- roles take their privileges from relieflink_tables, which receives every privilege
-- relieflink_app holds here. Later migrations grant what store transactions use to
-- relieflink_tables, and to relieflink_app what the login uses outside them (the job queue's
-- own statements).

DO $$
DECLARE
    actor text;
BEGIN
    FOREACH actor IN ARRAY ARRAY['relieflink_tables', 'relieflink_staff', 'relieflink_department',
                                 'relieflink_public', 'relieflink_jobs'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', actor);
        EXCEPTION
            -- Roles belong to the cluster: another database may have made them.
            WHEN duplicate_object OR unique_violation THEN NULL;
        END;
    END LOOP;
END
$$;
GRANT relieflink_tables TO relieflink_staff, relieflink_department, relieflink_public, relieflink_jobs;
GRANT relieflink_staff, relieflink_department, relieflink_public, relieflink_jobs TO relieflink_app;

-- What relieflink_app may do in this database, relieflink_tables may do too.
DO $$
DECLARE
    grant_ record;
BEGIN
    FOR grant_ IN
        SELECT format('GRANT %s ON %s %s TO relieflink_tables', a.privilege_type,
                      CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass) AS statement
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
        WHERE a.grantee = 'relieflink_app'::regrole
        UNION ALL
        SELECT format('GRANT %s (%I) ON TABLE %s TO relieflink_tables', a.privilege_type, att.attname, att.attrelid::regclass)
        FROM pg_attribute att CROSS JOIN LATERAL aclexplode(att.attacl) a
        WHERE a.grantee = 'relieflink_app'::regrole
        UNION ALL
        SELECT format('GRANT %s ON FUNCTION %s TO relieflink_tables', a.privilege_type, p.oid::regprocedure)
        FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
        WHERE a.grantee = 'relieflink_app'::regrole
        UNION ALL
        SELECT format('GRANT %s ON SCHEMA %I TO relieflink_tables', a.privilege_type, n.nspname)
        FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
        WHERE a.grantee = 'relieflink_app'::regrole
    LOOP
        EXECUTE grant_.statement;
    END LOOP;
END
$$;

-- The org subtree whose cases the user sees: the whole county (its root) for the center, the
-- joint office and auditors; their own township or village for township and village staff;
-- NULL for everyone else, which matches no row.
CREATE FUNCTION app_visible_path() RETURNS ltree LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN app_sees_county() THEN subpath(app_org_path(), 0, 1)
                WHEN app_roles() && ARRAY['township_agent', 'village_agent']::text[] THEN app_org_path() END
$$;

-- Reading cases, one policy per kind of actor. Staff: by org alone, two init plans and columns
-- 1 and 4. Departments: also what was dispatched to them.
DROP POLICY read_cases ON cases;
CREATE POLICY read_cases ON cases FOR SELECT TO relieflink_staff
    USING (org_path <@ (SELECT app_visible_path()));
CREATE POLICY read_cases_of_department ON cases FOR SELECT TO relieflink_department
    USING (org_path <@ (SELECT app_visible_path()) OR (SELECT app_department_id()) = ANY (department_ids));
ALTER POLICY applicant_reads ON cases TO relieflink_public;
ALTER POLICY hotline_reads_orders ON cases TO relieflink_public;
ALTER POLICY job_runner_reads ON cases TO relieflink_jobs;
