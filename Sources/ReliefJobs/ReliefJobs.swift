import AsyncHTTPClient
import Foundation
import JobQueue
import Logging
import ReliefStore

/// The job kinds of ReliefLink and how a runner is set up to run them.
public struct ReliefJobs: Sendable {
    /// The queues and how many jobs of each run at once per runner: deliveries wait on other
    /// servers, so many run at once; SLA timers are short database work.
    public static let queues: [String: Int] = [Deliveries.queue: 16, "sla": 8, "default": 4]
    /// How often an idle runner looks for work nobody woke it for. SLA syncs are enqueued
    /// without a NOTIFY (migration 0013: a NOTIFY makes every commit in the cluster queue on
    /// one lock, and intake commits often), so this bounds how late a deadline is computed.
    public static let pollInterval: Duration = .seconds(1)

    public struct Configuration: Sendable {
        /// Where the default notice sender appends notices; nil logs them.
        public var noticeFile: String?
        /// An SMS gateway taking signed JSON POSTs; when set, notices go there instead.
        public var smsWebhookURL: String?
        public var smsWebhookSecret: String?

        public init(noticeFile: String? = nil, smsWebhookURL: String? = nil, smsWebhookSecret: String? = nil) {
            self.noticeFile = noticeFile
            self.smsWebhookURL = smsWebhookURL
            self.smsWebhookSecret = smsWebhookSecret
        }
    }

    let store: Store
    let cipher: PersonalDataCipher
    let http: HTTPClient
    let configuration: Configuration
    let logger: Logger

    /// The HTTP client deliveries go through. A gateway that refuses the connection fails the
    /// attempt at once: the job queue retries it with back-off, so the client's own retries
    /// until the request's deadline would only hold a delivery slot for nothing.
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public init(store: Store, cipher: PersonalDataCipher, http: HTTPClient, configuration: Configuration, logger: Logger) {
        self.store = store
        self.cipher = cipher
        self.http = http
        self.configuration = configuration
        self.logger = logger
    }

    /// The sender applicant notices go through, as configured.
    var noticeSender: any NoticeSender {
        if let url = configuration.smsWebhookURL {
            return WebhookNoticeSender(url: url, secret: configuration.smsWebhookSecret, client: http)
        }
        return FileNoticeSender(path: configuration.noticeFile, logger: logger)
    }

    public func register(on runner: JobRunner) {
        let delivery = DeliveryJob(deliveries: Deliveries(store: store, cipher: cipher), notices: noticeSender,
                                   callbacks: SignedPost(client: http))
        // Deliveries back off from 5 s to an hour between attempts; with 30 attempts a receiver
        // down for most of a day is still reached, then the row is marked failed and shows on
        // the case's timeline and in the county's failed jobs.
        runner.register(kind: Deliveries.jobKind, timeout: .seconds(60),
                        retry: RetryPolicy(base: .seconds(5), maximum: .seconds(3600))) { job in
            try await delivery.run(job)
        }
        let levels = ServiceLevels(store: store)
        // SLA: a case changed state (sync its deadlines), or a deadline's step came due.
        runner.register(kind: ServiceLevels.syncKind, timeout: .seconds(30),
                        retry: RetryPolicy(base: .seconds(1), maximum: .seconds(300))) { job in
            let payload = try job.decode(ServiceLevels.SyncPayload.self)
            try await levels.sync(countyID: payload.countyID, caseID: payload.caseID)
            return .done
        }
        // A year's calendar was imported: open deadlines are counted again on it.
        runner.register(kind: ServiceLevels.recountKind, timeout: .seconds(120),
                        retry: RetryPolicy(base: .seconds(1), maximum: .seconds(300))) { job in
            try await levels.recount(try job.decode(ServiceLevels.RecountPayload.self))
            return .done
        }
        runner.register(kind: ServiceLevels.timerKind, timeout: .seconds(30),
                        retry: RetryPolicy(base: .seconds(1), maximum: .seconds(300))) { job in
            let payload = try job.decode(ServiceLevels.TimerPayload.self)
            let fired = try await levels.fire(countyID: payload.countyID, deadlineID: payload.deadlineID)
            return fired.next.map { .snooze(until: $0) } ?? .done
        }
    }
}
