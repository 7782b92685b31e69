-- ReliefLink schema, migration 0009: the durable job queue (module JobQueue, DESIGN.md).
--
-- A schema of its own: the queue is generic and knows nothing of counties, so its tables sit
-- outside `public`, where every table is a tenant table. Payloads carry ids, never personal
-- data; a job that acts for a county opens its own tenant-scoped transaction to do so.
--
-- A job is `scheduled` until its time, `available` while it may run, `running` while a
-- runner holds it, and ends `succeeded`, `failed` (attempts used up, last error kept) or
-- `cancelled`. Claims take `available` jobs and `scheduled` ones whose time has come, in
-- (priority, run_at) order, with FOR UPDATE SKIP LOCKED.

CREATE SCHEMA job_queue;
GRANT USAGE ON SCHEMA job_queue TO relieflink_app;

CREATE TYPE job_queue.job_state AS ENUM ('scheduled', 'available', 'running', 'succeeded', 'failed', 'cancelled');

CREATE TABLE job_queue.jobs (
    id                  bigint              GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue               text                NOT NULL CHECK (queue ~ '^[a-z0-9_.-]{1,50}$'),
    kind                text                NOT NULL CHECK (kind ~ '^[a-z0-9_.-]{1,100}$'),
    payload             jsonb               NOT NULL DEFAULT '{}',
    -- 0 runs first; green-channel work (§6.3.5) takes the smallest numbers.
    priority            smallint            NOT NULL DEFAULT 5 CHECK (priority BETWEEN 0 AND 9),
    state               job_queue.job_state NOT NULL,
    run_at              timestamptz         NOT NULL DEFAULT now(),
    attempt             integer             NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts        integer             NOT NULL DEFAULT 20 CHECK (max_attempts BETWEEN 1 AND 1000),
    -- At most one job per key is waiting or running (see jobs_unique_open).
    unique_key          text                CHECK (length(unique_key) BETWEEN 1 AND 200),
    -- Enqueued again while it ran: it runs once more when this run ends.
    rerun               boolean             NOT NULL DEFAULT false,
    -- Whom the job works for (a county), so staff can be shown their county's failures.
    tenant              uuid,
    runner_id           uuid,
    heartbeat_at        timestamptz,
    cancel_requested_at timestamptz,
    last_error          text,
    created_at          timestamptz         NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    CHECK ((state = 'running') = (runner_id IS NOT NULL))
);

CREATE INDEX jobs_available ON job_queue.jobs (queue, priority, run_at, id) WHERE state = 'available';
CREATE INDEX jobs_scheduled ON job_queue.jobs (queue, run_at, id) WHERE state = 'scheduled';
CREATE INDEX jobs_running ON job_queue.jobs (runner_id) WHERE state = 'running';
CREATE INDEX jobs_finished ON job_queue.jobs (finished_at) WHERE state IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX jobs_failed ON job_queue.jobs (tenant, finished_at DESC) WHERE state = 'failed';
-- Unique while open: a second enqueue with the key meets the first, even when both commit at
-- once (the index, not a prior SELECT, decides), and a finished job frees its key.
CREATE UNIQUE INDEX jobs_unique_open ON job_queue.jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running');

-- Wakes the runners of the queues a statement inserted into, once per statement, on commit
-- (a rolled-back enqueue wakes nobody).
CREATE FUNCTION job_queue.notify_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('job_queue', queues)
    FROM (SELECT string_agg(DISTINCT queue, ',') AS queues FROM inserted) q
    WHERE queues IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_notify AFTER INSERT ON job_queue.jobs
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION job_queue.notify_inserted();

-- Every runner that ever started, with its pulse: heartbeats prove it alive, progress proves
-- its loops turn (its own watchdog sets stalled_since when they do not).
CREATE TABLE job_queue.runners (
    id            uuid        PRIMARY KEY,
    host          text        NOT NULL,
    pid           integer     NOT NULL,
    queues        text[]      NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    progress_at   timestamptz NOT NULL DEFAULT now(),
    stalled_since timestamptz,
    stopped_at    timestamptz,
    succeeded     bigint      NOT NULL DEFAULT 0,
    failed        bigint      NOT NULL DEFAULT 0
);
CREATE INDEX runners_live ON job_queue.runners (heartbeat_at) WHERE stopped_at IS NULL;

-- Leases with an expiry: the runner holding 'leader' schedules periodic jobs and prunes.
CREATE TABLE job_queue.leases (
    name       text        PRIMARY KEY,
    holder     uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);

-- The last slot each periodic job was enqueued for: advancing it and enqueuing happen in one
-- transaction, so a slot is enqueued once even if two runners believe they lead.
CREATE TABLE job_queue.periodic_slots (
    name      text        PRIMARY KEY,
    last_slot timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON job_queue.jobs, job_queue.runners, job_queue.leases, job_queue.periodic_slots
    TO relieflink_app;
