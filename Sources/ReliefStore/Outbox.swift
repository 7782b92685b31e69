import Foundation
import JobQueue
import Postgres

/// Messages that leave the system because of a change — applicant notices, 12345 status
/// callbacks — written in the change's own transaction together with the job that delivers
/// them: both exist exactly when the change commits (issue 5, item 7; issue 6, item 5).
/// The runner's side, and the job's kind and payload, are `Deliveries`.
enum Outbox {
    static func add(
        _ transaction: TenantTransaction, caseID: UUID, kind: Deliveries.Kind, payload: [String: String], urgent: Bool
    ) async throws {
        let (countyID, id) = try await transaction.query("""
            INSERT INTO outbox (county_id, case_id, kind, payload)
            VALUES (current_setting('app.county_id')::uuid, \(caseID), \(kind.rawValue), \(json: payload))
            RETURNING county_id, id
            """).decode((UUID, Int64).self)[0]
        let job = try NewJob(kind: Deliveries.jobKind, payload: Deliveries.JobPayload(countyID: countyID, outboxID: id),
                             queue: Deliveries.queue, priority: urgent ? 1 : 5, maxAttempts: 30, tenant: countyID)
        try await JobQueue.enqueue(job, on: transaction.connection)
    }
}
