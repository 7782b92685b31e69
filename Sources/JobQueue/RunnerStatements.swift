import Foundation
import Postgres

/// The runner's SQL, in one place. Every statement that makes jobs runnable also sends the
/// NOTIFY that wakes their queue's runners.
enum RunnerStatements {
    static let jobColumns = "j.id, j.kind, j.queue, j.payload::text, j.attempt, j.max_attempts, j.tenant, j.run_at, j.created_at"

    /// Takes up to `limit` runnable jobs of `kinds` from `queue`, in (priority, run_at) order:
    /// available ones and scheduled ones whose time has come. Rows another runner is claiming
    /// are skipped, not waited for. Due scheduled jobs are found by the range on run_at and only
    /// they are sorted by priority, so far-future timers cost nothing here.
    static func claim(queue: String, kinds: [String], limit: Int, runner: UUID) -> PostgresQuery {
        """
        WITH available AS (
            SELECT id, priority, run_at FROM job_queue.jobs
            WHERE state = 'available' AND queue = \(queue) AND kind = ANY(\(kinds))
            ORDER BY priority, run_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
        ), due AS (
            SELECT id, priority, run_at FROM job_queue.jobs
            WHERE state = 'scheduled' AND queue = \(queue) AND run_at <= now() AND kind = ANY(\(kinds))
            ORDER BY priority, run_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
        ), picked AS (
            SELECT id FROM (SELECT * FROM available UNION ALL SELECT * FROM due) c
            ORDER BY priority, run_at, id LIMIT \(limit)
        )
        UPDATE job_queue.jobs j
        SET state = 'running', runner_id = \(runner), attempt = j.attempt + 1,
            started_at = now(), heartbeat_at = now()
        FROM picked WHERE j.id = picked.id
        RETURNING \(PostgresQuery(unsafeSQL: jobColumns))
        """
    }

    /// When the next scheduled job of `queue` falls due.
    static func nextScheduled(queue: String, kinds: [String]) -> PostgresQuery {
        """
        SELECT min(run_at) FROM job_queue.jobs
        WHERE state = 'scheduled' AND queue = \(queue) AND kind = ANY(\(kinds))
        """
    }

    /// Marks jobs this runner finished: succeeded, or available again if re-enqueued meanwhile.
    /// Jobs no longer held by this runner (rescued while it seemed dead) are left alone.
    static func complete(_ ids: [Int64], runner: UUID) -> PostgresQuery {
        """
        WITH done AS (
            UPDATE job_queue.jobs
            SET state = CASE WHEN rerun AND cancel_requested_at IS NULL THEN 'available' ELSE 'succeeded' END::job_queue.job_state,
                finished_at = CASE WHEN rerun AND cancel_requested_at IS NULL THEN NULL ELSE now() END,
                attempt = CASE WHEN rerun AND cancel_requested_at IS NULL THEN 0 ELSE attempt END,
                run_at = CASE WHEN rerun AND cancel_requested_at IS NULL THEN now() ELSE run_at END,
                rerun = false, runner_id = NULL, heartbeat_at = NULL
            WHERE id = ANY(\(ids)) AND runner_id = \(runner) AND state = 'running'
            RETURNING queue, state
        )
        SELECT count(*), \(wakeQueues("done", "state = 'available'"))
        FROM done
        """
    }

    /// Ends one run that did not succeed: failed (attempts used up, or `permanent`), cancelled
    /// (cancellation asked for), or scheduled again after `retryAfter`; snoozed runs are
    /// scheduled for their time without counting the attempt.
    static func settle(
        _ id: Int64, runner: UUID, error: String?, permanent: Bool, retryAfter: Duration, snoozeUntil: Date?
    ) -> PostgresQuery {
        let retryMilliseconds = Int64(retryAfter.seconds * 1000)
        return """
            WITH settled AS (
                UPDATE job_queue.jobs
                SET state = (CASE
                        WHEN cancel_requested_at IS NOT NULL THEN 'cancelled'
                        WHEN rerun THEN 'available'
                        WHEN \(snoozeUntil) IS NOT NULL THEN 'scheduled'
                        WHEN \(permanent) OR attempt >= max_attempts THEN 'failed'
                        ELSE 'scheduled' END)::job_queue.job_state,
                    run_at = CASE
                        WHEN rerun THEN now()
                        WHEN \(snoozeUntil) IS NOT NULL THEN greatest(\(snoozeUntil), now())
                        ELSE now() + \(retryMilliseconds) * interval '1 millisecond' END,
                    attempt = CASE WHEN rerun THEN 0 WHEN \(snoozeUntil) IS NOT NULL THEN attempt - 1 ELSE attempt END,
                    last_error = coalesce(\(error), last_error),
                    finished_at = CASE
                        WHEN cancel_requested_at IS NOT NULL OR (NOT rerun AND \(snoozeUntil) IS NULL
                             AND (\(permanent) OR attempt >= max_attempts)) THEN now() END,
                    rerun = false, runner_id = NULL, heartbeat_at = NULL
                WHERE id = \(id) AND runner_id = \(runner) AND state = 'running'
                RETURNING queue, state
            )
            SELECT state::text, \(wakeQueues("settled", "state = 'available'")) FROM settled
            """
    }

    /// Proves the runner alive, renews the heartbeats of the jobs it still holds (a job it lost
    /// track of stops beating and is rescued) and answers those asked to stop.
    static func heartbeat(runner: UUID, held: [Int64], progressAt: Date, stalledSince: Date?, succeeded: Int64, failed: Int64) -> PostgresQuery {
        """
        WITH pulse AS (
            UPDATE job_queue.runners
            SET heartbeat_at = now(), progress_at = \(progressAt), stalled_since = \(stalledSince),
                succeeded = \(succeeded), failed = \(failed)
            WHERE id = \(runner)
        ), held AS (
            UPDATE job_queue.jobs SET heartbeat_at = now()
            WHERE id = ANY(\(held)) AND runner_id = \(runner) AND state = 'running'
            RETURNING id, cancel_requested_at IS NOT NULL AS cancel
        )
        SELECT id FROM held WHERE cancel
        """
    }

    /// Takes back the jobs whose heartbeat stopped: their runner died or lost the database.
    static func rescue(deadAfter: Duration) -> PostgresQuery {
        let milliseconds = Int64(deadAfter.seconds * 1000)
        return """
            WITH dead AS (
                SELECT id FROM job_queue.jobs
                WHERE state = 'running' AND heartbeat_at < now() - \(milliseconds) * interval '1 millisecond'
                FOR UPDATE SKIP LOCKED
            ), rescued AS (
                UPDATE job_queue.jobs j
                SET state = (CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
                                  WHEN j.attempt >= j.max_attempts THEN 'failed'
                                  ELSE 'available' END)::job_queue.job_state,
                    finished_at = CASE WHEN j.cancel_requested_at IS NOT NULL OR j.attempt >= j.max_attempts THEN now() END,
                    last_error = 'its runner stopped sending heartbeats (runner ' || j.runner_id || ')',
                    run_at = now(), runner_id = NULL, heartbeat_at = NULL, rerun = false
                FROM dead WHERE j.id = dead.id
                RETURNING j.queue, j.state
            )
            SELECT count(*), \(wakeQueues("rescued", "state = 'available'")) FROM rescued
            """
    }

    /// On shutdown: jobs still running here go back to their queue, their attempt not counted.
    static func handBack(runner: UUID) -> PostgresQuery {
        """
        WITH returned AS (
            UPDATE job_queue.jobs
            SET state = 'available', runner_id = NULL, heartbeat_at = NULL, run_at = now(),
                attempt = greatest(attempt - 1, 0), last_error = 'handed back by a runner shutting down'
            WHERE runner_id = \(runner) AND state = 'running'
            RETURNING queue, state
        )
        SELECT count(*), \(wakeQueues("returned", "true")) FROM returned
        """
    }

    /// Takes or renews the lease `name` for `ttl`; answers whether `holder` has it.
    static func lease(_ name: String, holder: UUID, ttl: Duration) -> PostgresQuery {
        let milliseconds = Int64(ttl.seconds * 1000)
        return """
            INSERT INTO job_queue.leases AS l (name, holder, expires_at)
            VALUES (\(name), \(holder), now() + \(milliseconds) * interval '1 millisecond')
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE l.holder = excluded.holder OR l.expires_at < now()
            RETURNING holder
            """
    }

    /// A NOTIFY on `job_queue` naming the distinct queues of `relation`'s rows that match `condition`.
    private static func wakeQueues(_ relation: String, _ condition: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            (SELECT pg_notify('job_queue', string_agg(DISTINCT queue, ',')) FROM \(relation)
             WHERE \(condition) HAVING count(*) > 0)
            """)
    }
}
