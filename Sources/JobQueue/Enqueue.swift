import Foundation
import Postgres

/// Enqueuing runs on the caller's connection, inside the caller's transaction: the job
/// exists exactly when the change that caused it commits, and a rollback leaves no job. The
/// runners of its queue are woken on commit (a trigger sends the NOTIFY).
public enum JobQueue {
    /// Enqueues one job on `connection` (inside whatever transaction it is in).
    @discardableResult
    public static func enqueue(_ job: NewJob, on connection: PostgresConnection) async throws -> Enqueued {
        let row = try await connection.query(insert(job)).first
        guard let row else { throw JobQueueError.notEnqueued(job.kind) }
        let (id, inserted) = try row.decode((Int64, Bool).self)
        if !inserted, job.onDuplicate == .runNoLaterThan {
            // The open job may have been brought forward: its queue's runners must look again.
            try await connection.execute("SELECT pg_notify('job_queue', \(job.queue))")
        }
        return Enqueued(id: id, inserted: inserted)
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

    static func insert(_ job: NewJob) -> PostgresQuery {
        let runAt = job.runAt ?? Date.distantPast
        let values: PostgresQuery = """
            INSERT INTO job_queue.jobs AS j (kind, payload, queue, priority, run_at, state, max_attempts, unique_key, tenant)
            VALUES (\(job.kind), \(job.payload)::jsonb, \(job.queue), \(job.priority), greatest(\(runAt), now()),
                    CASE WHEN \(runAt) <= now() THEN 'available' ELSE 'scheduled' END::job_queue.job_state,
                    \(job.maxAttempts), \(job.uniqueKey), \(job.tenant))
            """
        guard job.uniqueKey != nil else { return "\(values) RETURNING id, true" }
        // DO UPDATE (not DO NOTHING) so the open job's id comes back; xmax = 0 only on a fresh row.
        switch job.onDuplicate {
        case .keepExisting:
            return """
                \(values)
                ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
                DO UPDATE SET unique_key = excluded.unique_key
                RETURNING id, (xmax = 0)
                """
        case .runNoLaterThan:
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
}

public enum JobQueueError: Error, Sendable, CustomStringConvertible {
    case notEnqueued(String)
    case unknownJob(Int64)
    case notInState(Int64, expected: String, actual: String)

    public var description: String {
        switch self {
        case .notEnqueued(let kind): "the job of kind \(kind) was not enqueued"
        case .unknownJob(let id): "there is no job \(id)"
        case .notInState(let id, let expected, let actual): "job \(id) is \(actual), not \(expected)"
        }
    }
}
