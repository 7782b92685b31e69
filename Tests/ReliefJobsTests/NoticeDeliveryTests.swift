import Foundation
import JobQueue
import ReliefJobs
import ReliefStore
import Testing
import TestSupport

/// Applicant notices (§5.2, §5.4, §5.6) delivered by the job runner to an SMS gateway: the
/// outbox row written with the change, one signed POST per notice, the outcome recorded on
/// the row and the case's timeline once.
@Suite("Applicant notices to an SMS webhook")
struct NoticeDeliveryTests {
    static let secret = "sms-gateway-secret-2026"

    static func configuration(_ receiver: Receiver) -> ReliefJobs.Configuration {
        .init(smsWebhookURL: receiver.url("/sms"), smsWebhookSecret: secret)
    }

    @Test("a rejection's notice reaches the gateway once, signed, with the full phone; delivered, on the timeline, the reveal audited",
          .timeLimit(.minutes(2)))
    func deliveredOnce() async throws {
        try await JobsWorld.run { try await Self.deliveredOnce($0) }
    }

    static func deliveredOnce(_ world: JobsWorld) async throws {
        let receipt = try await world.file(1)
        try await world.reject(receipt.caseID, reason: "家庭人均收入高于低保标准")
        try await Receiver.with { receiver in
            try await RunningJobs.with(world, configuration(receiver)) { _ in
                #expect(try await world.waitForOutcomes(receipt.caseID), "the notice was not delivered within 30 s")
                // A repeat would come within a runner's poll; give it the time to show.
                try await Task.sleep(for: .seconds(1))
            }
            try expectOneSignedNotice(receiver.received, receipt: receipt)
        }
        let rows = try await world.outbox(receipt.caseID, kind: "applicant_notice")
        #expect(rows.count == 1 && rows.first?.outcome == "delivered" && rows.first?.attempts == 1, "\(rows)")
        #expect(try await world.events(receipt.caseID, "notice_delivered") == 1)
        #expect(try await world.events(receipt.caseID, "notice_failed") == 0)
        #expect(try await world.count("""
            SELECT count(*) FROM audit_log WHERE action = 'reveal_for_delivery' AND object_id = \(receipt.caseID.uuidString.lowercased())
            """) == 1)
    }

    @Test("a gateway that refuses the connection fails the attempt at once, to be retried with back-off, not after the request's deadline",
          .timeLimit(.minutes(2)))
    func refusedConnectionFailsFast() async throws {
        try await JobsWorld.run { try await Self.refusedConnectionFailsFast($0) }
    }

    static func refusedConnectionFailsFast(_ world: JobsWorld) async throws {
        do {
            let receipt = try await world.file(4)
            try await world.reject(receipt.caseID)
            // A port nobody listens on: bind one, note it, close it.
            let closed = try await Receiver.start()
            let url = closed.url("/sms")
            await closed.stop()
            let started = ContinuousClock.now
            let unreachable = ReliefJobs.Configuration(smsWebhookURL: url, smsWebhookSecret: Self.secret)
            try await RunningJobs.with(world, unreachable) { _ in
                let attempted = try await waitUntil(.seconds(20)) {
                    try await world.count("""
                        SELECT count(*) FROM outbox WHERE case_id = \(receipt.caseID) AND attempts >= 1 AND last_error IS NOT NULL
                        """) == 1
                }
                #expect(attempted)
            }
            #expect(ContinuousClock.now - started < .seconds(10), "the first attempt took \(ContinuousClock.now - started)")
        }
    }

    static func expectOneSignedNotice(_ received: [Receiver.Received], receipt: Intake.Receipt) throws {
        #expect(received.count == 1, "requests: \(received.map(\.path))")
        let request = try #require(received.first)
        #expect(request.path == "/sms")
        let body = request.json
        #expect(body["phone"] == JobsWorld.phone)
        #expect(body["caseNumber"] == receipt.caseNumber)
        #expect(body["text"]?.contains("家庭人均收入高于低保标准") == true && body["text"]?.contains(receipt.caseNumber) == true,
                "\(body["text"] ?? "-")")
        #expect(body["reference"]?.hasPrefix("outbox-") == true)
        let timestamp = try #require(request.header("X-ReliefLink-Timestamp"))
        let signature = try #require(request.header("X-ReliefLink-Signature"))
        #expect(HotlineSignature.isValid(signature, secret: secret, timestamp: timestamp, body: request.body))
        #expect(!HotlineSignature.isValid(signature, secret: secret + "x", timestamp: timestamp, body: request.body))
        #expect(abs(Double(timestamp).map { $0 - Date().timeIntervalSince1970 } ?? 1000) < 120)
    }

    @Test("a gateway answering 503 twice, then 200: delivered on the third attempt, one request accepted, one outcome",
          .timeLimit(.minutes(2)))
    func retriedUntilDelivered() async throws {
        try await JobsWorld.run { try await Self.retriedUntilDelivered($0) }
    }

    static func retriedUntilDelivered(_ world: JobsWorld) async throws {
        let receipt = try await world.file(2)
        try await world.reject(receipt.caseID)
        try await Receiver.with(answering: [503, 503]) { receiver in
            try await RunningJobs.with(world, configuration(receiver)) { _ in
                let delivered = try await hurryRetries(world) { try await world.waitForOutcomes(receipt.caseID, within: .zero) }
                #expect(delivered, "not delivered within 30 s")
            }
            let statuses = receiver.received.map(\.status)
            #expect(statuses == [503, 503, 200], "\(statuses)")
        }
        let rows = try await world.outbox(receipt.caseID, kind: "applicant_notice")
        #expect(rows.count == 1 && rows.first?.outcome == "delivered" && rows.first?.attempts == 3, "\(rows)")
        #expect(try await world.events(receipt.caseID, "notice_delivered") == 1)
        #expect(try await world.events(receipt.caseID, "notice_failed") == 0)
        let job = try await world.owner.query("""
            SELECT state::text, attempt FROM job_queue.jobs WHERE kind = 'outbox.deliver'
            """).decode((String, Int32).self)
        #expect(job.count == 1 && job.first?.0 == "succeeded" && job.first?.1 == 3, "\(job)")
    }

    /// Brings delivery retries (5 s back-off) forward to now until `done` holds, for 30 s at most.
    static func hurryRetries(_ world: JobsWorld, until done: () async throws -> Bool) async throws -> Bool {
        try await waitUntil(.seconds(30)) {
            try await world.owner.execute("""
                UPDATE job_queue.jobs SET run_at = now() WHERE kind = 'outbox.deliver' AND state = 'scheduled' AND run_at > now()
                """)
            try await world.owner.execute("SELECT pg_notify('job_queue', 'delivery')")
            return try await done()
        }
    }

    @Test("a gateway refusing the message (400): failed after one attempt, the job failed, notice_failed on the timeline",
          .timeLimit(.minutes(2)))
    func refusedFailsAtOnce() async throws {
        try await JobsWorld.run { try await Self.refusedFailsAtOnce($0) }
    }

    static func refusedFailsAtOnce(_ world: JobsWorld) async throws {
        let receipt = try await world.file(3)
        try await world.reject(receipt.caseID)
        try await Receiver.with(answering: [400, 400, 400]) { receiver in
            try await RunningJobs.with(world, configuration(receiver)) { _ in
                #expect(try await world.waitForOutcomes(receipt.caseID))
                #expect(try await waitUntil(.seconds(10)) {
                    try await world.count("SELECT count(*) FROM job_queue.jobs WHERE kind = 'outbox.deliver' AND state = 'failed'") == 1
                })
                try await Task.sleep(for: .seconds(1))
            }
            #expect(receiver.received.count == 1, "a refusal is not retried: \(receiver.received.map(\.status))")
        }
        let rows = try await world.outbox(receipt.caseID, kind: "applicant_notice")
        #expect(rows.count == 1 && rows.first?.outcome == "failed" && rows.first?.attempts == 1, "\(rows)")
        #expect(try await world.events(receipt.caseID, "notice_failed") == 1)
        #expect(try await world.events(receipt.caseID, "notice_delivered") == 0)
        let job = try await world.owner.query("""
            SELECT state::text, attempt, coalesce(last_error, '') FROM job_queue.jobs WHERE kind = 'outbox.deliver'
            """).decode((String, Int32, String).self)
        #expect(job.first?.0 == "failed" && job.first?.1 == 1 && job.first?.2.contains("400") == true, "\(job)")
        // The county's manager sees it among the failed jobs, and retrying it sends the notice
        // again once the gateway takes it: delivered, on the row and on the timeline.
        let failed = try await CountyJobs(store: world.store).failed(world.manager)
        #expect(failed.map(\.kind) == ["outbox.deliver"])
        let jobID = try #require(failed.first?.id)
        try await Receiver.with(answering: [200]) { receiver in
            try await RunningJobs.with(world, configuration(receiver)) { _ in
                try await CountyJobs(store: world.store).retry(world.manager, jobID: jobID)
                #expect(try await waitUntil(.seconds(20)) { try await world.events(receipt.caseID, "notice_delivered") == 1 })
            }
            #expect(receiver.received.count == 1, "the retried notice is sent: \(receiver.received.map(\.status))")
        }
        let retried = try await world.outbox(receipt.caseID, kind: "applicant_notice")
        #expect(retried.first?.outcome == "delivered" && retried.first?.attempts == 2, "\(retried)")
        #expect(try await CountyJobs(store: world.store).failed(world.manager).isEmpty)
    }
}
