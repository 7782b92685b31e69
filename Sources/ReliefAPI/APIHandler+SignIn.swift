import Foundation
import ReliefDomain
import ReliefStore

extension APIHandler {
    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let request) = input.body else { throw Problem.jsonBodyRequired }
        guard DivisionCode.isWellFormed(request.county) else {
            throw Problem.invalid("county 应为12位行政区划代码")
        }
        do {
            let session = try await accounts.signIn(
                countyCode: request.county, username: request.username, password: request.password,
                clientAddress: RequestIdentity.current.clientAddress)
            let maxAge = Int(session.expiresAt.timeIntervalSinceNow.rounded())
            RequestIdentity.current.responseHeaders.setCookie(SessionCookie.value(token: session.token.value, maxAge: maxAge, secure: secureCookies))
            return .created(.init(body: .json(sessionSchema(session))))
        } catch Accounts.Failure.invalidCredentials {
            throw Problem.invalidCredentials
        } catch Accounts.Failure.locked(let until) {
            throw Problem.locked(until: until)
        }
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        let context = try signedIn()
        guard let token = RequestIdentity.current.token else { throw Problem.unauthorized }
        try await accounts.revoke(token, as: context)
        RequestIdentity.current.responseHeaders.setCookie(SessionCookie.value(token: "", maxAge: 0, secure: secureCookies))
        return .noContent(.init())
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let context = try signedIn()
        return .ok(.init(body: .json(meSchema(context))))
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        let identity = RequestIdentity.current
        let context = try signedIn()
        guard case .json(let change) = input.body else { throw Problem.jsonBodyRequired }
        do {
            try await accounts.changePassword(context, current: change.currentPassword, new: change.newPassword, keeping: identity.token)
            return .noContent(.init())
        } catch Accounts.Failure.invalidNewPassword(let why) {
            throw Problem.invalid(why)
        } catch Accounts.Failure.invalidCredentials {
            throw Problem.invalid("当前密码不正确")
        } catch Accounts.Failure.locked(let until) {
            throw Problem.locked(until: until)
        }
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let context = try signedIn()
        let credentials = try await accounts.credentials(context, presented: RequestIdentity.current.token)
        return .ok(.init(body: .json(credentials.map {
            .init(id: $0.id.lowercased, kind: $0.kind == .browser ? .browser : .api, name: $0.name, createdAt: $0.createdAt,
                  expiresAt: $0.expiresAt, lastUsedAt: $0.lastUsedAt, current: $0.isCurrent)
        })))
    }

    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        try await accounts.revokeCredential(try signedIn(), id: try pathID(input.path.tokenId))
        return .noContent(.init())
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        let context = try signedIn()
        guard case .json(let request) = input.body else { throw Problem.jsonBodyRequired }
        let days = request.expiresInDays ?? 90
        guard (1...365).contains(days), !request.name.isEmpty, request.name.count <= 100 else {
            throw Problem.invalid("name 应为1–100个字符，expiresInDays 应在1–365之间")
        }
        let session = try await accounts.issueToken(for: context, name: request.name, lifetime: .seconds(days * 86_400),
                                                    clientAddress: RequestIdentity.current.clientAddress)
        return .created(.init(body: .json(sessionSchema(session))))
    }

    private func meSchema(_ context: TenantContext) -> Components.Schemas.Me {
        .init(id: context.userID.uuidString.lowercased(), countyId: context.countyID.uuidString.lowercased(), orgPath: context.orgPath,
              departmentId: context.departmentID?.uuidString.lowercased(),
              roles: context.roles.sorted { $0.rawValue < $1.rawValue }.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) })
    }

    private func sessionSchema(_ session: Accounts.Session) -> Components.Schemas.Session {
        .init(token: session.token.value, expiresAt: session.expiresAt, user: meSchema(session.context))
    }
}
