import Foundation
import Logging
import Postgres
import ReliefDomain

/// The way into the database for requests and jobs. Every transaction acts as its actor's
/// role and first sets its tenant context, transaction-locally and with bound values, so
/// row-level security sees who is acting; `settingsStatement(_:)` below builds the only
/// statement with which requests and jobs do so (the owner-side `CountyBootstrap` sets the new
/// manager's context the same way). The role alone outlives the transaction: a connection
/// keeps acting as it until a transaction of another actor, or anything run outside the
/// store, switches it (`PostgresConnection.transaction(actingAs:)`); the context never does.
/// The pool must connect as a member of the application role, which owns nothing and cannot
/// bypass row-level security.
public struct Store: Sendable {
    public let pool: ConnectionPool
    /// Counties by division code: read on every public request and 12345 push, and never
    /// renamed in practice, so kept for a minute.
    private let counties = CountyCache(lifetime: .seconds(60))

    public init(pool: ConnectionPool) {
        self.pool = pool
    }

    /// Runs `body` in one transaction acting as `context`. The context ends with the
    /// transaction, so a pooled connection never carries it into the next request.
    public func withTenant<T>(
        _ context: TenantContext,
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: (TenantTransaction) async throws -> T
    ) async throws -> T {
        try await transaction(
            as: DatabaseActor(context),
            settings: [
                ("app.county_id", .bound(context.countyID.uuidString)),
                ("app.user_id", .bound(context.userID.uuidString)),
                ("app.org_path", .bound(context.orgPath)),
                ("app.department_id", context.departmentID.map { .bound($0.uuidString) } ?? ""),
                ("app.roles", .bound(context.rolesLiteral)),
                // Staff see rows through policies whose values the planner never sees (init
                // plans), so a plan made for one execution's parameters is no better than one
                // made once, and planning row-level security costs as much as running a page.
                ("plan_cache_mode", "force_generic_plan"),
            ],
            context: context, isolation: isolation, readOnly: readOnly, body)
    }

    /// A county served here, by its division code (the county directory is public).
    public func county(code: String) async throws -> (id: UUID, name: String)? {
        if let known = counties[code] { return known }
        let county = try await pool.query("""
            SELECT county_id, name FROM public_county(\(code))
            """).decode((UUID, String).self).first.map { (id: $0.0, name: $0.1) }
        if let county { counties[code] = county }
        return county
    }

    /// A transaction of a citizen online or of the 12345 platform: no account, only the county
    /// and the channel, which the policies admit to exactly their steps.
    public func withChannel<T>(_ channel: IntakeChannel, countyID: UUID, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await transaction(
            as: .public, settings: Self.channelSettings(channel, countyID: countyID), context: nil, body)
    }

    /// One statement of a citizen online or of the 12345 platform, as its own transaction in a
    /// single round trip: the context and the statement go to the server together (the
    /// busiest write, online intake, would otherwise wait on four round trips).
    public func runAsChannel(_ channel: IntakeChannel, countyID: UUID, _ query: PostgresQuery) async throws -> PostgresResult {
        let context = Self.settingsStatement(Self.channelSettings(channel, countyID: countyID))
        return try await pool.withConnection { connection in
            try await connection.pipelinedTransaction([context, query], actingAs: DatabaseActor.public.rawValue)[1]
        }
    }

    /// What a channel's transaction sets: its county and the channel.
    private static func channelSettings(_ channel: IntakeChannel, countyID: UUID) -> [Setting] {
        [("app.county_id", .bound(countyID.uuidString)), ("app.channel", .bound(channel.rawValue))]
    }

    /// A transaction of an applicant reading what they filed, by its number and query code.
    public func withLookup<T>(countyID: UUID, number: String, queryCode: String, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await transaction(
            as: .public, settings: [("app.county_id", .bound(countyID.uuidString)), ("app.lookup_number", .bound(number)),
                       ("app.lookup_code_hash", .bound(QueryCodeHash.hex(of: queryCode)))],
            context: nil, readOnly: true, body)
    }

    /// A transaction of the job runner acting for one county: delivering its outbox, timing
    /// its cases. It is nobody's user; the policies admit it to exactly those steps.
    public func withJobRunner<T>(countyID: UUID, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await transaction(
            as: .jobs, settings: [("app.county_id", .bound(countyID.uuidString)), ("app.job_runner", "on")],
            context: nil, body)
    }

    /// A transaction of sign-in: the county is known, the user only by the name typed.
    func withSignIn<T>(_ signIn: SignInContext, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await transaction(
            as: .public, settings: [("app.county_id", .bound(signIn.countyID.uuidString)), ("app.sign_in_username", .bound(signIn.username))],
            context: nil, body)
    }

    /// A transaction that resolves a presented credential: the county is known from the token.
    func withCredential<T>(countyID: UUID, hashHex: String, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await transaction(
            as: .public, settings: [("app.county_id", .bound(countyID.uuidString)), ("app.credential_hash", .bound(hashHex))],
            context: nil, body)
    }

    /// Opens a transaction acting as `actor` with `settings` set in it.
    private func transaction<T>(
        as actor: DatabaseActor,
        settings: [Setting],
        context: TenantContext?,
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: (TenantTransaction) async throws -> T
    ) async throws -> T {
        let statement = Self.settingsStatement(settings)
        return try await pool.transaction(
            isolation: isolation, readOnly: readOnly, actingAs: actor.rawValue, retries: isolation == .readCommitted ? 0 : 3
        ) { connection in
            try await connection.execute(statement)
            return try await body(TenantTransaction(connection: connection, context: context))
        }
    }

    /// One setting of a transaction: a name from this file and its value.
    private typealias Setting = (name: StaticString, value: SettingValue)

    /// Sets each setting transaction-locally, with one `set_config(name, value, true)` each.
    /// Every value that comes from a request is bound as a parameter. The names, and values
    /// that are constants of this file, are written into the text: they are `StaticString`s,
    /// so no input can reach them, and the server parses one parameter per setting rather
    /// than two (or none). Written as one interpolation rather than joined fragments: it runs
    /// before every request's first statement.
    private static func settingsStatement(_ settings: [Setting]) -> PostgresQuery {
        var text = PostgresQuery.StringInterpolation(literalCapacity: 32 * settings.count, interpolationCount: settings.count)
        for (index, (name, value)) in settings.enumerated() {
            text.appendLiteral(index == 0 ? "SELECT set_config('\(name)', " : ", set_config('\(name)', ")
            switch value {
            case .bound(let value): text.appendInterpolation(value)
            case .constant(let value): text.appendLiteral("'\(value)'")
            }
            text.appendLiteral(", true)")
        }
        return PostgresQuery(stringInterpolation: text)
    }
}

/// A setting's value: bound as a parameter, or, for a constant of the store's own code (a
/// string literal), written into the statement.
private enum SettingValue: ExpressibleByStringLiteral {
    case bound(String)
    case constant(StaticString)

    init(stringLiteral value: StaticString) {
        // Written between single quotes: a literal of this file that held one is a bug, which
        // the tests' debug builds catch.
        assert(!value.description.contains("'"), "a constant setting holds a quote")
        self = .constant(value)
    }
}

/// A transaction running as one tenant context. Repositories take one; so do tests that
/// prove hand-written SQL cannot cross a county.
public struct TenantTransaction: Sendable {
    let connection: PostgresConnection
    /// nil during sign-in and credential checks, before the user is known.
    public let context: TenantContext?

    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await connection.query(query)
    }

    @discardableResult
    public func execute(_ query: PostgresQuery) async throws -> Int {
        try await connection.execute(query)
    }
}
