import Foundation
import Postgres
import ReliefDomain

/// Creates a county with its county-level org, its relief center and joint-meeting office,
/// the departments and items of the default catalog (`DefaultCatalog`), and its first center manager: what `relieflink admin create-user` does on day one.
///
/// Runs on an owner connection, but inside the new manager's own tenant context, so the
/// row-level security policies admit the rows as they would the manager's own work.
public struct CountyBootstrap: Sendable {
    public struct Result: Sendable {
        public let countyID: UUID
        public let userID: UUID
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidDivisionCode(String)
        case usernameTaken(String)
        case weakPassword(String)

        public var description: String {
            switch self {
            case .invalidDivisionCode(let code): "\(code) is not a county's 12-digit division code (a county-level code: province 11–82, prefecture and county parts not 00, then 000000)"
            case .usernameTaken(let name): "the county already has a user named \(name)"
            case .weakPassword(let why): "password refused: \(why)"
            }
        }
    }

    public init() {}

    public func createManager(
        on connection: PostgresConnection, countyCode: String, countyName: String,
        username: String, displayName: String, password: String
    ) async throws -> Result {
        guard DivisionCode.isCounty(countyCode) else { throw Failure.invalidDivisionCode(countyCode) }
        if let problem = SignInPolicy.problem(withNewPassword: password) { throw Failure.weakPassword(problem) }
        let hash = await Accounts.offload { Accounts.hashPassword(password) }
        return try await connection.transaction { connection in
            let countyID = try await connection.query("""
                INSERT INTO counties (county_id, division_code, name) VALUES (\(UUID()), \(countyCode), \(countyName))
                ON CONFLICT (division_code) DO UPDATE SET name = counties.name
                RETURNING county_id
                """).scalar(UUID.self)!
            let userID = UUID()
            try await connection.execute("""
                SELECT set_config('app.county_id', \(countyID.uuidString), true),
                       set_config('app.user_id', \(userID.uuidString), true),
                       set_config('app.org_path', \(countyCode), true),
                       set_config('app.roles', 'center_manager', true)
                """)
            let orgID = try await connection.query("""
                INSERT INTO orgs (county_id, id, tier, division_code, name, path)
                VALUES (\(countyID), \(UUID()), 'county', \(countyCode), \(countyName), \(countyCode)::ltree)
                ON CONFLICT (county_id, division_code) DO UPDATE SET name = orgs.name
                RETURNING id
                """).scalar(UUID.self)!
            for (kind, name) in [("relief_center", "社会救助中心"), ("joint_office", "社会救助联席会议办公室")] {
                try await connection.execute("""
                    INSERT INTO departments (county_id, id, kind, name)
                    VALUES (\(countyID), \(UUID()), \(kind)::department_kind, \(name))
                    ON CONFLICT DO NOTHING
                    """)
            }
            let centerID = try await connection.query("""
                SELECT id FROM departments WHERE county_id = \(countyID) AND kind = 'relief_center'
                """).scalar(UUID.self)
            do {
                _ = try await connection.savepoint { connection in
                    try await connection.execute("""
                        INSERT INTO users (county_id, id, username, display_name, password_hash, org_id, department_id)
                        VALUES (\(countyID), \(userID), \(username), \(displayName), \(hash), \(orgID), \(centerID))
                        """)
                }
            } catch let error as PostgresServerError where error.code == .uniqueViolation {
                throw Failure.usernameTaken(username)
            }
            try await connection.execute("""
                INSERT INTO role_grants (county_id, user_id, role) VALUES (\(countyID), \(userID), 'center_manager')
                """)
            let transaction = TenantTransaction(connection: connection, context: nil)
            try await Catalog.seedDefault(in: transaction)
            // The operator's command, not a user, made the account: no actor, but the log starts here.
            try await transaction.audit("county_bootstrapped", objectType: "user", objectID: userID.uuidString.lowercased(),
                                        detail: ["username": username, "roles": "center_manager", "by": "relieflink admin create-user"])
            return Result(countyID: countyID, userID: userID)
        }
    }
}
