-- ReliefLink schema, migration 0013: SLA syncs no longer wake the runners with a NOTIFY.
--
-- A transaction that sent a NOTIFY takes one lock for the whole cluster while it commits
-- (PostgreSQL queues notifications in commit order), so every committing intake waited on
-- every other: at 32 concurrent online applications most backends sat in "Lock: object" at
-- COMMIT. An SLA sync may wait a second; the runners poll (ReliefJobs.pollInterval) and
-- find it. Jobs enqueued with wake = false are left out of the insert trigger's NOTIFY.
--
-- enqueue_now also becomes plpgsql: PostgreSQL parses and plans a non-inlinable SQL
-- function on every call, plpgsql once per session, and the triggers call it on every case
-- change.

ALTER TABLE job_queue.jobs ADD COLUMN wake boolean NOT NULL DEFAULT true;

CREATE OR REPLACE FUNCTION job_queue.notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('job_queue', queues)
    FROM (SELECT string_agg(DISTINCT queue, ',') AS queues FROM inserted WHERE wake) q
    WHERE queues IS NOT NULL;
    RETURN NULL;
END
$$;

DROP FUNCTION job_queue.enqueue_now(text, jsonb, text, smallint, text, uuid);
-- Enqueues a job from SQL, as JobQueue.enqueue does with DuplicatePolicy.runNoLaterThan:
-- while a job with the key is open, it is brought forward to now, or run again if running.
-- With wake, a fresh row wakes the runners through the insert trigger, and a job brought
-- forward with a NOTIFY of its own; without, the runners' poll finds it.
CREATE FUNCTION job_queue.enqueue_now(job_kind text, job_payload jsonb, job_queue_name text, job_priority smallint,
                                      job_unique_key text, job_tenant uuid, job_wake boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    fresh boolean;
BEGIN
    INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, state, unique_key, tenant, wake)
    VALUES (job_kind, job_payload, job_queue_name, job_priority, 'available', job_unique_key, job_tenant, job_wake)
    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
    DO UPDATE SET
        run_at = CASE WHEN j.state = 'running' THEN j.run_at ELSE least(j.run_at, now()) END,
        state = CASE WHEN j.state = 'scheduled' THEN 'available' ELSE j.state END,
        rerun = j.rerun OR j.state = 'running'
    RETURNING xmax = 0 INTO fresh;
    IF NOT fresh AND job_wake THEN
        PERFORM pg_notify('job_queue', job_queue_name);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION sla_sync_requested() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    green boolean;
BEGIN
    SELECT c.green_channel INTO green FROM cases c WHERE c.county_id = NEW.county_id AND c.id = NEW.case_id;
    PERFORM job_queue.enqueue_now(
        'sla.sync', jsonb_build_object('countyID', NEW.county_id, 'caseID', NEW.case_id), 'sla',
        (CASE WHEN coalesce(green, false) THEN 1 ELSE 4 END)::smallint, 'sla.sync:' || NEW.case_id, NEW.county_id, false);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION sla_sync_requested_by_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_queue.enqueue_now(
        'sla.sync', jsonb_build_object('countyID', NEW.county_id, 'caseID', NEW.id), 'sla',
        (CASE WHEN NEW.green_channel THEN 1 ELSE 4 END)::smallint, 'sla.sync:' || NEW.id, NEW.county_id, false);
    RETURN NULL;
END
$$;
