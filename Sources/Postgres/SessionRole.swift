/// Whom a connection's session acts as between transactions.
///
/// A transaction may take a role and leave its session acting as it (its `SET ROLE` is
/// committed), so that the next transaction on that connection acting as the same role does
/// not switch again. A switch made transaction-locally costs the server, on every
/// transaction, a role look-up, a search-path recomputation for the new user and a revert at
/// commit. Everything else run on the connection outside such a transaction first goes back
/// to the user it logged in as (`PostgresConnection.run`), so it never runs as a role it did
/// not ask for.
enum SessionRole: Equatable, Sendable {
    case loginUser
    case role(String)
    /// A switch began and may or may not have been committed: the next use switches again.
    case unknown

    init(_ role: String?) {
        self = role.map { .role($0) } ?? .loginUser
    }

    /// The statement that makes the session act as this role, run inside the transaction
    /// that switches (a rollback undoes it).
    var switchSQL: String {
        switch self {
        case .role(let name): "SET ROLE \(quoteIdentifier(name))"
        case .loginUser, .unknown: "RESET ROLE"
        }
    }

    /// `switchSQL` as a statement of a pipeline.
    var switchStatement: PostgresQuery {
        PostgresQuery(unsafeSQL: switchSQL)
    }
}
