import Foundation
import ReliefDomain
import ReliefStore

/// Configuration by center managers: townships and villages, departments, users and roles.
extension APIHandler {
    private var directory: Directory { Directory(store: accounts.store) }

    private func roles(_ roles: [Components.Schemas.Role]) -> Set<Role> {
        Set(roles.compactMap { Role(rawValue: $0.rawValue) })
    }

    // MARK: Orgs

    func listOrgs(_ input: Operations.ListOrgs.Input) async throws -> Operations.ListOrgs.Output {
        .ok(.init(body: .json(try await directory.orgs(try signedIn()).map(Self.schema))))
    }

    func createOrg(_ input: Operations.CreateOrg.Input) async throws -> Operations.CreateOrg.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let org = try await directory.createOrg(context, tier: body.tier == .township ? .township : .village,
                                                divisionCode: body.divisionCode, name: body.name,
                                                parentID: try requiredID(body.parentId, field: "parentId"))
        return .created(.init(body: .json(Self.schema(org))))
    }

    func updateOrg(_ input: Operations.UpdateOrg.Input) async throws -> Operations.UpdateOrg.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let org = try await directory.updateOrg(context, id: try pathID(input.path.orgId), name: body.name, active: body.active)
        return .ok(.init(body: .json(Self.schema(org))))
    }

    // MARK: Departments

    func listDepartments(_ input: Operations.ListDepartments.Input) async throws -> Operations.ListDepartments.Output {
        .ok(.init(body: .json(try await directory.departments(try signedIn()).map(Self.schema))))
    }

    func createDepartment(_ input: Operations.CreateDepartment.Input) async throws -> Operations.CreateDepartment.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        return .created(.init(body: .json(Self.schema(try await directory.createDepartment(context, name: body.name)))))
    }

    func updateDepartment(_ input: Operations.UpdateDepartment.Input) async throws -> Operations.UpdateDepartment.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let department = try await directory.updateDepartment(context, id: try pathID(input.path.departmentId),
                                                              name: body.name, active: body.active)
        return .ok(.init(body: .json(Self.schema(department))))
    }

    // MARK: Users

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        .ok(.init(body: .json(try await directory.users(try signedIn()).map(Self.schema))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let user = try await directory.createUser(context, username: body.username, displayName: body.displayName,
                                                  password: body.password, orgID: try requiredID(body.orgId, field: "orgId"),
                                                  departmentID: try optionalID(body.departmentId, field: "departmentId"),
                                                  roles: roles(body.roles))
        return .created(.init(body: .json(Self.schema(user))))
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let departmentID: UUID?? = try body.departmentId.map { try optionalID($0, field: "departmentId") }
        let user = try await directory.updateUser(context, id: try pathID(input.path.userId), displayName: body.displayName,
                                                  orgID: try optionalID(body.orgId, field: "orgId"),
                                                  departmentID: departmentID, active: body.active,
                                                  roles: body.roles.map(roles))
        return .ok(.init(body: .json(Self.schema(user))))
    }

    func resetUserPassword(_ input: Operations.ResetUserPassword.Input) async throws -> Operations.ResetUserPassword.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        do {
            try await accounts.resetPassword(context, userID: try pathID(input.path.userId), new: body.newPassword)
        } catch Accounts.Failure.invalidNewPassword(let why) {
            throw Problem.invalid(why)
        }
        return .noContent(.init())
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
