-- ReliefLink schema, migration 0016: staff who see the whole county act as a role of their own.
--
-- The center, the joint office and auditors see every case of their county, so the staff
-- policy's test `org_path <@ (SELECT app_visible_path())` held for every row they read: an
-- init plan to build the county's root path, a filter compiled and run on every row, and a
-- copy of each row's path to compare it. Their first page of cases cost 1.2 times the owner's
-- query with the same WHERE clause (bench rls). As relieflink_county_staff they are read by
-- the county boundary alone, the same test the owner writes.
--
-- The store takes this role only for a context holding a county-wide role (DatabaseActor);
-- the context settings are the store's word as much as the role is. relieflink_staff keeps
-- township and village staff, who are read by their org's subtree.

DO $$
BEGIN
    CREATE ROLE relieflink_county_staff NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION
    -- Roles belong to the cluster: another database may have made it.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
GRANT relieflink_tables TO relieflink_county_staff;
GRANT relieflink_county_staff TO relieflink_app;

CREATE POLICY read_county_cases ON cases FOR SELECT TO relieflink_county_staff USING (true);

-- Paths are short (three labels of twelve digits). Stored plain, a row's path keeps its
-- four-byte header, and comparing it with `<@` reads it in place instead of copying it out of
-- its packed form first.
ALTER TABLE cases ALTER COLUMN org_path SET STORAGE PLAIN;
