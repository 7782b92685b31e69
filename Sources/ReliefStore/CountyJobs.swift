import Foundation
import JobQueue
import Postgres

/// A county's own background jobs, for its center managers: those that failed for good, to
/// retry or discard. The queue is shared by all counties; each job carries its county.
public struct CountyJobs: Sendable {
    let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func failed(_ context: TenantContext) async throws -> [FailedJob] {
        try requireManager(context)
        return try await store.withTenant(context, readOnly: true) { transaction in
            try await JobAdministration.failed(tenant: context.countyID, on: transaction.connection)
        }
    }

    public func retry(_ context: TenantContext, jobID: Int64) async throws {
        try requireManager(context)
        try await administer(context, jobID, "job_retried") { try await JobAdministration.retry(jobID, tenant: context.countyID, on: $0) }
    }

    public func discard(_ context: TenantContext, jobID: Int64) async throws {
        try requireManager(context)
        try await administer(context, jobID, "job_discarded") { try await JobAdministration.discard(jobID, tenant: context.countyID, on: $0) }
    }

    private func administer(_ context: TenantContext, _ jobID: Int64, _ action: String,
                            _ body: (PostgresConnection) async throws -> Void) async throws {
        do {
            try await store.withTenant(context) { transaction in
                try await body(transaction.connection)
                try await transaction.audit(action, objectType: "job", objectID: String(jobID))
            }
        } catch let failure as JobAdministration.Failure {
            switch failure {
            case .notFound: throw StoreFailure.notFound
            case .notAllowed(_, let state): throw StoreFailure.conflict("该任务当前状态为\(state)，只能处理失败或已取消的任务")
            case .uniqueKeyTaken(_, let existing):
                throw StoreFailure.conflict("同一事项已有待执行的任务\(existing.map { "（#\($0)）" } ?? "")，无需重试")
            }
        }
    }

    private func requireManager(_ context: TenantContext) throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以处理后台任务。")
    }
}
