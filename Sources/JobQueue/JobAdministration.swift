import Foundation
import Postgres

/// What an operator does to single jobs: retry a failed one, discard it, cancel one that has
/// not finished. `tenant`, when given, limits the action to that tenant's jobs (staff act on
/// their county's jobs only).
public enum JobAdministration {
    public enum Failure: Error, Sendable, Equatable {
        case notFound(Int64)
        /// The job is in a state the action does not apply to.
        case notAllowed(id: Int64, state: String)
        /// Retrying it would make a second open job with its unique key; `existing` is open.
        case uniqueKeyTaken(id: Int64, existing: Int64?)
    }

    /// A failed (or cancelled) job runs again from its first attempt.
    public static func retry(_ id: Int64, tenant: UUID? = nil, on connection: PostgresConnection) async throws {
        let changed: String?
        do {
            // In the caller's transaction, a savepoint keeps it usable after a refused reopen.
            changed = connection.isInTransaction
                ? try await connection.savepoint { try await reopen(id, tenant: tenant, on: $0) }
                : try await reopen(id, tenant: tenant, on: connection)
        } catch let error as PostgresServerError where error.code == .uniqueViolation {
            let existing = try? await connection.query("""
                SELECT o.id FROM job_queue.jobs o JOIN job_queue.jobs f ON f.unique_key = o.unique_key
                WHERE f.id = \(id) AND o.state IN ('scheduled', 'available', 'running')
                """).scalar(Int64.self)
            throw Failure.uniqueKeyTaken(id: id, existing: existing ?? nil)
        }
        guard let queue = changed else { throw try await failure(id, tenant: tenant, on: connection) }
        try await connection.execute("SELECT pg_notify('job_queue', \(queue))")
    }

    private static func reopen(_ id: Int64, tenant: UUID?, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("""
            UPDATE job_queue.jobs
            SET state = 'available', attempt = 0, run_at = now(), finished_at = NULL, cancel_requested_at = NULL
            WHERE id = \(id) AND state IN ('failed', 'cancelled') AND (\(tenant)::uuid IS NULL OR tenant = \(tenant))
            RETURNING queue
            """).scalar(String.self)
    }

    /// A failed job is deleted: someone has dealt with it.
    public static func discard(_ id: Int64, tenant: UUID? = nil, on connection: PostgresConnection) async throws {
        let deleted = try await connection.execute("""
            DELETE FROM job_queue.jobs
            WHERE id = \(id) AND state IN ('failed', 'cancelled') AND (\(tenant)::uuid IS NULL OR tenant = \(tenant))
            """)
        guard deleted == 1 else { throw try await failure(id, tenant: tenant, on: connection) }
    }

    /// A waiting job is cancelled at once; a running one is asked to stop (its runner sees
    /// the request with its next heartbeat and cancels the handler).
    public static func cancel(_ id: Int64, tenant: UUID? = nil, on connection: PostgresConnection) async throws {
        let changed = try await connection.execute("""
            UPDATE job_queue.jobs
            SET state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
                finished_at = CASE WHEN state = 'running' THEN NULL ELSE now() END,
                cancel_requested_at = now()
            WHERE id = \(id) AND state IN ('scheduled', 'available', 'running') AND (\(tenant)::uuid IS NULL OR tenant = \(tenant))
            """)
        guard changed == 1 else { throw try await failure(id, tenant: tenant, on: connection) }
    }

    /// Cancels the waiting job that holds `uniqueKey`, if there is one: a timer whose reason
    /// went away (a running one finishes on its own). Answers whether one was cancelled.
    @discardableResult
    public static func cancelWaiting(uniqueKey: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute("""
            UPDATE job_queue.jobs SET state = 'cancelled', finished_at = now(), cancel_requested_at = now()
            WHERE unique_key = \(uniqueKey) AND state IN ('scheduled', 'available')
            """) > 0
    }

    /// The state a job is in, if it exists (for the tenant).
    public static func state(of id: Int64, tenant: UUID? = nil, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("""
            SELECT state::text FROM job_queue.jobs WHERE id = \(id) AND (\(tenant)::uuid IS NULL OR tenant = \(tenant))
            """).scalar(String.self)
    }

    private static func failure(_ id: Int64, tenant: UUID?, on connection: PostgresConnection) async throws -> Failure {
        guard let state = try await state(of: id, tenant: tenant, on: connection) else { return .notFound(id) }
        return .notAllowed(id: id, state: state)
    }
}

/// A job that failed for good, as staff are shown it.
public struct FailedJob: Sendable, Equatable {
    public let id: Int64
    public let queue: String
    public let kind: String
    public let attempt: Int
    public let maxAttempts: Int
    public let lastError: String
    public let failedAt: Date
}

extension JobAdministration {
    /// The tenant's failed jobs, newest first.
    public static func failed(tenant: UUID, limit: Int = 200, on connection: PostgresConnection) async throws -> [FailedJob] {
        try await connection.query("""
            SELECT id, queue, kind, attempt, max_attempts, coalesce(last_error, ''), finished_at
            FROM job_queue.jobs WHERE tenant = \(tenant) AND state = 'failed'
            ORDER BY finished_at DESC LIMIT \(limit)
            """).decode((Int64, String, String, Int32, Int32, String, Date).self).map {
                FailedJob(id: $0.0, queue: $0.1, kind: $0.2, attempt: Int($0.3), maxAttempts: Int($0.4), lastError: $0.5, failedAt: $0.6)
            }
    }
}
