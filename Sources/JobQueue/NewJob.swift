import Foundation
import Postgres

/// A job to enqueue: what to do (`kind` and its JSON payload), where (`queue`), when, how
/// urgently, how often to try, and an optional key that keeps it unique while it is open.
public struct NewJob: Sendable {
    public var kind: String
    /// JSON text; the handler of `kind` decodes it.
    public var payload: String
    public var queue: String
    /// 0 runs first, 9 last.
    public var priority: Int16
    /// nil: as soon as a runner is free.
    public var runAt: Date?
    public var maxAttempts: Int32
    public var uniqueKey: String?
    public var onDuplicate: DuplicatePolicy
    /// Whom the job works for (a county), so staff can be shown their own failures.
    public var tenant: UUID?

    /// What an enqueue does when a job with the same `uniqueKey` is still open.
    public enum DuplicatePolicy: Sendable {
        /// Leave the open job as it is.
        case keepExisting
        /// Bring the open job forward to this job's time if that is earlier; if it is running
        /// already, run it once more when it ends (it may have read the state before the
        /// change this enqueue announces).
        case runNoLaterThan
    }

    public init<Payload: Encodable>(
        kind: String,
        payload: Payload,
        queue: String = "default",
        priority: Int16 = 5,
        runAt: Date? = nil,
        maxAttempts: Int32 = 20,
        uniqueKey: String? = nil,
        onDuplicate: DuplicatePolicy = .keepExisting,
        tenant: UUID? = nil
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        self.init(kind: kind, payloadJSON: String(decoding: try encoder.encode(payload), as: UTF8.self),
                  queue: queue, priority: priority, runAt: runAt, maxAttempts: maxAttempts,
                  uniqueKey: uniqueKey, onDuplicate: onDuplicate, tenant: tenant)
    }

    public init(
        kind: String,
        payloadJSON: String = "{}",
        queue: String = "default",
        priority: Int16 = 5,
        runAt: Date? = nil,
        maxAttempts: Int32 = 20,
        uniqueKey: String? = nil,
        onDuplicate: DuplicatePolicy = .keepExisting,
        tenant: UUID? = nil
    ) {
        self.kind = kind
        self.payload = payloadJSON
        self.queue = queue
        self.priority = priority
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.onDuplicate = onDuplicate
        self.tenant = tenant
    }
}

/// What an enqueue did.
public struct Enqueued: Sendable, Equatable {
    public let id: Int64
    /// false when an open job with the same unique key was found instead.
    public let inserted: Bool
}
