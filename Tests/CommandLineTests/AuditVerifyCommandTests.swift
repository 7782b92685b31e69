import Foundation
import Testing

/// `relieflink audit verify` as an operator runs it (issue 3 §6): its exit code tells intact
/// (0), broken (1) and not checked (2) apart, so a monitor never takes one for another.
@Suite("relieflink audit verify")
struct AuditVerifyCommandTests {
    @Test("as the owner: intact, exit 0; as the application's login: not checked, exit 2, saying why", .timeLimit(.minutes(2)))
    func exitCodes() async throws {
        try await RobustnessWorld.run { world in
            let owner = try await relieflink(["audit", "verify"], environment: ["DATABASE_URL": world.ownerConfiguration.connectionString])
            #expect(owner.status == .exited(0), "\(owner.error)")
            #expect(owner.output.contains("audit log intact"), "\(owner.output)")
            let application = try await relieflink(["audit", "verify"], environment: ["DATABASE_URL": world.appURL])
            #expect(application.status == .exited(2), "\(application.status) \(application.error)")
            #expect(application.error.contains("not checked") && !application.output.contains("intact"), "\(application.error)")
        }
    }
}
