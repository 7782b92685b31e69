import Foundation
import Logging
import Postgres

/// The way into the database for requests and jobs. Every transaction first sets its
/// tenant context, transaction-locally and with bound values, so row-level security sees who
/// is acting; no other code path runs tenant SQL. The pool must connect as the application
/// role, which owns nothing and cannot bypass row-level security.
public struct Store: Sendable {
    public let pool: ConnectionPool

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
        try await pool.transaction(isolation: isolation, readOnly: readOnly, retries: isolation == .readCommitted ? 0 : 3) { connection in
            try await connection.execute("""
                SELECT set_config('app.county_id', \(context.countyID.uuidString), true),
                       set_config('app.user_id', \(context.userID.uuidString), true),
                       set_config('app.org_path', \(context.orgPath), true),
                       set_config('app.department_id', \(context.departmentID?.uuidString ?? ""), true),
                       set_config('app.roles', \(context.rolesLiteral), true)
                """)
            return try await body(TenantTransaction(connection: connection, context: context))
        }
    }
}

extension Store {
    /// A transaction of sign-in: the county is known, the user only by the name typed.
    func withSignIn<T>(_ signIn: SignInContext, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await pool.transaction { connection in
            try await connection.execute("""
                SELECT set_config('app.county_id', \(signIn.countyID.uuidString), true),
                       set_config('app.sign_in_username', \(signIn.username), true)
                """)
            return try await body(TenantTransaction(connection: connection, context: nil))
        }
    }

    /// A transaction that resolves a presented credential: the county is known from the token.
    func withCredential<T>(countyID: UUID, hashHex: String, _ body: (TenantTransaction) async throws -> T) async throws -> T {
        try await pool.transaction { connection in
            try await connection.execute("""
                SELECT set_config('app.county_id', \(countyID.uuidString), true),
                       set_config('app.credential_hash', \(hashHex), true)
                """)
            return try await body(TenantTransaction(connection: connection, context: nil))
        }
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
