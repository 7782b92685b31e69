import Foundation
import Postgres

/// A user's sessions and API tokens as they see them: which are open, and ending one they no
/// longer hold (a token lost with a laptop, a bridge retired) without presenting it.
extension Accounts {
    public struct Credential: Sendable, Equatable {
        public let id: UUID
        public let kind: CredentialKind
        public let name: String?
        public let createdAt: Date
        public let expiresAt: Date
        public let lastUsedAt: Date?
        /// The one this request presented.
        public let isCurrent: Bool
    }

    /// The signed-in user's open sessions and tokens, newest first.
    public func credentials(_ context: TenantContext, presented: String?) async throws -> [Credential] {
        let current = presented.flatMap(AccessToken.init)?.hash ?? Data()
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await transaction.query("""
                SELECT id, kind::text, name, created_at, expires_at, last_used_at, token_hash = \(current)
                FROM credentials
                WHERE user_id = \(context.userID) AND revoked_at IS NULL AND expires_at > now()
                ORDER BY created_at DESC, id
                LIMIT 200
                """).decode((UUID, String, String?, Date, Date, Date?, Bool).self).map {
                Credential(id: $0.0, kind: CredentialKind(rawValue: $0.1) ?? .api, name: $0.2, createdAt: $0.3,
                           expiresAt: $0.4, lastUsedAt: $0.5, isCurrent: $0.6)
            }
        }
    }

    /// Ends one of the signed-in user's own sessions or tokens; another's answers as unknown.
    public func revokeCredential(_ context: TenantContext, id: UUID) async throws {
        try await store.withTenant(context) { transaction in
            let revoked = try await transaction.execute("""
                UPDATE credentials SET revoked_at = now()
                WHERE id = \(id) AND user_id = \(context.userID) AND revoked_at IS NULL AND expires_at > now()
                """)
            guard revoked == 1 else { throw StoreFailure.notFound }
            try await transaction.audit("token_revoked", objectType: "credential", objectID: id.uuidString.lowercased())
        }
    }
}
