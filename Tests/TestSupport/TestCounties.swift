import Postgres
import ReliefStore

/// Counties bootstrapped as `relieflink admin create-user` does, in a fresh database, with a
/// pool that connects as the application's login role (through row-level security).
public struct TestCounties: Sendable {
    /// The database as its owner, for checks and tampering that the application cannot do.
    public let owner: ConnectionConfiguration
    public let pool: ConnectionPool

    public static let managerUsername = "manager"

    /// - Parameter counties: division code and name of each county; each gets a center
    ///   manager named `manager` with `password`.
    public static func make(_ counties: [(code: String, name: String)] = [("320281000000", "江阴市")],
                            password: String, maximumConnections: Int = 4) async throws -> TestCounties {
        let owner = try await TestDatabase.create()
        let connection = try await PostgresConnection.connect(owner)
        for county in counties {
            _ = try await CountyBootstrap().createManager(
                on: connection, countyCode: county.code, countyName: county.name, username: managerUsername,
                displayName: "王主任", password: password)
        }
        await connection.close()
        let pool = ConnectionPool(.init(connection: TestDatabase.appConfiguration(owner), maximumConnections: maximumConnections))
        return TestCounties(owner: owner, pool: pool)
    }
}
