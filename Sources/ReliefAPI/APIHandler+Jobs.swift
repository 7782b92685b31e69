import Foundation
import ReliefStore

/// A county's failed background jobs, for its center managers to retry or discard.
extension APIHandler {
    private var countyJobs: CountyJobs { CountyJobs(store: store) }

    func listFailedJobs(_ input: Operations.ListFailedJobs.Input) async throws -> Operations.ListFailedJobs.Output {
        let jobs = try await countyJobs.failed(try signedIn())
        return .ok(.init(body: .json(.init(jobs: jobs.map {
            .init(id: $0.id, queue: $0.queue, kind: $0.kind, attempt: $0.attempt, maxAttempts: $0.maxAttempts,
                  lastError: $0.lastError, failedAt: $0.failedAt)
        }))))
    }

    func retryJob(_ input: Operations.RetryJob.Input) async throws -> Operations.RetryJob.Output {
        try await countyJobs.retry(try signedIn(), jobID: input.path.jobId)
        return .noContent(.init())
    }

    func discardJob(_ input: Operations.DiscardJob.Input) async throws -> Operations.DiscardJob.Output {
        try await countyJobs.discard(try signedIn(), jobID: input.path.jobId)
        return .noContent(.init())
    }
}
