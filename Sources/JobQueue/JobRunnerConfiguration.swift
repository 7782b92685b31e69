import Foundation

extension JobRunner {
    public struct Configuration: Sendable {
        /// The queues this runner serves, each with how many of its jobs may run at once.
        public var queues: [String: Int]
        /// How many jobs one claim takes at most.
        public var claimBatch: Int
        /// The slow poll that catches a lost notification.
        public var pollInterval: Duration
        /// How often the runner proves it is alive and renews its running jobs' heartbeats.
        public var heartbeatInterval: Duration
        /// A running job without a heartbeat for this long belongs to a dead runner and is
        /// taken up again (seconds, not the hours of a time-out-based rescue).
        public var deadAfter: Duration
        /// On SIGTERM: how long in-flight jobs may take to finish before they are handed back.
        public var shutdownGrace: Duration
        /// Succeeded and cancelled jobs are deleted after this long; failed ones after `failedRetention`.
        public var retention: Duration
        public var failedRetention: Duration
        /// A loop that has not turned for this long (beyond its poll) makes the runner stalled.
        public var stallAfter: Duration
        /// How long the leader's lease lasts without renewal.
        public var leaderLease: Duration

        public init(
            queues: [String: Int] = ["default": 10],
            claimBatch: Int = 100,
            pollInterval: Duration = .seconds(5),
            heartbeatInterval: Duration = .seconds(1),
            deadAfter: Duration = .seconds(5),
            shutdownGrace: Duration = .seconds(20),
            retention: Duration = .seconds(7 * 86_400),
            failedRetention: Duration = .seconds(30 * 86_400),
            stallAfter: Duration = .seconds(30),
            leaderLease: Duration = .seconds(10)
        ) {
            self.queues = queues
            self.claimBatch = claimBatch
            self.pollInterval = pollInterval
            self.heartbeatInterval = heartbeatInterval
            self.deadAfter = deadAfter
            self.shutdownGrace = shutdownGrace
            self.retention = retention
            self.failedRetention = failedRetention
            self.stallAfter = stallAfter
            self.leaderLease = leaderLease
        }
    }

    /// How the runner runs one kind of job.
    public struct Handler: Sendable {
        public let kind: String
        /// A run that takes longer is cancelled and counts as a failed attempt.
        public let timeout: Duration
        public let retry: RetryPolicy
        public let body: @Sendable (Job) async throws -> JobOutcome

        public init(kind: String, timeout: Duration = .seconds(60), retry: RetryPolicy = RetryPolicy(),
                    body: @escaping @Sendable (Job) async throws -> JobOutcome) {
            self.kind = kind
            self.timeout = timeout
            self.retry = retry
            self.body = body
        }
    }
}

/// Thrown into a handler's result when it ran past its kind's time-out.
struct JobTimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "timed out after \(limit)" }
}
