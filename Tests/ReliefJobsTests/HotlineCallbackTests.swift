import Foundation
import ReliefDomain
import ReliefJobs
import ReliefStore
import Testing
import TestSupport

/// Status callbacks to the 12345 platform (§5.1.3): each change of an order's case is POSTed
/// to the county's callback URL, signed with the county's secret as the platform signs its
/// pushes to us; without a callback URL the row is skipped, on the timeline.
@Suite("12345 status callbacks")
struct HotlineCallbackTests {
    static func order(_ world: JobsWorld, _ number: String, n: Int) async throws -> Intake.Receipt {
        try await Intake(store: world.store, cipher: world.cipher)
            .receiveHotlineOrder(countyID: world.countyID, orderNumber: number, application: try JobsWorld.application(n))
    }

    @Test("a dispatched 12345 case: one signed POST with order number, case number and status to the callback URL",
          .timeLimit(.minutes(2)))
    func callbackDelivered() async throws {
        try await JobsWorld.run { try await Self.callbackDelivered($0) }
    }

    static func callbackDelivered(_ world: JobsWorld) async throws {
        try await Receiver.with { receiver in
            let settings = try await HotlineIntegration(store: world.store, cipher: world.cipher)
                .configure(world.manager, callbackURL: receiver.url("/callback"), rotateSecret: true)
            let secret = try #require(settings.newSecret)
            let receipt = try await order(world, "GD20260301001", n: 11)
            try await world.dispatch(receipt.caseID, to: [world.civilID])
            try await RunningJobs.with(world) { _ in
                #expect(try await world.waitForOutcomes(receipt.caseID))
                try await Task.sleep(for: .seconds(1))
            }
            try expectCallback(receiver.received, receipt: receipt, secret: secret)
            #expect(try await world.allOutbox() == ["hotline_callback:delivered"])
            #expect(try await world.events(receipt.caseID, "callback_delivered") == 1)
        }
    }

    static func expectCallback(_ received: [Receiver.Received], receipt: Intake.Receipt, secret: String) throws {
        #expect(received.count == 1, "\(received.map(\.path))")
        let request = try #require(received.first)
        #expect(request.path == "/callback")
        let body = request.json
        #expect(body["orderNumber"] == "GD20260301001")
        #expect(body["caseNumber"] == receipt.caseNumber)
        #expect(body["status"] == "dispatched")
        let timestamp = try #require(request.header("X-Hotline-Timestamp"))
        let signature = try #require(request.header("X-Hotline-Signature"))
        #expect(HotlineSignature.isValid(signature, secret: secret, timestamp: timestamp, body: request.body))
        #expect(request.header("X-ReliefLink-Signature") == nil)
    }

    @Test("a county linked to 12345 without a callback URL: the callback is skipped, callback_skipped on the timeline, nothing sent",
          .timeLimit(.minutes(2)))
    func callbackSkipped() async throws {
        try await JobsWorld.run { try await Self.callbackSkipped($0) }
    }

    static func callbackSkipped(_ world: JobsWorld) async throws {
        _ = try await HotlineIntegration(store: world.store, cipher: world.cipher)
            .configure(world.manager, callbackURL: nil, rotateSecret: true)
        let receipt = try await order(world, "GD20260301002", n: 12)
        try await world.reject(receipt.caseID)
        try await RunningJobs.with(world) { _ in
            let delivered = try await world.waitForOutcomes(receipt.caseID)
            #expect(delivered, "no outcome within 30 s")
        }
        let callbacks = try await world.outbox(receipt.caseID, kind: "hotline_callback")
        #expect(callbacks.count == 1 && callbacks.first?.outcome == "skipped" && callbacks.first?.attempts == 0, "\(callbacks)")
        #expect(try await world.events(receipt.caseID, "callback_skipped") == 1)
        #expect(try await world.events(receipt.caseID, "callback_delivered") == 0)
        // The rejection's applicant notice went the default way (the log) and is delivered.
        #expect(try await world.outbox(receipt.caseID, kind: "applicant_notice").map(\.outcome) == ["delivered"])
    }
}

extension JobsWorld {
    /// Every outbox row as `kind:outcome`, oldest first.
    func allOutbox() async throws -> [String] {
        try await owner.query("SELECT kind || ':' || coalesce(outcome::text, '-') FROM outbox ORDER BY id").column(String.self)
    }
}
