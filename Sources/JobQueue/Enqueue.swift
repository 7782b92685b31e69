import Foundation
import Postgres

/// Enqueuing runs on the caller's connection, inside the caller's transaction: the job
/// exists exactly when the change that caused it commits, and a rollback leaves no job. The
/// runners of its queue are woken on commit (a trigger sends the NOTIFY).
public enum JobQueue {
    /// Enqueues one job on `connection` (inside whatever transaction it is in).
    @discardableResult
    public static func enqueue(_ job: NewJob, on connection: PostgresConnection) async throws -> Enqueued {
        if job.uniqueKey != nil, job.onDuplicate == .keepExisting { return try await enqueueUnlessOpen(job, on: connection) }
        let row = try await connection.query(insert(job)).first
        guard let row else { throw JobQueueError.notEnqueued(job.kind) }
        let (id, inserted) = try row.decode((Int64, Bool).self)
        if !inserted, job.onDuplicate == .runNoLaterThan {
            // The open job may have been brought forward: its queue's runners must look again.
            try await connection.execute("SELECT pg_notify('job_queue', \(job.queue))")
        }
        return Enqueued(id: id, inserted: inserted)
    }

    /// Inserts unless a job with the key is open, and then answers that job without touching
    /// its row: a lock on it would hold up its runner until the caller's transaction ends.
    private static func enqueueUnlessOpen(_ job: NewJob, on connection: PostgresConnection) async throws -> Enqueued {
        for _ in 0..<10 {
            if let id = try await connection.query("""
                \(insertValues(job))
                ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running') DO NOTHING
                RETURNING id
                """).scalar(Int64.self) {
                return Enqueued(id: id, inserted: true)
            }
            if let id = try await connection.query("""
                SELECT id FROM job_queue.jobs
                WHERE unique_key = \(job.uniqueKey) AND state IN ('scheduled', 'available', 'running')
                """).scalar(Int64.self) {
                return Enqueued(id: id, inserted: false)
            }
            // The open job ended between the two statements: its key is free again.
        }
        throw JobQueueError.notEnqueued(job.kind)
    }

    /// Enqueues many jobs with one statement; unique keys are honoured as in `enqueue`.
    /// Answers the ids in the order of `jobs`.
    @discardableResult
    public static func enqueue(batch jobs: [NewJob], on connection: PostgresConnection) async throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        if jobs.contains(where: { $0.uniqueKey != nil }) {
            var ids: [Int64] = []
            for job in jobs { ids.append(try await enqueue(job, on: connection).id) }
            return ids
        }
        let runAt = jobs.map { $0.runAt ?? Date.distantPast }
        return try await connection.query("""
            INSERT INTO job_queue.jobs (kind, payload, queue, priority, run_at, state, max_attempts, tenant)
            SELECT kind, payload::jsonb, queue, priority, greatest(run_at, now()),
                   CASE WHEN run_at <= now() THEN 'available' ELSE 'scheduled' END::job_queue.job_state,
                   max_attempts, tenant
            FROM unnest(\(jobs.map(\.kind)), \(jobs.map(\.payload)), \(jobs.map(\.queue)), \(jobs.map(\.priority)),
                        \(runAt), \(jobs.map(\.maxAttempts)), \(jobs.map { $0.tenant?.uuidString ?? "" }))
                 WITH ORDINALITY AS j(kind, payload, queue, priority, run_at, max_attempts, tenant_text, n),
                 LATERAL (SELECT nullif(tenant_text, '')::uuid AS tenant) t
            ORDER BY n
            RETURNING id
            """).column(Int64.self)
    }

    static func insertValues(_ job: NewJob) -> PostgresQuery {
        let runAt = job.runAt ?? Date.distantPast
        return """
            INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, run_at, state, max_attempts, unique_key, tenant)
            VALUES (\(job.kind), \(job.payload)::jsonb, \(job.queue), \(job.priority), greatest(\(runAt), now()),
                    CASE WHEN \(runAt) <= now() THEN 'available' ELSE 'scheduled' END::job_queue.job_state,
                    \(job.maxAttempts), \(job.uniqueKey), \(job.tenant))
            """
    }

    /// An insert whose open duplicate (same unique key) is brought forward to this job's time
    /// or, if running, marked to run once more; xmax = 0 tells a fresh row from the duplicate.
    /// The duplicate's row stays locked until the caller's transaction ends: callers keep
    /// such transactions short (a workflow change, an SLA sync).
    static func insert(_ job: NewJob) -> PostgresQuery {
        let values = insertValues(job)
        guard job.uniqueKey != nil, job.onDuplicate == .runNoLaterThan else { return "\(values) RETURNING id, true" }
        return """
            \(values)
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
            DO UPDATE SET
                run_at = CASE WHEN j.state = 'running' THEN j.run_at ELSE least(j.run_at, excluded.run_at) END,
                state = CASE WHEN j.state = 'scheduled' AND least(j.run_at, excluded.run_at) <= now()
                             THEN 'available' ELSE j.state END,
                rerun = j.rerun OR j.state = 'running'
            RETURNING id, (xmax = 0)
            """
    }
}

public enum JobQueueError: Error, Sendable, CustomStringConvertible {
    case notEnqueued(String)

    public var description: String {
        switch self {
        case .notEnqueued(let kind): "the job of kind \(kind) was not enqueued"
        }
    }
}
