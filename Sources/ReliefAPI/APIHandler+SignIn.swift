import Foundation
import ReliefDomain
import ReliefStore

extension APIHandler {
    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let request) = input.body else { return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("需要 JSON 请求体").schema))) }
        guard request.county.count == 12, request.county.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("county 应为12位行政区划代码").schema)))
        }
        do {
            let session = try await accounts.signIn(
                countyCode: request.county, username: request.username, password: request.password,
                clientAddress: RequestIdentity.current.clientAddress)
            let maxAge = Int(session.expiresAt.timeIntervalSinceNow.rounded())
            RequestIdentity.current.cookies.set(SessionCookie.value(token: session.token.value, maxAge: maxAge, secure: secureCookies))
            return .created(.init(body: .json(sessionSchema(session))))
        } catch Accounts.Failure.invalidCredentials {
            return .unauthorized(.init(body: .applicationProblemJson(Problem.invalidCredentials.schema)))
        } catch Accounts.Failure.locked(let until) {
            return .code423(.init(body: .applicationProblemJson(Problem.locked(until: until).schema)))
        }
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        let identity = RequestIdentity.current
        guard let context = identity.context, let token = identity.token else {
            return .unauthorized(.init(body: .applicationProblemJson(Problem.unauthorized.schema)))
        }
        try await accounts.revoke(token, as: context)
        RequestIdentity.current.cookies.set(SessionCookie.value(token: "", maxAge: 0, secure: secureCookies))
        return .noContent(.init())
    }

    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        guard let context = RequestIdentity.current.context else {
            return .unauthorized(.init(body: .applicationProblemJson(Problem.unauthorized.schema)))
        }
        return .ok(.init(body: .json(meSchema(context))))
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        let identity = RequestIdentity.current
        guard let context = identity.context else {
            return .unauthorized(.init(body: .applicationProblemJson(Problem.unauthorized.schema)))
        }
        guard case .json(let change) = input.body else { return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("需要 JSON 请求体").schema))) }
        do {
            try await accounts.changePassword(context, current: change.currentPassword, new: change.newPassword, keeping: identity.token)
            return .noContent(.init())
        } catch Accounts.Failure.invalidNewPassword(let why) {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalid(why).schema)))
        } catch Accounts.Failure.invalidCredentials {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("当前密码不正确").schema)))
        }
    }

    func createToken(_ input: Operations.CreateToken.Input) async throws -> Operations.CreateToken.Output {
        guard let context = RequestIdentity.current.context else {
            return .unauthorized(.init(body: .applicationProblemJson(Problem.unauthorized.schema)))
        }
        guard case .json(let request) = input.body else { return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("需要 JSON 请求体").schema))) }
        let days = request.expiresInDays ?? 90
        guard (1...365).contains(days), !request.name.isEmpty, request.name.count <= 100 else {
            return .badRequest(.init(body: .applicationProblemJson(Problem.invalid("name 应为1–100个字符，expiresInDays 应在1–365之间").schema)))
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
