import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

@Suite("Audit log")
struct AuditLogTests {
    static let password = "审计-Password-2026"

    private func makeCounty() async throws -> (Accounts, ConnectionPool, ConnectionConfiguration, Accounts.Session) {
        let counties = try await TestCounties.make(password: Self.password, maximumConnections: 8)
        let (owner, pool) = (counties.owner, counties.pool)
        let accounts = Accounts(store: Store(pool: pool))
        let session = try await accounts.signIn(countyCode: "320281000000", username: "manager", password: Self.password,
                                                clientAddress: "10.0.0.7")
        return (accounts, pool, owner, session)
    }

    @Test("sign-in, failures and sign-out are recorded with who, what, when and from where")
    func recordsAccountEvents() async throws {
        let (accounts, pool, _, session) = try await makeCounty()
        _ = try? await accounts.signIn(countyCode: "320281000000", username: "manager", password: "wrong-one-1")
        try await accounts.revoke(session.token.value, as: session.context)
        let entries = try await accounts.store.withTenant(session.context) { transaction in
            try await transaction.query("SELECT action, actor_user_id, client_address FROM audit_log ORDER BY seq")
                .decode((String, UUID?, String?).self)
        }
        #expect(entries.map(\.0) == ["county_bootstrapped", "sign_in", "sign_in_failed", "sign_out"])
        #expect(entries[1].1 == session.context.userID && entries[1].2 == "10.0.0.7")
        #expect(entries[2].1 == nil)
        await pool.close()
    }

    @Test("the log is append-only, for the application role and the owner alike")
    func appendOnly() async throws {
        let (accounts, pool, owner, session) = try await makeCounty()
        try await accounts.store.withTenant(session.context) { try await $0.audit("test", objectType: "x") }
        for statement: PostgresQuery in ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"] {
            let error = await #expect(throws: PostgresServerError.self) {
                try await accounts.store.withTenant(session.context) { try await $0.execute(statement) }
            }
            #expect(error?.code == .insufficientPrivilege)
        }
        let connection = try await PostgresConnection.connect(owner)
        for statement: PostgresQuery in ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
            let error = await #expect(throws: PostgresServerError.self) { try await connection.execute(statement) }
            #expect(error?.message.contains("append-only") == true, "\(statement)")
        }
        #expect(try await AuditVerifier().verify(on: connection) == .intact(entries: 3, counties: 1))
        await connection.close()
        await pool.close()
    }

    @Test("concurrent appends form one unbroken chain")
    func concurrentAppends() async throws {
        let (accounts, pool, owner, session) = try await makeCounty()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await accounts.store.withTenant(session.context) {
                        try await $0.audit("concurrent", objectType: "test", objectID: String(index), detail: ["n": String(index)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let connection = try await PostgresConnection.connect(owner)
        #expect(try await AuditVerifier().verify(on: connection) == .intact(entries: 42, counties: 1))
        await connection.close()
        await pool.close()
    }

    @Test("verify checks as the owner only: connected as the application it refuses, rather than call a log it cannot read intact")
    func verifyNeedsTheOwner() async throws {
        let counties = try await TestCounties.make(password: Self.password, maximumConnections: 2)
        try await counties.pool.withConnection { connection in
            await #expect(throws: AuditVerifierError.self) { try await AuditVerifier().verify(on: connection) }
        }
        await counties.pool.close()
    }

    @Test("a county whose whole log was removed, head and all, is reported, not called intact")
    func removedLogDetected() async throws {
        let (_, pool, owner, session) = try await makeCounty()
        let connection = try await PostgresConnection.connect(owner)
        try await connection.executeScript("ALTER TABLE audit_log DISABLE TRIGGER audit_append_only")
        try await connection.executeScript("ALTER TABLE audit_heads DISABLE TRIGGER audit_heads_no_delete")
        try await connection.execute("DELETE FROM audit_log")
        try await connection.execute("DELETE FROM audit_heads")
        #expect(try await AuditVerifier().verify(on: connection)
                == .broken(countyID: session.context.countyID, seq: 1, reason: "the county has no audit entries, not even its bootstrap (its log was removed)"))
        await connection.close()
        await pool.close()
    }

    @Test("tampering by someone who disabled the triggers is found, and the first broken entry named")
    func tamperingDetected() async throws {
        let (accounts, pool, owner, session) = try await makeCounty()
        for index in 0..<5 {
            try await accounts.store.withTenant(session.context) { try await $0.audit("entry", objectType: "test", objectID: String(index)) }
        }
        let connection = try await PostgresConnection.connect(owner)
        let countyID = session.context.countyID
        try await connection.executeScript("ALTER TABLE audit_log DISABLE TRIGGER audit_append_only")
        // Entries: 1 the county's bootstrap, 2 the sign-in, 3… the entries "0"…"4".
        try await connection.execute("UPDATE audit_log SET object_id = 'forged' WHERE seq = 4")
        #expect(try await AuditVerifier().verify(on: connection)
                == .broken(countyID: countyID, seq: 4, reason: "its content does not match its hash"))
        try await connection.execute("UPDATE audit_log SET object_id = '1' WHERE seq = 4")
        #expect(try await AuditVerifier().verify(on: connection) == .intact(entries: 7, counties: 1))
        try await connection.execute("DELETE FROM audit_log WHERE seq = 5")
        #expect(try await AuditVerifier().verify(on: connection)
                == .broken(countyID: countyID, seq: 6, reason: "an entry before it is missing"))
        // Every entry gone, the chain's head kept: said as such.
        try await connection.execute("DELETE FROM audit_log")
        #expect(try await AuditVerifier().verify(on: connection)
                == .broken(countyID: countyID, seq: 1, reason: "all its entries were removed (the chain ended at 7)"))
        await connection.close()
        await pool.close()
    }
}
