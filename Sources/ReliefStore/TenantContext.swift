import Foundation
import ReliefDomain

/// Who is acting, as row-level security reads it: set at the start of every transaction of
/// a request or job, and only there (`Store.withTenant`).
public struct TenantContext: Sendable, Equatable {
    public var countyID: UUID
    public var userID: UUID
    /// The user's org path in the tree, e.g. `320281000000.320281100000`.
    public var orgPath: String
    public var departmentID: UUID?
    public var roles: Set<Role>
    /// Where the request came from (its TCP peer), for the audit log's "from where".
    public var clientAddress: String?

    public init(countyID: UUID, userID: UUID, orgPath: String, departmentID: UUID?, roles: Set<Role>, clientAddress: String? = nil) {
        self.countyID = countyID
        self.userID = userID
        self.orgPath = orgPath
        self.departmentID = departmentID
        self.roles = roles
        self.clientAddress = clientAddress
    }

    /// The roles as `app.roles` holds them, e.g. `auditor,center_agent`.
    public var rolesLiteral: String {
        roles.map(\.rawValue).sorted().joined(separator: ",")
    }
}

extension TenantContext {
    /// Refuses unless the user holds one of `roles`; `why` tells them who may. Repositories
    /// check before they write, so the answer is a clear 403 rather than a policy's silence.
    func require(anyOf roles: Set<Role>, _ why: String) throws {
        guard !self.roles.isDisjoint(with: roles) else { throw StoreFailure.forbidden(why) }
    }
}
