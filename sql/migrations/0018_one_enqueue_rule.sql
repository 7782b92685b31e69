-- ReliefLink schema, migration 0018: one enqueue rule for the jobs SQL asks for.
--
-- enqueue_now() (0013) enqueued one job, and the trigger asking for new cases' SLA syncs
-- (0017) carried a copy of its conflict rule so as to enqueue a whole statement's cases in one
-- INSERT. Both now go through enqueue_all_now(), which takes one array per field, so the rule
-- is written once: while a job with the key is open, bring it forward to now, or run it again
-- if it is running (JobQueue's DuplicatePolicy.runNoLaterThan, with now as the time).

-- Enqueues one job of `job_kind` on `job_queue_name` per element of the arrays (of equal
-- length; the unique keys distinct, as one INSERT cannot bring one job forward twice). With
-- job_wake, fresh rows wake the runners through the insert trigger and jobs brought forward
-- with one NOTIFY; without, the runners' poll finds them.
CREATE FUNCTION job_queue.enqueue_all_now(job_kind text, job_queue_name text, job_payloads jsonb[], job_priorities smallint[],
                                          job_unique_keys text[], job_tenants uuid[], job_wake boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    brought_forward boolean;
BEGIN
    -- unnest() would pad a short array with NULLs and enqueue what nobody asked for.
    IF cardinality(job_payloads) IS DISTINCT FROM cardinality(job_priorities)
       OR cardinality(job_payloads) IS DISTINCT FROM cardinality(job_unique_keys)
       OR cardinality(job_payloads) IS DISTINCT FROM cardinality(job_tenants) THEN
        RAISE EXCEPTION 'enqueue_all_now: the arrays differ in length' USING ERRCODE = '22023';
    END IF;
    WITH enqueued AS (
        INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, state, unique_key, tenant, wake)
        SELECT job_kind, u.payload, job_queue_name, u.priority, 'available', u.unique_key, u.tenant, job_wake
        FROM unnest(job_payloads, job_priorities, job_unique_keys, job_tenants) AS u(payload, priority, unique_key, tenant)
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
        DO UPDATE SET
            run_at = CASE WHEN j.state = 'running' THEN j.run_at ELSE least(j.run_at, now()) END,
            state = CASE WHEN j.state = 'scheduled' THEN 'available' ELSE j.state END,
            rerun = j.rerun OR j.state = 'running'
        RETURNING xmax <> 0 AS existed)
    SELECT bool_or(existed) INTO brought_forward FROM enqueued;
    IF brought_forward AND job_wake THEN
        PERFORM pg_notify('job_queue', job_queue_name);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION job_queue.enqueue_now(job_kind text, job_payload jsonb, job_queue_name text, job_priority smallint,
                                                 job_unique_key text, job_tenant uuid, job_wake boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_queue.enqueue_all_now(job_kind, job_queue_name, ARRAY[job_payload], ARRAY[job_priority],
                                      ARRAY[job_unique_key], ARRAY[job_tenant], job_wake);
END
$$;

-- No NOTIFY (see 0013). The arrays are built in one order, so their elements stay together.
CREATE OR REPLACE FUNCTION sla_sync_requested_by_new_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_queue.enqueue_all_now('sla.sync', 'sla',
        array_agg(jsonb_build_object('countyID', n.county_id, 'caseID', n.id) ORDER BY n.id),
        array_agg((CASE WHEN n.green_channel THEN 1 ELSE 4 END)::smallint ORDER BY n.id),
        array_agg('sla.sync:' || n.id ORDER BY n.id),
        array_agg(n.county_id ORDER BY n.id), false)
    FROM inserted n
    WHERE n.case_number IS NOT NULL
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;
