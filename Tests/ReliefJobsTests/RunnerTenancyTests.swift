import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// The job runner acts for one county at a time (Store.withJobRunner), through row-level
/// security like a request: a job naming another county's deadline, case or outbox row finds
/// nothing and changes nothing.
@Suite("The job runner within one county")
struct RunnerTenancyTests {
    @Test("a timer, a sync or a delivery run for another county sees nothing of this county's rows")
    func otherCountySeesNothing() async throws {
        try await JobsWorld.run { try await Self.otherCountySeesNothing($0) }
    }

    static func otherCountySeesNothing(_ world: JobsWorld) async throws {
        let other = try await world.owner.withConnection { connection in
            try await CountyBootstrap().createManager(on: connection, countyCode: "320282000000", countyName: "宜兴市",
                                                      username: "manager", displayName: "李主任", password: JobsWorld.password)
        }.countyID
        let receipt = try await world.file(81)
        #expect(try await world.levels.sync(countyID: other, caseID: receipt.caseID) == 0)
        #expect(try await world.deadlines(receipt.caseID).isEmpty)
        try await world.levels.sync(countyID: world.countyID, caseID: receipt.caseID)
        let deadline = try #require(try await world.openDeadlines(receipt.caseID).first)
        try await world.moveIntoPast(deadline.id)
        let foreign = try await world.levels.fire(countyID: other, deadlineID: deadline.id)
        #expect(foreign.steps.isEmpty && foreign.next == nil)
        #expect(try await world.count("SELECT count(*) FROM staff_notices") == 0)
        #expect(try await world.levels.fire(countyID: world.countyID, deadlineID: deadline.id).steps == [.warning, .due, .escalation])

        try await world.reject(receipt.caseID)
        let outboxID = try #require(try await world.owner.query("SELECT id FROM outbox WHERE case_id = \(receipt.caseID)").scalar(Int64.self))
        let deliveries = Deliveries(store: world.store, cipher: world.cipher)
        #expect(try await deliveries.item(countyID: other, outboxID: outboxID) == nil)
        let own = try #require(try await deliveries.item(countyID: world.countyID, outboxID: outboxID))
        #expect(own.phone == JobsWorld.phone && own.kind == .applicantNotice && own.outcome == nil)
    }
}
