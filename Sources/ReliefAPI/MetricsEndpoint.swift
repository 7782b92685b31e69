import Foundation
import Hummingbird
import JobQueue
import Logging
import Postgres
import Prometheus

/// `GET /metrics`: the job queue's figures (as `relieflink jobs status` shows them) and this
/// process's connection pool, in Prometheus' text format. With a token configured
/// (RELIEFLINK_METRICS_TOKEN) a scraper must send it as a bearer token.
enum MetricsEndpoint {
    static func add(to router: Router<ReliefRequestContext>, pool: ConnectionPool, token: String?, logger: Logger) {
        router.get("metrics") { request, _ -> Response in
            if let token, request.headers[.authorization] != "Bearer \(token)" {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            let status: QueueStatus
            do {
                status = try await QueueStatus.read(from: pool)
            } catch {
                logger.warning("metrics: cannot read the queue", metadata: ["error": "\(error)"])
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "5"])
            }
            let registry = PrometheusCollectorRegistry()
            record(status, in: registry)
            record(pool.statistics, in: registry)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// A fresh registry per scrape: a queue or runner that has gone is not reported as it was.
    static func record(_ status: QueueStatus, in registry: PrometheusCollectorRegistry) {
        for depth in status.depths {
            gauge(registry, "relieflink_jobs", "Jobs waiting, scheduled, running or failed, by queue, kind and state.", [("queue", depth.queue), ("kind", depth.kind), ("state", depth.state)])
                .set(Double(depth.count))
        }
        for (queue, age) in status.oldestWaitingSeconds {
            gauge(registry, "relieflink_jobs_oldest_ready_seconds", "Age of the oldest job that could run now but has not started.", [("queue", queue)])
                .set(age)
        }
        var conditions: [String: Int] = ["alive": 0, "stalled": 0, "lost": 0, "gone": 0, "stopped": 0]
        for runner in status.runners {
            conditions[runner.condition, default: 0] += 1
            guard runner.condition != "stopped", runner.condition != "gone" else { continue }
            let labels = [("runner", String(runner.id.uuidString.prefix(8)).lowercased()), ("host", runner.host)]
            gauge(registry, "relieflink_job_runner_heartbeat_age_seconds", "Seconds since the runner's last heartbeat.", labels).set(runner.heartbeatAgeSeconds)
            gauge(registry, "relieflink_job_runner_stalled", "1 when the runner's watchdog finds a loop or a job not making progress.", labels)
                .set(Double(runner.stalledSince == nil ? 0 : 1))
            gauge(registry, "relieflink_job_runner_running", "Jobs the runner is running.", labels).set(Double(runner.running))
            gauge(registry, "relieflink_job_runner_succeeded", "Runs that succeeded since the runner started.", labels).set(Double(runner.succeeded))
            gauge(registry, "relieflink_job_runner_failed", "Runs that failed since the runner started.", labels).set(Double(runner.failed))
        }
        for (condition, count) in conditions {
            gauge(registry, "relieflink_job_runners", "Runners by condition: alive, stalled, lost (no heartbeat), gone (lost over ten minutes ago) or stopped, in the last day.", [("condition", condition)])
                .set(Double(count))
        }
    }

    /// A gauge named in full (`relieflink_…`), its help text and labels.
    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String, _ labels: [(String, String)]) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    static func record(_ statistics: ConnectionPool.Statistics, in registry: PrometheusCollectorRegistry) {
        for (state, value) in [("idle", statistics.idle), ("leased", statistics.leased), ("waiting", statistics.waiting)] {
            gauge(registry, "relieflink_db_pool_connections", "This process's database connections (waiting: tasks waiting for one).", [("state", state)])
                .set(Double(value))
        }
    }
}
