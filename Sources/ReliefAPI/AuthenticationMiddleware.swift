import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ReliefStore

/// Reads a bearer token or the session cookie, checks it against the credentials table, and
/// runs the rest of the request as that user. A request without valid credentials runs
/// anonymously; each operation decides whether it needs a user.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let accounts: Accounts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var identity = RequestIdentity()
        if let channel = context as? any RemoteAddressRequestContext, let address = channel.remoteAddress {
            identity.clientAddress = address.ipAddress
        }
        if let token = Self.token(in: request) {
            do {
                identity.context = try await accounts.authenticate(token)
                identity.token = identity.context == nil ? nil : token
            } catch {
                context.logger.error("cannot check credentials", metadata: ["error": "\(error)"])
                return Problem.unavailable.response
            }
        }
        var response = try await RequestIdentity.$current.withValue(identity) {
            try await next(request, context)
        }
        for field in identity.responseHeaders.all {
            response.headers.append(field)
        }
        return response
    }

    static func token(in request: Request) -> String? {
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == SessionCookie.name {
                    return String(parts[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }
}

/// The browser session cookie: HTTP-only, SameSite=Strict, and Secure where configured.
enum SessionCookie {
    static let name = "relieflink_session"

    static func value(token: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(token); Path=/; Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}
