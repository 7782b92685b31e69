import Foundation
import Postgres
import ReliefDomain
import ReliefStore
import Testing
import TestSupport

/// Isolation proven, not assumed: PostgreSQL itself decides who sees which rows.
@Suite("Row-level security")
struct RowLevelSecurityTests {
    private func makeWorld(seed: UInt64) async throws -> (TenantWorld, Store, ConnectionPool) {
        let owner = try await TestDatabase.create()
        var generator = SeededGenerator(state: seed)
        let world = TenantWorld(generator: &generator)
        let connection = try await PostgresConnection.connect(owner)
        try await world.insert(into: connection)
        await connection.close()
        let pool = ConnectionPool(.init(connection: TestDatabase.appConfiguration(owner), maximumConnections: 4))
        return (world, Store(pool: pool), pool)
    }

    @Test("select, update and delete obey the visibility rule for random users and cases", arguments: [UInt64(20_261_129), 4012, 2021])
    func randomTriples(seed: UInt64) async throws {
        let (world, store, pool) = try await makeWorld(seed: seed)
        var generator = SeededGenerator(state: seed &+ 1)
        for _ in 0..<150 {
            let user = world.users.randomElement(using: &generator)!
            let item = world.cases.randomElement(using: &generator)!
            let expectedVisible = TenantWorld.canSee(user, item)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                let seen = try await store.withTenant(user.context) { try await $0.query("SELECT id FROM cases WHERE id = \(item.id)").count }
                #expect(seen == (expectedVisible ? 1 : 0), "seed \(seed): select by \(user.roles) at \(user.org.path) of case at \(item.org.path)")
            case 1:
                let updated = try await store.withTenant(user.context) {
                    try await $0.execute("UPDATE cases SET title = title || '' WHERE id = \(item.id)")
                }
                #expect(updated == (TenantWorld.canUpdate(user, item) ? 1 : 0), "seed \(seed): update by \(user.roles)")
            default:
                // Cases are never hard-deleted: the application role has no DELETE on them.
                let error = await #expect(throws: PostgresServerError.self) {
                    try await store.withTenant(user.context) { try await $0.execute("DELETE FROM cases WHERE id = \(item.id)") }
                }
                #expect(error?.code == .insufficientPrivilege)
            }
        }
        let remaining = try await store.withTenant(world.users.first { !$0.roles.isDisjoint(with: Role.countyWide) }!.context) {
            try await $0.query("SELECT count(*) FROM cases").scalar(Int.self)
        }
        #expect((remaining ?? 0) > 0)
        await pool.close()
    }

    @Test("hand-written SQL through the application role cannot cross a county")
    func noCrossCounty() async throws {
        let (world, store, pool) = try await makeWorld(seed: 7)
        for user in world.users.prefix(20) {
            let others = world.counties.map(\.id).filter { $0 != user.countyID }
            try await store.withTenant(user.context) { transaction in
                let visible = try await transaction.query("SELECT count(*) FROM cases").scalar(Int.self)
                #expect(visible == world.cases.filter { TenantWorld.canSee(user, $0) }.count)
                for table in ["cases", "orgs", "departments", "users", "role_grants", "case_assignments", "counties"] {
                    let foreign = try await transaction.query("SELECT count(*) FROM \(identifier: table) WHERE county_id = ANY(\(others))").scalar(Int.self)
                    #expect(foreign == 0, "\(table) shows another county's rows")
                }
                let changed = try await transaction.execute("UPDATE cases SET title = 'x' WHERE county_id = ANY(\(others))")
                #expect(changed == 0)
            }
            // Writing into another county is refused outright.
            let foreignOrg = world.orgs.first { $0.countyID != user.countyID && $0.tier == .village }!
            let error = await #expect(throws: PostgresServerError.self) {
                try await store.withTenant(user.context) { transaction in
                    try await transaction.execute("""
                        INSERT INTO cases (county_id, id, org_id, org_path, title)
                        VALUES (\(foreignOrg.countyID), \(UUID()), \(foreignOrg.id), \(foreignOrg.path)::ltree, 'x')
                        """)
                }
            }
            #expect(error?.code == .insufficientPrivilege)
        }
        await pool.close()
    }

    @Test("a staff context without the actor's role reads no case: the rules for staff serve relieflink_staff only")
    func staffRulesNeedTheStaffRole() async throws {
        let (world, store, pool) = try await makeWorld(seed: 13)
        let user = world.users.first { !$0.roles.isDisjoint(with: Role.countyWide) }!
        let throughStore = try await store.withTenant(user.context) { try await $0.query("SELECT count(*) FROM cases").scalar(Int.self) }
        #expect((throughStore ?? 0) > 0)
        // The same context set by hand on the login role, without set_config('role', …).
        let byHand = try await pool.transaction { connection in
            try await connection.execute("""
                SELECT set_config('app.county_id', \(user.context.countyID.uuidString), true),
                       set_config('app.user_id', \(user.context.userID.uuidString), true),
                       set_config('app.org_path', \(user.context.orgPath), true),
                       set_config('app.roles', \(user.context.rolesLiteral), true)
                """)
            return try await connection.query("SELECT count(*) FROM cases").scalar(Int.self)
        }
        #expect(byHand == 0)
        await pool.close()
    }

    @Test("only a context holding a county-wide role acts as relieflink_county_staff, whose reading is bounded by the county alone")
    func countyStaffRoleIsForCountyWideReaders() async throws {
        let (world, store, pool) = try await makeWorld(seed: 19)
        for user in world.users {
            let actor = try await store.withTenant(user.context) { try await $0.query("SELECT current_user::text").scalar(String.self) }
            let expected = !user.roles.isDisjoint(with: Role.department) ? "relieflink_department"
                : !user.roles.isDisjoint(with: Role.countyWide) ? "relieflink_county_staff" : "relieflink_staff"
            #expect(actor == expected, "\(user.roles)")
        }
        // A township agent's context under the county-wide role would read the whole county:
        // the role, not the context alone, is what keeps it to its township.
        let agent = try #require(world.users.first { user in
            user.roles.isSubset(of: Role.subtree)
                && world.cases.contains { $0.countyID == user.countyID && !TenantWorld.canSee(user, $0) }
        })
        let county = world.cases.filter { $0.countyID == agent.countyID }.count
        let asCountyStaff = try await pool.transaction { connection in
            try await connection.execute("""
                SELECT set_config('role', 'relieflink_county_staff', true),
                       set_config('app.county_id', \(agent.context.countyID.uuidString), true),
                       set_config('app.org_path', \(agent.context.orgPath), true),
                       set_config('app.roles', \(agent.context.rolesLiteral), true)
                """)
            return try await connection.query("SELECT count(*) FROM cases").scalar(Int.self)
        }
        #expect(asCountyStaff == county)
        let throughStore = try await store.withTenant(agent.context) { try await $0.query("SELECT count(*) FROM cases").scalar(Int.self) }
        #expect(throughStore == world.cases.filter { TenantWorld.canSee(agent, $0) }.count)
        #expect((throughStore ?? 0) < county)
        await pool.close()
    }

    @Test("each policy on cases that serves one kind of actor names that actor's role")
    func casePoliciesNameTheirActors() async throws {
        let (_, _, pool) = try await makeWorld(seed: 17)
        let policies = try await pool.query("""
            SELECT policyname, roles::text[] FROM pg_policies WHERE tablename = 'cases' AND cmd = 'SELECT' ORDER BY policyname
            """).decode((String, [String]).self)
        #expect(policies.map { "\($0.0):\($0.1.joined(separator: ","))" } == [
            "applicant_reads:relieflink_public", "hotline_reads_orders:relieflink_public", "job_runner_reads:relieflink_jobs",
            "read_cases:relieflink_staff", "read_cases_of_department:relieflink_department",
            "read_county_cases:relieflink_county_staff",
        ])
        let actors = try await pool.query("""
            SELECT rolname, rolcanlogin, rolbypassrls, rolsuper FROM pg_roles
            WHERE rolname IN ('relieflink_staff', 'relieflink_county_staff', 'relieflink_department', 'relieflink_public', 'relieflink_jobs')
            ORDER BY rolname
            """).decode((String, Bool, Bool, Bool).self)
        #expect(actors.count == 5)
        #expect(actors.allSatisfy { !$0.1 && !$0.2 && !$0.3 }, "actor roles neither log in nor bypass row-level security")
        await pool.close()
    }

    @Test("without a tenant context every policy fails closed")
    func failsClosed() async throws {
        let (_, _, pool) = try await makeWorld(seed: 11)
        try await pool.withConnection { connection in
            for table in ["cases", "orgs", "departments", "users", "role_grants", "counties"] {
                let rows = try await connection.query("SELECT count(*) FROM \(identifier: table)").scalar(Int.self)
                #expect(rows == 0, "\(table) is readable without a context")
            }
        }
        await pool.close()
    }

    @Test("a pooled connection never carries one request's context into the next, also after an error")
    func contextDoesNotLeak() async throws {
        let owner = try await TestDatabase.create()
        var generator = SeededGenerator(state: 99)
        let world = TenantWorld(generator: &generator)
        let connection = try await PostgresConnection.connect(owner)
        try await world.insert(into: connection)
        await connection.close()
        // One connection, so every transaction below reuses it.
        let pool = ConnectionPool(.init(connection: TestDatabase.appConfiguration(owner), maximumConnections: 1))
        let store = Store(pool: pool)
        let center = world.users.first { $0.roles.contains(.centerManager) || $0.roles.contains(.centerAgent) }
            ?? world.users.first { !$0.roles.isDisjoint(with: Role.countyWide) }!
        let seen = try await store.withTenant(center.context) { try await $0.query("SELECT count(*) FROM cases").scalar(Int.self) }
        #expect((seen ?? 0) > 0)
        try await pool.withConnection { connection in
            let setting = try await connection.query("SELECT current_setting('app.county_id', true)").scalar(String?.self)
            #expect((setting ?? nil).map(\.isEmpty) ?? true)
            let rows = try await connection.query("SELECT count(*) FROM cases").scalar(Int.self)
            #expect(rows == 0)
        }
        // An error mid-transaction rolls the context back with everything else.
        await #expect(throws: PostgresServerError.self) {
            try await store.withTenant(center.context) { transaction in
                try await transaction.query("SELECT count(*) FROM cases")
                try await transaction.query("SELECT * FROM no_such_table")
            }
        }
        try await pool.withConnection { connection in
            #expect(!connection.isInTransaction)
            let rows = try await connection.query("SELECT count(*) FROM cases").scalar(Int.self)
            #expect(rows == 0)
        }
        // The next request, for another county, sees only its own.
        let other = world.users.first { $0.countyID != center.countyID && !$0.roles.isDisjoint(with: Role.countyWide) }!
        let otherSeen = try await store.withTenant(other.context) {
            try await $0.query("SELECT DISTINCT county_id FROM cases").column(UUID.self)
        }
        #expect(otherSeen == [other.countyID])
        await pool.close()
    }
}
