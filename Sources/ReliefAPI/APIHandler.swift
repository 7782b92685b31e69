import Foundation
import Logging
import OpenAPIRuntime
import Postgres
import ReliefStore

/// Implements the operations of `openapi.yaml`; the generated `APIProtocol` is the contract.
struct APIHandler: APIProtocol {
    let pool: ConnectionPool
    let accounts: Accounts
    /// Seals and opens applicants' personal data.
    let cipher: PersonalDataCipher
    /// One for the process, so that online applications arriving together are filed together.
    let intake: Intake
    /// Shares out what citizens may call without an account.
    let publicLimiter: ClientRateLimiter
    /// Marks the session cookie Secure (HTTPS only); off for the plain-HTTP demo.
    let secureCookies: Bool
    let migrations: [Migration]
    let logger: Logger

    var store: Store { accounts.store }

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    /// Ready when the database answers within two seconds and every migration this build
    /// knows has been applied.
    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        var checks: [Components.Schemas.Check] = []
        do {
            let applied = try await pool.query("SELECT version FROM schema_migrations", timeout: .seconds(2))
                .column(Int32.self).map { Int($0) }
            checks.append(.init(name: "database", ok: true))
            let pending = Set(migrations.map(\.version)).subtracting(applied).count
            checks.append(pending == 0
                ? .init(name: "migrations", ok: true)
                : .init(name: "migrations", ok: false, detail: "\(pending) migration(s) pending; run `relieflink migrate`"))
        } catch let error as PostgresServerError where error.code == .undefinedTable {
            checks.append(.init(name: "database", ok: true))
            checks.append(.init(name: "migrations", ok: false, detail: "the database was never migrated; run `relieflink migrate`"))
        } catch {
            // The cause goes to the log only: anyone may ask /readyz, and the cause names the
            // database's host, port, name and user.
            logger.warning("readiness check failed", metadata: ["error": "\(error)"])
            checks.append(.init(name: "database", ok: false, detail: "the database cannot be reached; the server's log says why"))
        }
        let readiness = Components.Schemas.Readiness(
            status: checks.allSatisfy(\.ok) ? .ready : .unavailable, checks: checks)
        return readiness.status == .ready
            ? .ok(.init(body: .json(readiness)))
            : .serviceUnavailable(.init(body: .json(readiness)))
    }
}

// MARK: Helpers shared by the operations

extension APIHandler {
    /// The signed-in user's context; 401 without one.
    func signedIn() throws -> TenantContext {
        guard var context = RequestIdentity.current.context else { throw Problem.unauthorized }
        context.clientAddress = RequestIdentity.current.clientAddress
        return context
    }

    /// An id in the path: one that is not a UUID names nothing, so 404 like an unknown one.
    func pathID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Problem.notFound }
        return id
    }

    /// An id in the body: malformed is a bad request that names the field.
    func requiredID(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Problem.invalid("\(field) 不是有效的编号：\(text)") }
        return id
    }

    func optionalID(_ text: String?, field: String) throws -> UUID? {
        try text.map { try requiredID($0, field: field) }
    }
}
