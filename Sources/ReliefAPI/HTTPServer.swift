import Hummingbird
import Logging
import OpenAPIHummingbird
import Postgres
import ReliefDomain
import ReliefStore

/// The HTTP side of `relieflink serve`: the OpenAPI operations plus `GET /openapi.yaml` and `GET /metrics`.
public enum HTTPServer {
    public struct Configuration: Sendable {
        public var hostname: String
        public var port: Int
        /// Send the session cookie only over HTTPS; set when serving behind TLS.
        public var secureCookies: Bool
        /// Requests per minute per client address for what citizens call without an account
        /// (online applications, feedback); 0 turns the limit off.
        public var publicRequestsPerMinute: Int
        /// When set, GET /metrics answers only to `Authorization: Bearer <token>`.
        public var metricsToken: String?

        public init(hostname: String = "127.0.0.1", port: Int = 8080, secureCookies: Bool = false, publicRequestsPerMinute: Int = 30,
                    metricsToken: String? = nil) {
            self.hostname = hostname
            self.port = port
            self.secureCookies = secureCookies
            self.publicRequestsPerMinute = publicRequestsPerMinute
            self.metricsToken = metricsToken
        }
    }

    /// The largest JSON request body accepted.
    public static let maximumJSONBody = 256 * 1024

    /// The router with every route; tests drive it without a socket.
    public static func router(
        pool: ConnectionPool, cipher: PersonalDataCipher, logger: Logger, secureCookies: Bool = false,
        publicRequestsPerMinute: Int = 30, metricsToken: String? = nil
    ) throws -> Router<ReliefRequestContext> {
        let router = Router(context: ReliefRequestContext.self)
        let store = Store(pool: pool)
        let accounts = Accounts(store: store)
        router.add(middleware: LogRequestsMiddleware(.debug))
        let servedRoutes = ServedRoutes()
        router.add(middleware: UnknownRouteMiddleware(routes: servedRoutes))
        router.add(middleware: BodyLimitMiddleware(limit: maximumJSONBody, uploadLimit: MaterialFile.maximumBytes))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts))
        router.add(middleware: HotlineSignatureMiddleware(integration: HotlineIntegration(store: store, cipher: cipher)))
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: openAPIDocument)))
        }
        MetricsEndpoint.add(to: router, pool: pool, token: metricsToken, logger: logger)
        let handler = APIHandler(pool: pool, accounts: accounts, cipher: cipher, intake: Intake(store: store, cipher: cipher),
                                 publicLimiter: ClientRateLimiter(perMinute: publicRequestsPerMinute, burst: max(1, publicRequestsPerMinute / 3)),
                                 secureCookies: secureCookies, migrations: try Migration.bundled(), logger: logger)
        try handler.registerHandlers(on: router, middlewares: [ProblemMiddleware(logger: logger)])
        servedRoutes.record(router.routes.map { (path: $0.path, method: $0.method) })
        return router
    }

    public static func application(
        configuration: Configuration,
        pool: ConnectionPool,
        cipher: PersonalDataCipher,
        logger: Logger
    ) throws -> some ApplicationProtocol {
        Application(
            router: try router(pool: pool, cipher: cipher, logger: logger, secureCookies: configuration.secureCookies,
                               publicRequestsPerMinute: configuration.publicRequestsPerMinute, metricsToken: configuration.metricsToken),
            configuration: .init(address: .hostname(configuration.hostname, port: configuration.port), serverName: "ReliefLink"),
            logger: logger)
    }

    /// The contract as shipped inside the binary.
    public static var openAPIDocument: String {
        EmbeddedFiles.all.first { $0.name == "openapi.yaml" }?.contents ?? ""
    }
}
