import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

@Suite("Sign-in, sessions and tokens")
struct AccountsTests {
    static let countyCode = "320281000000"
    static let password = "救助-Password-2026"

    /// A county bootstrapped as `relieflink admin create-user` does, and accounts through the app role.
    private func makeCounty() async throws -> (Accounts, ConnectionPool, ConnectionConfiguration) {
        let counties = try await TestCounties.make([(Self.countyCode, "江阴市")], password: Self.password)
        return (Accounts(store: Store(pool: counties.pool)), counties.pool, counties.owner)
    }

    @Test("the first manager signs in; the token authenticates as that user with their roles")
    func signIn() async throws {
        let (accounts, pool, owner) = try await makeCounty()
        let session = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        #expect(session.context.roles == [.centerManager])
        #expect(session.context.orgPath == Self.countyCode)
        #expect(session.displayName == "王主任")
        let context = try await accounts.authenticate(session.token.value)
        #expect(context == session.context)
        #expect(!"\(session.token)".contains(session.token.value.suffix(20)))
        // Only the hash is stored, and the password with bcrypt cost ≥ 10.
        let connection = try await PostgresConnection.connect(owner)
        let stored = try await connection.query("SELECT token_hash FROM credentials").scalar(Data.self)
        #expect(stored == session.token.hash)
        let hash = try await connection.query("SELECT password_hash FROM users").scalar(String.self) ?? ""
        let cost = Int(hash.split(separator: "$").dropFirst().first ?? "") ?? 0  // $2b$10$…
        #expect(cost >= 10)
        await connection.close()
        await pool.close()
    }

    @Test("a wrong password, an unknown user and an unknown county all fail alike")
    func wrongCredentials() async throws {
        let (accounts, pool, _) = try await makeCounty()
        for (county, user, password) in [(Self.countyCode, "manager", "wrong-password-1"), (Self.countyCode, "nobody", Self.password),
                                         ("320282000000", "manager", Self.password)] {
            await #expect(throws: Accounts.Failure.invalidCredentials) {
                try await accounts.signIn(countyCode: county, username: user, password: password)
            }
        }
        await pool.close()
    }

    @Test("repeated failures lock the account with back-off, even against the right password")
    func lockout() async throws {
        let (accounts, pool, _) = try await makeCounty()
        let start = Date()
        for attempt in 1...5 {
            do {
                _ = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: "wrong-\(attempt)", now: start)
                Issue.record("a wrong password signed in")
            } catch let failure as Accounts.Failure {
                if attempt < 5 { #expect(failure == .invalidCredentials) } else {
                    #expect(failure == .locked(until: start.addingTimeInterval(60)))
                }
            }
        }
        let whileLocked = await #expect(throws: Accounts.Failure.self) {
            try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password, now: start.addingTimeInterval(30))
        }
        guard case .locked(let until)? = whileLocked else {
            Issue.record("expected a lock, got \(String(describing: whileLocked))")
            return
        }
        // Stored with microsecond precision.
        #expect(abs(until.timeIntervalSince(start.addingTimeInterval(60))) < 0.001)
        // After the lock, the right password works and resets the count.
        let session = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password,
                                                now: start.addingTimeInterval(61))
        #expect(session.context.roles == [.centerManager])
        #expect(SignInPolicy().lockSeconds(afterFailures: 6) == 120)
        #expect(SignInPolicy().lockSeconds(afterFailures: 40) == 3600)
        await pool.close()
    }

    @Test("revoked, expired, forged and malformed tokens authenticate nobody")
    func badTokens() async throws {
        let (accounts, pool, _) = try await makeCounty()
        let session = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        let expiresSoon = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password,
                                                    kind: .api, name: "12345 bridge", lifetime: .seconds(60))
        let expired = try await accounts.authenticate(expiresSoon.token.value, now: Date().addingTimeInterval(120))
        #expect(expired == nil)
        let otherCounty = AccessToken.generate(countyID: UUID()).value
        let forged = "rl_" + session.token.value.dropFirst(3).prefix(33) + String(repeating: "A", count: 43)
        for token in [otherCounty, forged, "", "Bearer x", "rl_zz_zz", String(repeating: "x", count: 5000)] {
            #expect(try await accounts.authenticate(token) == nil)
        }
        try await accounts.revoke(session.token.value, as: session.context)
        #expect(try await accounts.authenticate(session.token.value) == nil)
        await pool.close()
    }

    @Test("changing the password checks the old one and ends every other session")
    func changePassword() async throws {
        let (accounts, pool, _) = try await makeCounty()
        let current = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        let other = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        await #expect(throws: Accounts.Failure.invalidCredentials) {
            try await accounts.changePassword(current.context, current: "not-it-123", new: "New-password-2027", keeping: current.token.value)
        }
        await #expect(throws: Accounts.Failure.self) {
            try await accounts.changePassword(current.context, current: Self.password, new: "short", keeping: current.token.value)
        }
        try await accounts.changePassword(current.context, current: Self.password, new: "New-password-2027", keeping: current.token.value)
        #expect(try await accounts.authenticate(current.token.value) != nil)
        #expect(try await accounts.authenticate(other.token.value) == nil)
        await #expect(throws: Accounts.Failure.invalidCredentials) {
            try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        }
        _ = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: "New-password-2027")
        await pool.close()
    }

    @Test("a deactivated account cannot sign in and its tokens stop working")
    func deactivated() async throws {
        let (accounts, pool, owner) = try await makeCounty()
        let session = try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        let connection = try await PostgresConnection.connect(owner)
        try await connection.execute("UPDATE users SET active = false")
        await connection.close()
        #expect(try await accounts.authenticate(session.token.value) == nil)
        await #expect(throws: Accounts.Failure.invalidCredentials) {
            try await accounts.signIn(countyCode: Self.countyCode, username: "manager", password: Self.password)
        }
        await pool.close()
    }

    @Test("bootstrapping refuses a bad county code, a weak password and a taken username")
    func bootstrapRefusals() async throws {
        let owner = try await TestDatabase.create()
        let connection = try await PostgresConnection.connect(owner)
        let bootstrap = CountyBootstrap()
        await #expect(throws: CountyBootstrap.Failure.invalidDivisionCode("3202810")) {
            try await bootstrap.createManager(on: connection, countyCode: "3202810", countyName: "x", username: "a1b", displayName: "x", password: Self.password)
        }
        await #expect(throws: CountyBootstrap.Failure.self) {
            try await bootstrap.createManager(on: connection, countyCode: Self.countyCode, countyName: "x", username: "a1b", displayName: "x", password: "aaaaaaaaaaaa")
        }
        _ = try await bootstrap.createManager(on: connection, countyCode: Self.countyCode, countyName: "江阴市", username: "first", displayName: "甲", password: Self.password)
        await #expect(throws: CountyBootstrap.Failure.usernameTaken("first")) {
            try await bootstrap.createManager(on: connection, countyCode: Self.countyCode, countyName: "江阴市", username: "first", displayName: "乙", password: Self.password)
        }
        // A second manager in the same county reuses its org and departments.
        _ = try await bootstrap.createManager(on: connection, countyCode: Self.countyCode, countyName: "江阴市", username: "second", displayName: "丙", password: Self.password)
        let counts = try await connection.query("""
            SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM departments), (SELECT count(*) FROM users),
                   (SELECT count(*) FROM catalog_items), (SELECT count(*) FROM catalog_item_versions)
            """).first!
        // The relief center, the joint office and the default catalog's departments; one version per default item.
        let departments = 2 + DefaultCatalog.departmentNames.count
        #expect(try counts.decode((Int, Int, Int, Int, Int).self)
                == (1, departments, 2, DefaultCatalog.entries.count, DefaultCatalog.entries.count))
        await connection.close()
    }
}
