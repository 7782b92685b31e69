import ArgumentParser
import Hummingbird
import Postgres
import ReliefAPI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON API (described at /openapi.yaml) over HTTP.",
        discussion: """
            Stateless: run as many as you need behind a proxy. Stops gracefully on SIGTERM or Ctrl-C. \
            Needs RELIEFLINK_DATA_KEYS (id:base64 keys sealing personal data, the last current) and RELIEFLINK_LOOKUP_KEY (base64), 32 random bytes each (openssl rand -base64 32); the README lists every variable. RELIEFLINK_METRICS_TOKEN, when set, is the bearer token GET /metrics asks for.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.makeLogger("relieflink.serve")
        let cipher = try personalDataCipher()
        try http.checkListening()
        let pool = ConnectionPool(database.pool(try database.requireURL()), logger: logger)
        // A database that cannot be used stops the server at once, as it stops `jobs`: a server
        // answering /healthz while every request fails would only hide the mistake.
        do {
            try await pool.query("SELECT 1", timeout: .seconds(10))
        } catch {
            await pool.close()
            throw CommandFailure("cannot use the database: \(error)")
        }
        await warnIfLoginIsPrivileged(pool, logger: logger)
        let app = try HTTPServer.application(configuration: http.serverConfiguration, pool: pool, cipher: cipher, logger: logger)
        do {
            try await app.runService()
        } catch {
            await pool.close()
            throw http.listenFailure(error)
        }
        await pool.close()
    }
}
