-- ReliefLink schema, migration 0019: a task's org path is its org's path, by constraint.
--
-- Cases keep their org path by a composite foreign key since 0017; field tasks (case_tasks),
-- whose org path decides which township and village agents see them, copied the path when
-- they were created and kept it whatever became of the org. The same key now holds for them:
-- a wrong path is refused, and a change of the org's path carries to its tasks.
ALTER TABLE case_tasks
    DROP CONSTRAINT case_tasks_county_id_org_id_fkey,
    ADD CONSTRAINT case_tasks_org FOREIGN KEY (county_id, org_id, org_path) REFERENCES orgs (county_id, id, path) ON UPDATE CASCADE;
