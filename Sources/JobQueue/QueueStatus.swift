import Foundation
import Postgres

/// What the queue holds and who works it: for `relieflink jobs status` and /metrics.
public struct QueueStatus: Sendable, Codable, Equatable {
    public struct Depth: Sendable, Codable, Equatable {
        public let queue: String
        public let kind: String
        public let state: String
        public let count: Int
    }

    public struct Runner: Sendable, Codable, Equatable {
        public let id: UUID
        public let host: String
        public let pid: Int
        public let startedAt: Date
        public let heartbeatAgeSeconds: Double
        public let progressAgeSeconds: Double
        public let stalledSince: Date?
        public let stoppedAt: Date?
        public let running: Int
        public let succeeded: Int64
        public let failed: Int64
        /// alive, stalled, lost (no heartbeat while not stopped), gone (lost for over ten minutes:
        /// its jobs were long taken up; shown, no longer alarming) or stopped.
        public let condition: String
    }

    public struct Failure: Sendable, Codable, Equatable {
        public let id: Int64
        public let queue: String
        public let kind: String
        public let state: String
        public let attempt: Int
        public let maxAttempts: Int
        public let lastError: String
        public let at: Date
        public let tenant: UUID?
    }

    /// Jobs waiting, running, retrying or failed, by queue, kind and state.
    public let depths: [Depth]
    /// Per queue, the age of the oldest job that could run now but has not started.
    public let oldestWaitingSeconds: [String: Double]
    public let runners: [Runner]
    /// The latest failed jobs and those waiting to retry after an error.
    public let recentFailures: [Failure]

    /// Reads the figures; runners silent for longer than `deadAfter` count as lost.
    public static func read(from pool: ConnectionPool, deadAfter: Duration = .seconds(5), failures: Int = 10) async throws -> QueueStatus {
        try await pool.withConnection { connection in
            let depths = try await connection.query("""
                SELECT queue, kind, state::text, count(*) FROM job_queue.jobs
                WHERE state IN ('scheduled', 'available', 'running', 'failed')
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """).decode((String, String, String, Int).self).map { Depth(queue: $0.0, kind: $0.1, state: $0.2, count: $0.3) }
            // Every queue a runner serves, and every queue with a job waiting; 0 when none waits:
            // a gauge that vanished when its queue emptied could not tell an alert the backlog
            // is gone. Only waiting jobs are read, not a million future timers.
            let oldest = try await connection.query("""
                WITH waiting AS (
                    SELECT queue, min(run_at) AS oldest FROM job_queue.jobs
                    WHERE state = 'available' OR (state = 'scheduled' AND run_at <= now())
                    GROUP BY queue),
                served AS (
                    SELECT DISTINCT unnest(queues) AS queue FROM job_queue.runners
                    WHERE stopped_at IS NULL AND heartbeat_at > now() - interval '1 day')
                SELECT q.queue, coalesce(extract(epoch FROM now() - w.oldest)::float8, 0)
                FROM (SELECT queue FROM waiting UNION SELECT queue FROM served) q LEFT JOIN waiting w USING (queue)
                """).decode((String, Double).self)
            let deadSeconds = deadAfter.seconds
            let runners = try await connection.query("""
                SELECT r.id, r.host, r.pid, r.started_at,
                       extract(epoch FROM now() - r.heartbeat_at)::float8, extract(epoch FROM now() - r.progress_at)::float8,
                       r.stalled_since, r.stopped_at,
                       (SELECT count(*) FROM job_queue.jobs j WHERE j.runner_id = r.id AND j.state = 'running'),
                       r.succeeded, r.failed,
                       CASE WHEN r.stopped_at IS NOT NULL THEN 'stopped'
                            WHEN r.heartbeat_at < now() - interval '10 minutes' THEN 'gone'
                            WHEN r.heartbeat_at < now() - \(deadSeconds) * interval '1 second' THEN 'lost'
                            WHEN r.stalled_since IS NOT NULL THEN 'stalled'
                            ELSE 'alive' END
                FROM job_queue.runners r
                WHERE (r.stopped_at IS NULL OR r.stopped_at > now() - interval '1 day') AND r.heartbeat_at > now() - interval '1 day'
                ORDER BY r.started_at DESC
                LIMIT 50
                """).decode((UUID, String, Int32, Date, Double, Double, Date?, Date?, Int, Int64, Int64, String).self).map {
                    Runner(id: $0.0, host: $0.1, pid: Int($0.2), startedAt: $0.3, heartbeatAgeSeconds: $0.4, progressAgeSeconds: $0.5,
                           stalledSince: $0.6, stoppedAt: $0.7, running: $0.8, succeeded: $0.9, failed: $0.10, condition: $0.11)
                }
            let failures = try await connection.query("""
                (SELECT id, queue, kind, state::text, attempt, max_attempts, last_error, finished_at AS at, tenant
                 FROM job_queue.jobs WHERE state = 'failed' ORDER BY finished_at DESC LIMIT \(failures))
                UNION ALL
                (SELECT id, queue, kind, state::text, attempt, max_attempts, last_error, run_at AS at, tenant
                 FROM job_queue.jobs WHERE state = 'scheduled' AND attempt > 0 AND last_error IS NOT NULL
                 ORDER BY run_at LIMIT \(failures))
                ORDER BY at DESC
                """).decode((Int64, String, String, String, Int32, Int32, String?, Date, UUID?).self).map {
                    Failure(id: $0.0, queue: $0.1, kind: $0.2, state: $0.3, attempt: Int($0.4), maxAttempts: Int($0.5),
                            lastError: $0.6 ?? "", at: $0.7, tenant: $0.8)
                }
            return QueueStatus(depths: depths, oldestWaitingSeconds: Dictionary(oldest, uniquingKeysWith: max),
                               runners: runners, recentFailures: failures)
        }
    }
}
