import Foundation
import HummingbirdBcrypt
import Postgres
import ReliefDomain

/// Staff sign-in, browser sessions and API tokens, through the application role and
/// row-level security from the first statement on.
public struct Accounts: Sendable {
    public let store: Store
    public var policy = SignInPolicy()
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// bcrypt cost for new passwords (each step doubles the work).
    public var bcryptCost: UInt8 = 10

    public init(store: Store) {
        self.store = store
    }

    public enum Failure: Error, Equatable, Sendable {
        /// Unknown county or user, wrong password or deactivated account: never said which.
        case invalidCredentials
        case locked(until: Date)
        case invalidNewPassword(String)
    }

    /// A signed-in user and the credential that proves it.
    public struct Session: Sendable {
        public let token: AccessToken
        public let credentialID: UUID
        public let expiresAt: Date
        public let context: TenantContext
        public let displayName: String
        public let username: String
    }

    private struct Candidate: Sendable {
        let id: UUID
        let passwordHash: String
        let active: Bool
        let context: TenantContext
    }

    /// The stored form of a password: bcrypt, cost 10 unless said otherwise.
    public static func hashPassword(_ password: String, cost: UInt8 = 10) -> String {
        Bcrypt.hash(password, cost: max(cost, 10))
    }

    /// Runs bcrypt (tens of milliseconds of CPU) on Dispatch's threads, not on Swift's
    /// cooperative pool, where it would stall every other request for that long.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    /// A hash of a random password: comparing against it costs what a real check costs, so
    /// the answer time does not tell whether a username exists.
    private static let decoy = Bcrypt.hash(UUID().uuidString, cost: 10)
    /// Computed on first use, on an offloaded thread.
    private static func decoyHash() -> String { decoy }

    /// Checks a username and password of a county (by its 12-digit division code) and opens a
    /// browser session or issues an API token.
    public func signIn(
        countyCode: String, username: String, password: String,
        kind: CredentialKind = .browser, name: String? = nil, lifetime: Duration? = nil,
        clientAddress: String? = nil, now: Date = Date()
    ) async throws -> Session {
        let countyID = try await store.pool.query("SELECT county_by_code(\(countyCode))").scalar(UUID?.self) ?? nil
        guard let countyID else {
            _ = await Self.offload { Bcrypt.verify(password, hash: Self.decoyHash()) }
            throw Failure.invalidCredentials
        }
        let signIn = SignInContext(countyID: countyID, username: username)
        let candidate: Candidate? = try await store.withSignIn(signIn) { transaction in
            // The account and, for when the password is right, the context it will act in.
            try await transaction.query("""
                SELECT u.id, u.password_hash, u.active, u.department_id, o.path::text,
                       ARRAY(SELECT g.role::text FROM role_grants g WHERE g.county_id = u.county_id AND g.user_id = u.id)
                FROM users u JOIN orgs o ON o.county_id = u.county_id AND o.id = u.org_id
                WHERE u.username = \(username)
                """).first.map { row in
                let (id, hash, active, departmentID, path, roles) = try row.decode((UUID, String, Bool, UUID?, String, [String]).self)
                let context = TenantContext(countyID: countyID, userID: id, orgPath: path, departmentID: departmentID,
                                            roles: Set(roles.compactMap(Role.init(rawValue:))))
                return Candidate(id: id, passwordHash: hash, active: active, context: context)
            }
        }
        guard let candidate else {
            _ = await Self.offload { Bcrypt.verify(password, hash: Self.decoyHash()) }
            // Tries of names that do not exist are how accounts are guessed: recorded too.
            try await store.withSignIn(signIn) { transaction in
                try await transaction.audit("sign_in_failed", objectType: "user", detail: ["username": String(username.prefix(64)),
                                                                                          "reason": "unknown_username"],
                                            clientAddress: clientAddress)
            }
            throw Failure.invalidCredentials
        }
        let reserved = try await store.withSignIn(signIn) { transaction in
            try await reserveTry(in: transaction, userID: candidate.id, refusedAs: "sign_in_refused_locked", clientAddress: clientAddress, now: now)
        }
        guard case .allowed(let attempt, let lockIfWrong) = reserved else {
            if case .locked(let until) = reserved { throw Failure.locked(until: until) }
            throw Failure.invalidCredentials
        }
        // bcrypt runs outside any transaction: no connection waits on it.
        guard await Self.offload({ Bcrypt.verify(password, hash: candidate.passwordHash) }), candidate.active else {
            throw try await store.withSignIn(signIn) { transaction in
                try await recordFailure(in: transaction, userID: candidate.id, attempt: attempt, lockIfWrong: lockIfWrong,
                                        action: "sign_in_failed", clientAddress: clientAddress)
            }
        }
        let context = candidate.context
        let token = AccessToken.generate(countyID: countyID)
        let expiresAt = now.addingTimeInterval((lifetime ?? sessionLifetime).seconds)
        let credentialID = UUID()
        let displayName = try await store.withTenant(context) { transaction in
            try await transaction.execute("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = \(candidate.id)")
            try await recordCredential(in: transaction, id: credentialID, token: token, kind: kind, name: name,
                                       expiresAt: expiresAt, clientAddress: clientAddress, action: "sign_in")
            return try await transaction.query("SELECT display_name FROM users WHERE id = \(candidate.id)").scalar(String.self) ?? ""
        }
        return Session(token: token, credentialID: credentialID, expiresAt: expiresAt, context: context,
                       displayName: displayName, username: username)
    }

    /// A center manager sets a new password for a user of the county who forgot theirs: the
    /// lock-out is lifted and every session and token of theirs ends. Their own password
    /// managers change with the current one (`changePassword`).
    public func resetPassword(_ context: TenantContext, userID: UUID, new: String) async throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以重设他人的密码。")
        guard userID != context.userID else { throw StoreFailure.invalid("请用“修改密码”更改自己的密码（需输入当前密码）") }
        if let problem = SignInPolicy.problem(withNewPassword: new) { throw Failure.invalidNewPassword(problem) }
        let cost = bcryptCost
        let hash = await Self.offload { Self.hashPassword(new, cost: cost) }
        try await store.withTenant(context) { transaction in
            guard let ended = try await Self.storePassword(hash, of: userID, keeping: nil, in: transaction) else {
                throw StoreFailure.notFound
            }
            try await transaction.audit("password_reset", objectType: "user", objectID: userID.uuidString.lowercased(),
                                        detail: ["sessions_ended": String(ended)])
        }
    }

    /// Stores a user's new password hash, lifts their lock-out and ends their sessions and
    /// tokens, all but the one presented as `kept`; answers how many ended, nil for an unknown user.
    private static func storePassword(_ hash: String, of userID: UUID, keeping kept: String?, in transaction: TenantTransaction) async throws -> Int? {
        let updated = try await transaction.execute("""
            UPDATE users SET password_hash = \(hash), password_changed_at = now(), failed_sign_ins = 0, locked_until = NULL
            WHERE id = \(userID)
            """)
        guard updated == 1 else { return nil }
        let keep = kept.flatMap(AccessToken.init)?.hash ?? Data()
        return try await transaction.execute("""
            UPDATE credentials SET revoked_at = now()
            WHERE user_id = \(userID) AND revoked_at IS NULL AND token_hash <> \(keep)
            """)
    }

    /// What a try of a password may do: be checked (the `attempt`-th since the last success,
    /// locking the account until `lockIfWrong` if it fails), or not at all, the account locked.
    enum PasswordTry: Sendable {
        case allowed(attempt: Int, lockIfWrong: Date?)
        case locked(until: Date)
    }

    /// Counts a try before the password is checked, under the user's row lock, so that tries
    /// sent at once are counted one after another: the one that would lock the account locks it
    /// at once (lifted again if it succeeds), and the rest find it locked. Counting after the
    /// check let twenty tries in parallel each read the same count and never lock.
    private func reserveTry(
        in transaction: TenantTransaction, userID: UUID, refusedAs action: String, clientAddress: String?, now: Date
    ) async throws -> PasswordTry {
        let attempt = try await transaction.query("""
            UPDATE users SET failed_sign_ins = failed_sign_ins + 1
            WHERE id = \(userID) AND (locked_until IS NULL OR locked_until <= \(now))
            RETURNING failed_sign_ins
            """).scalar(Int32.self).map(Int.init)
        guard let attempt else {
            let until = try await transaction.query("SELECT locked_until FROM users WHERE id = \(userID)").scalar(Date?.self) ?? nil
            try await transaction.audit(action, objectType: "user", objectID: userID.uuidString.lowercased(), clientAddress: clientAddress)
            return .locked(until: until ?? now)
        }
        let lockIfWrong = policy.lockSeconds(afterFailures: attempt).map { now.addingTimeInterval(TimeInterval($0)) }
        if let lockIfWrong {
            try await transaction.execute("UPDATE users SET locked_until = \(lockIfWrong) WHERE id = \(userID)")
        }
        return .allowed(attempt: attempt, lockIfWrong: lockIfWrong)
    }

    /// Records a try that failed (counted already by `reserveTry`); answers what to tell its sender.
    private func recordFailure(
        in transaction: TenantTransaction, userID: UUID, attempt: Int, lockIfWrong: Date?, action: String, clientAddress: String?
    ) async throws -> Failure {
        try await transaction.audit(lockIfWrong == nil ? action : "account_locked", objectType: "user",
                                    objectID: userID.uuidString.lowercased(), detail: ["failures": String(attempt), "after": action],
                                    clientAddress: clientAddress)
        return lockIfWrong.map { .locked(until: $0) } ?? .invalidCredentials
    }

    /// Issues an API token for the signed-in user, e.g. for the 12345 bridge.
    public func issueToken(for context: TenantContext, name: String, lifetime: Duration, clientAddress: String?, now: Date = Date()) async throws -> Session {
        let token = AccessToken.generate(countyID: context.countyID)
        let expiresAt = now.addingTimeInterval(lifetime.seconds)
        let credentialID = UUID()
        let (username, displayName) = try await store.withTenant(context) { transaction in
            try await recordCredential(in: transaction, id: credentialID, token: token, kind: .api, name: name,
                                       expiresAt: expiresAt, clientAddress: clientAddress, action: "token_issued")
            let row = try await transaction.query("SELECT username, display_name FROM users WHERE id = \(context.userID)").first
            return try row?.decode((String, String).self) ?? ("", "")
        }
        return Session(token: token, credentialID: credentialID, expiresAt: expiresAt, context: context,
                       displayName: displayName, username: username)
    }

    /// The signed-in user a presented token stands for; nil when it is unknown, expired,
    /// revoked or its account is deactivated.
    public func authenticate(_ presented: String, now: Date = Date()) async throws -> TenantContext? {
        guard let token = AccessToken(presented) else { return nil }
        return try await store.withCredential(countyID: token.countyID, hashHex: token.hashHex) { transaction in
            guard let row = try await transaction.query("""
                SELECT c.user_id, c.expires_at, c.revoked_at IS NULL AND u.active, u.department_id, o.path::text,
                       ARRAY(SELECT g.role::text FROM role_grants g WHERE g.county_id = u.county_id AND g.user_id = u.id)
                FROM credentials c
                JOIN users u ON u.county_id = c.county_id AND u.id = c.user_id
                JOIN orgs o ON o.county_id = u.county_id AND o.id = u.org_id
                WHERE c.token_hash = \(token.hash)
                """).first else { return nil }
            let (userID, expiresAt, valid, departmentID, path, roles) = try row.decode((UUID, Date, Bool, UUID?, String, [String]).self)
            guard valid, expiresAt > now else { return nil }
            try await transaction.execute("""
                UPDATE credentials SET last_used_at = \(now)
                WHERE token_hash = \(token.hash) AND (last_used_at IS NULL OR last_used_at < \(now.addingTimeInterval(-60)))
                """)
            return TenantContext(countyID: token.countyID, userID: userID, orgPath: path, departmentID: departmentID,
                                 roles: Set(roles.compactMap(Role.init(rawValue:))))
        }
    }

    /// Stores a new credential's hash for the transaction's user, and audits it as `action`.
    private func recordCredential(
        in transaction: TenantTransaction, id: UUID, token: AccessToken, kind: CredentialKind, name: String?,
        expiresAt: Date, clientAddress: String?, action: String
    ) async throws {
        try await transaction.execute("""
            INSERT INTO credentials (county_id, id, user_id, kind, name, token_hash, expires_at, client_address)
            VALUES (\(token.countyID), \(id), current_setting('app.user_id')::uuid, \(kind.rawValue)::credential_kind,
                    \(name), \(token.hash), \(expiresAt), \(clientAddress))
            """)
        try await transaction.audit(action, objectType: "credential", objectID: id.uuidString.lowercased(),
                                    detail: ["kind": kind.rawValue], clientAddress: clientAddress)
    }

    /// Ends the session or revokes the token presented.
    public func revoke(_ presented: String, as context: TenantContext) async throws {
        guard let token = AccessToken(presented) else { return }
        try await store.withTenant(context) { transaction in
            let revoked = try await transaction.execute("UPDATE credentials SET revoked_at = now() WHERE token_hash = \(token.hash) AND revoked_at IS NULL")
            if revoked > 0 { try await transaction.audit("sign_out", objectType: "user", objectID: context.userID.uuidString.lowercased()) }
        }
    }

    /// Changes the signed-in user's password; every other session and token of theirs ends.
    /// A wrong current password counts as a failed sign-in, so a session in the wrong hands
    /// cannot be used to guess the password: the same lock-out, and no change while locked.
    public func changePassword(_ context: TenantContext, current: String, new: String, keeping presented: String?, now: Date = Date()) async throws {
        if let problem = SignInPolicy.problem(withNewPassword: new) { throw Failure.invalidNewPassword(problem) }
        if new == current { throw Failure.invalidNewPassword("新密码不能与当前密码相同") }
        let (hash, reserved) = try await store.withTenant(context) { transaction in
            let hash = try await transaction.query("SELECT password_hash FROM users WHERE id = \(context.userID)").scalar(String.self)
            let reserved = try await reserveTry(in: transaction, userID: context.userID, refusedAs: "password_change_refused_locked",
                                                clientAddress: nil, now: now)
            return (hash, reserved)
        }
        guard let hash, case .allowed(let attempt, let lockIfWrong) = reserved else {
            if case .locked(let until) = reserved { throw Failure.locked(until: until) }
            throw Failure.invalidCredentials
        }
        guard await Self.offload({ Bcrypt.verify(current, hash: hash) }) else {
            throw try await store.withTenant(context) { transaction in
                try await recordFailure(in: transaction, userID: context.userID, attempt: attempt, lockIfWrong: lockIfWrong,
                                        action: "password_change_failed", clientAddress: nil)
            }
        }
        let cost = bcryptCost
        let newHash = await Self.offload { Self.hashPassword(new, cost: cost) }
        try await store.withTenant(context) { transaction in
            let ended = try await Self.storePassword(newHash, of: context.userID, keeping: presented, in: transaction) ?? 0
            try await transaction.audit("password_changed", objectType: "user", objectID: context.userID.uuidString.lowercased(),
                                        detail: ["sessions_ended": String(ended)])
        }
    }
}

public enum CredentialKind: String, Sendable, Codable {
    case browser, api
}

/// The context of a sign-in before the user is known: the county and the username typed.
struct SignInContext: Sendable {
    let countyID: UUID
    let username: String
}

extension Duration {
    var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
