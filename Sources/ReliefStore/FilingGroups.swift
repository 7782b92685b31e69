import Foundation

/// Online applications that arrive while earlier ones are being filed wait, and are then
/// filed together in one statement, as a database's group commit gathers the commits that
/// arrive during a flush. Filing costs PostgreSQL mostly per statement, not per case
/// (sql/migrations/0017), so under load each case costs a fraction of filing it alone; an
/// application that finds a free slot is filed at once, so a quiet county waits for nothing.
/// Generic over what is filed and what each answers, so its rules are tested on their own.
public actor FilingGroups<Application: Sendable, Outcome: Sendable> {
    public typealias File = @Sendable (_ countyID: UUID, _ group: [Application]) async throws -> [Outcome]

    private struct Waiting {
        let countyID: UUID
        let application: Application
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    /// In arrival order; a group takes the oldest application's county and that county's
    /// next applications, so no county waits behind another's stream.
    private var waiting: [Waiting] = []
    private var filing = 0
    private let concurrentGroups: Int
    private let largestGroup: Int

    /// - Parameters:
    ///   - concurrentGroups: groups filed at once; fewer make larger groups under load.
    ///   - largestGroup: applications in one statement at most.
    public init(concurrentGroups: Int = 2, largestGroup: Int = 64) {
        precondition(concurrentGroups > 0 && largestGroup > 0)
        self.concurrentGroups = concurrentGroups
        self.largestGroup = largestGroup
    }

    /// Applications waiting for a group to start.
    public var waitingApplications: Int { waiting.count }

    /// Files `application` with whatever else is waiting for its county, through `file`,
    /// which answers an outcome per application in the group's order.
    public func file(_ application: Application, countyID: UUID, through file: @escaping File) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiting(countyID: countyID, application: application, continuation: continuation))
            startGroups(through: file)
        }
    }

    private func startGroups(through file: @escaping File) {
        while filing < concurrentGroups, let countyID = waiting.first?.countyID {
            var group: [Waiting] = []
            var rest: [Waiting] = []
            for entry in waiting {
                if entry.countyID == countyID && group.count < largestGroup { group.append(entry) } else { rest.append(entry) }
            }
            waiting = rest
            filing += 1
            Task {
                await Self.file(group, countyID: countyID, through: file)
                self.groupFiled(through: file)
            }
        }
    }

    private func groupFiled(through file: @escaping File) {
        filing -= 1
        startGroups(through: file)
    }

    /// Answers every application of `group`. When the group fails as a whole, each is filed
    /// again alone, so one application the database refuses cannot take its group with it.
    private static func file(_ group: [Waiting], countyID: UUID, through file: File) async {
        do {
            let outcomes = try await file(countyID, group.map(\.application))
            guard outcomes.count == group.count else { throw FilingGroupError.answerMismatch(outcomes.count, group.count) }
            for (entry, outcome) in zip(group, outcomes) { entry.continuation.resume(returning: outcome) }
        } catch {
            guard group.count > 1 else { return group[0].continuation.resume(throwing: error) }
            for entry in group {
                do {
                    let outcomes = try await file(countyID, [entry.application])
                    guard let outcome = outcomes.first, outcomes.count == 1 else { throw FilingGroupError.answerMismatch(outcomes.count, 1) }
                    entry.continuation.resume(returning: outcome)
                } catch {
                    entry.continuation.resume(throwing: error)
                }
            }
        }
    }
}

public enum FilingGroupError: Error, CustomStringConvertible {
    case answerMismatch(Int, Int)

    public var description: String {
        switch self {
        case .answerMismatch(let answered, let sent): "a group of \(sent) applications was answered with \(answered) outcomes"
        }
    }
}
