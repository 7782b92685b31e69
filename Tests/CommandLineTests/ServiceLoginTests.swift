import Foundation
import Testing

/// `serve` logs in as a member of relieflink_app (README, "Tenancy"; issue 3 §2): a login that
/// could bypass row-level security — the owner's URL given by mistake — is said at start.
@Suite("The server's database login")
struct ServiceLoginTests {
    @Test("serve with the owner's URL warns that its login should be a member of relieflink_app; with the application's login it does not",
          .timeLimit(.minutes(2)))
    func privilegedLoginWarned() async throws {
        try await RobustnessWorld.run { world in
            let owner = try world.startServer(databaseURL: world.ownerConfiguration.connectionString)
            try await world.waitReady(owner)
            #expect(owner.logTail().contains("member of relieflink_app"), "\(owner.logTail())")
            await owner.kill()
            let application = try world.startServer()
            try await world.waitReady(application)
            #expect(!application.logTail().contains("member of relieflink_app"), "\(application.logTail())")
        }
    }
}
