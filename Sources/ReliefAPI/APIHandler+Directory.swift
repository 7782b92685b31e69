import Foundation
import ReliefDomain
import ReliefStore

/// Configuration by center managers: townships and villages, departments, users and roles.
extension APIHandler {
    private var directory: Directory { Directory(store: accounts.store) }

    /// What every configuration operation can answer besides success.
    enum Refusal: Error {
        case unauthorized, forbidden, notFound, invalid(String), conflict(String)

        init(_ failure: Directory.Failure) {
            switch failure {
            case .forbidden: self = .forbidden
            case .notFound: self = .notFound
            case .invalid(let why): self = .invalid(why)
            case .conflict(let why): self = .conflict(why)
            }
        }

        var problem: Problem {
            switch self {
            case .unauthorized: .unauthorized
            case .forbidden: Problem(type: Problem.base + "forbidden", title: "无权进行此操作", status: 403, detail: "只有救助中心管理员可以修改配置。")
            case .notFound: Problem(type: Problem.base + "not-found", title: "未找到", status: 404, detail: "本县（市、区）没有该记录。")
            case .invalid(let why): .invalid(why)
            case .conflict(let why): Problem(type: Problem.base + "conflict", title: "与已有记录冲突", status: 409, detail: why)
            }
        }
    }

    /// Runs `body` for the signed-in user, turning refusals into `Refusal`.
    private func asUser<T>(_ body: (TenantContext) async throws -> T) async throws -> T {
        guard let context = RequestIdentity.current.context else { throw Refusal.unauthorized }
        do {
            return try await body(context)
        } catch let failure as Directory.Failure {
            throw Refusal(failure)
        }
    }

    private func uuid(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Refusal.notFound }
        return id
    }

    private func optionalUUID(_ text: String?) throws -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: text) else { throw Refusal.invalid("\(text) 不是有效的编号") }
        return id
    }

    private func roles(_ roles: [Components.Schemas.Role]) -> Set<Role> {
        Set(roles.compactMap { Role(rawValue: $0.rawValue) })
    }

    // MARK: Orgs

    func listOrgs(_ input: Operations.ListOrgs.Input) async throws -> Operations.ListOrgs.Output {
        do {
            return .ok(.init(body: .json(try await asUser { try await directory.orgs($0) }.map(Self.schema))))
        } catch let refusal as Refusal {
            return .unauthorized(.init(body: .applicationProblemJson(refusal.problem.schema)))
        }
    }

    func createOrg(_ input: Operations.CreateOrg.Input) async throws -> Operations.CreateOrg.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            let org = try await asUser { context in
                try await directory.createOrg(context, tier: body.tier == .township ? .township : .village,
                                              divisionCode: body.divisionCode, name: body.name,
                                              parentID: try optionalUUID(body.parentId)!)
            }
            return .created(.init(body: .json(Self.schema(org))))
        } catch let refusal as Refusal {
            let body = Components.Responses.BadRequest.Body.applicationProblemJson(refusal.problem.schema)
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(refusal.problem.schema)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(refusal.problem.schema)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(refusal.problem.schema)))
            case .invalid, .notFound: return .badRequest(.init(body: body))
            }
        }
    }

    func updateOrg(_ input: Operations.UpdateOrg.Input) async throws -> Operations.UpdateOrg.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            let id = try uuid(input.path.orgId)
            let org = try await asUser { try await directory.updateOrg($0, id: id, name: body.name, active: body.active) }
            return .ok(.init(body: .json(Self.schema(org))))
        } catch let refusal as Refusal {
            let problem = refusal.problem.schema
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(problem)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(problem)))
            case .notFound: return .notFound(.init(body: .applicationProblemJson(problem)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(problem)))
            case .invalid: return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
    }

    // MARK: Departments

    func listDepartments(_ input: Operations.ListDepartments.Input) async throws -> Operations.ListDepartments.Output {
        do {
            return .ok(.init(body: .json(try await asUser { try await directory.departments($0) }.map(Self.schema))))
        } catch let refusal as Refusal {
            return .unauthorized(.init(body: .applicationProblemJson(refusal.problem.schema)))
        }
    }

    func createDepartment(_ input: Operations.CreateDepartment.Input) async throws -> Operations.CreateDepartment.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            let department = try await asUser { try await directory.createDepartment($0, name: body.name) }
            return .created(.init(body: .json(Self.schema(department))))
        } catch let refusal as Refusal {
            let problem = refusal.problem.schema
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(problem)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(problem)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(problem)))
            case .invalid, .notFound: return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
    }

    func updateDepartment(_ input: Operations.UpdateDepartment.Input) async throws -> Operations.UpdateDepartment.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            let id = try uuid(input.path.departmentId)
            let department = try await asUser { try await directory.updateDepartment($0, id: id, name: body.name, active: body.active) }
            return .ok(.init(body: .json(Self.schema(department))))
        } catch let refusal as Refusal {
            let problem = refusal.problem.schema
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(problem)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(problem)))
            case .notFound: return .notFound(.init(body: .applicationProblemJson(problem)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(problem)))
            case .invalid: return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
    }

    // MARK: Users

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        do {
            return .ok(.init(body: .json(try await asUser { try await directory.users($0) }.map(Self.schema))))
        } catch let refusal as Refusal {
            return .unauthorized(.init(body: .applicationProblemJson(refusal.problem.schema)))
        }
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            guard let orgID = UUID(uuidString: body.orgId) else { throw Refusal.invalid("orgId 不是有效的编号") }
            let departmentID = try optionalUUID(body.departmentId)
            let user = try await asUser { context in
                try await directory.createUser(context, username: body.username, displayName: body.displayName,
                                               password: body.password, orgID: orgID, departmentID: departmentID,
                                               roles: roles(body.roles))
            }
            return .created(.init(body: .json(Self.schema(user))))
        } catch let refusal as Refusal {
            let problem = refusal.problem.schema
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(problem)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(problem)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(problem)))
            case .invalid, .notFound: return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        do {
            guard case .json(let body) = input.body else { throw Refusal.invalid("需要 JSON 请求体") }
            let id = try uuid(input.path.userId)
            let orgID = try optionalUUID(body.orgId)
            let departmentID: UUID?? = try body.departmentId.map { try optionalUUID($0) }
            let user = try await asUser { context in
                try await directory.updateUser(context, id: id, displayName: body.displayName, orgID: orgID,
                                               departmentID: departmentID, active: body.active,
                                               roles: body.roles.map(roles))
            }
            return .ok(.init(body: .json(Self.schema(user))))
        } catch let refusal as Refusal {
            let problem = refusal.problem.schema
            switch refusal {
            case .unauthorized: return .unauthorized(.init(body: .applicationProblemJson(problem)))
            case .forbidden: return .forbidden(.init(body: .applicationProblemJson(problem)))
            case .notFound: return .notFound(.init(body: .applicationProblemJson(problem)))
            case .conflict: return .conflict(.init(body: .applicationProblemJson(problem)))
            case .invalid: return .badRequest(.init(body: .applicationProblemJson(problem)))
            }
        }
    }

    // MARK: Schemas

    static func schema(_ org: Directory.Org) -> Components.Schemas.Org {
        .init(id: org.id.uuidString.lowercased(), tier: .init(rawValue: org.tier.rawValue) ?? .village,
              divisionCode: org.divisionCode, name: org.name, parentId: org.parentID?.uuidString.lowercased(),
              path: org.path, active: org.active)
    }

    static func schema(_ department: Directory.Department) -> Components.Schemas.Department {
        .init(id: department.id.uuidString.lowercased(), kind: .init(rawValue: department.kind) ?? .department,
              name: department.name, active: department.active)
    }

    static func schema(_ user: Directory.User) -> Components.Schemas.User {
        .init(id: user.id.uuidString.lowercased(), username: user.username, displayName: user.displayName,
              orgId: user.orgID.uuidString.lowercased(), departmentId: user.departmentID?.uuidString.lowercased(),
              active: user.active, roles: user.roles.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) })
    }
}
