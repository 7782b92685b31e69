import Hummingbird
import Logging
import OpenAPIHummingbird
import Postgres
import ReliefStore

/// The HTTP side of `relieflink serve`: the OpenAPI operations plus `GET /openapi.yaml`.
public enum HTTPServer {
    public struct Configuration: Sendable {
        public var hostname: String
        public var port: Int
        /// Send the session cookie only over HTTPS; set when serving behind TLS.
        public var secureCookies: Bool

        public init(hostname: String = "127.0.0.1", port: Int = 8080, secureCookies: Bool = false) {
            self.hostname = hostname
            self.port = port
            self.secureCookies = secureCookies
        }
    }

    /// The largest JSON request body accepted.
    public static let maximumJSONBody = 256 * 1024

    /// The router with every route; tests drive it without a socket.
    public static func router(pool: ConnectionPool, logger: Logger, secureCookies: Bool = false) throws -> Router<BasicRequestContext> {
        let router = Router()
        let accounts = Accounts(store: Store(pool: pool))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: BodyLimitMiddleware(limit: maximumJSONBody))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts))
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: openAPIDocument)))
        }
        let handler = APIHandler(pool: pool, accounts: accounts, secureCookies: secureCookies,
                                 migrations: try Migration.bundled(), logger: logger)
        try handler.registerHandlers(on: router, middlewares: [ProblemMiddleware(logger: logger)])
        return router
    }

    public static func application(
        configuration: Configuration,
        pool: ConnectionPool,
        logger: Logger
    ) throws -> some ApplicationProtocol {
        Application(
            router: try router(pool: pool, logger: logger, secureCookies: configuration.secureCookies),
            configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "ReliefLink"),
            logger: logger)
    }

    /// The contract as shipped inside the binary.
    public static var openAPIDocument: String {
        EmbeddedFiles.all.first { $0.name == "openapi.yaml" }?.contents ?? ""
    }
}
