import Foundation

/// A job a runner has claimed and hands to the handler of its kind.
public struct Job: Sendable {
    public let id: Int64
    public let kind: String
    public let queue: String
    /// JSON text, as enqueued.
    public let payload: String
    /// 1 on the first run.
    public let attempt: Int
    public let maxAttempts: Int
    public let tenant: UUID?
    /// When it was due: SLA handlers measure their lateness against it.
    public let runAt: Date
    public let createdAt: Date

    public init(id: Int64, kind: String, queue: String, payload: String, attempt: Int, maxAttempts: Int,
                tenant: UUID?, runAt: Date, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.queue = queue
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.tenant = tenant
        self.runAt = runAt
        self.createdAt = createdAt
    }

    public func decode<Payload: Decodable>(_ type: Payload.Type = Payload.self) throws -> Payload {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(payload.utf8))
    }
}

/// How a handler's run ended, when it did not throw.
public enum JobOutcome: Sendable, Equatable {
    case done
    /// Not yet: run again at this time, without counting an attempt (a timer that is early).
    case snooze(until: Date)
}

/// Thrown by a handler when trying again cannot help: the job fails at once.
public struct PermanentJobFailure: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
