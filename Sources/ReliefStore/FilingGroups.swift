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
    private let refileAloneAfter: @Sendable (any Error) -> Bool
    private let fileGroup: File

    /// - Parameters:
    ///   - concurrentGroups: groups filed at once; fewer make larger groups under load.
    ///   - largestGroup: applications in one statement at most.
    ///   - refileAloneAfter: whether an error that failed a group may be one application's
    ///     own (data the database refused), so that each is filed again alone and only that
    ///     one fails. Any other error (the database unreachable, a time-out) fails the whole
    ///     group at once: filing each alone would only wait as long again for every one.
    ///   - file: files a group of one county; answers an outcome per application, in order.
    public init(
        concurrentGroups: Int = 2, largestGroup: Int = 64,
        refileAloneAfter: @escaping @Sendable (any Error) -> Bool, file: @escaping File
    ) {
        precondition(concurrentGroups > 0 && largestGroup > 0)
        self.concurrentGroups = concurrentGroups
        self.largestGroup = largestGroup
        self.refileAloneAfter = refileAloneAfter
        self.fileGroup = file
    }

    /// Applications waiting for a group to start.
    public var waitingApplications: Int { waiting.count }

    /// Files `application` with whatever else of its county is waiting.
    public func file(_ application: Application, countyID: UUID) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiting(countyID: countyID, application: application, continuation: continuation))
            startGroups()
        }
    }

    private func startGroups() {
        while filing < concurrentGroups, let countyID = waiting.first?.countyID {
            var group: [Waiting] = []
            var rest: [Waiting] = []
            for entry in waiting {
                if entry.countyID == countyID && group.count < largestGroup { group.append(entry) } else { rest.append(entry) }
            }
            waiting = rest
            filing += 1
            // Detached: the group is everyone's in it, not the task-locals (request identity,
            // logging metadata) of whichever request happened to start it.
            Task.detached { [fileGroup, refileAloneAfter] in
                await Self.file(group, countyID: countyID, through: fileGroup, refileAloneAfter: refileAloneAfter)
                await self.groupFiled()
            }
        }
    }

    private func groupFiled() {
        filing -= 1
        startGroups()
    }

    /// Answers every application of `group`, each continuation exactly once.
    private static func file(
        _ group: [Waiting], countyID: UUID, through file: File, refileAloneAfter: @Sendable (any Error) -> Bool
    ) async {
        let outcomes: [Outcome]
        do {
            outcomes = try await file(countyID, group.map(\.application))
        } catch {
            guard group.count > 1, refileAloneAfter(error) else {
                for entry in group { entry.continuation.resume(throwing: error) }
                return
            }
            for entry in group {
                do {
                    entry.continuation.resume(returning: try await fileAlone(entry.application, countyID: countyID, through: file))
                } catch {
                    entry.continuation.resume(throwing: error)
                }
            }
            return
        }
        // A statement that succeeded is never filed again, even if its answer is unreadable:
        // its cases exist, and filing them again would fail on their ids.
        guard outcomes.count == group.count else {
            let error = FilingGroupError.answerMismatch(outcomes.count, group.count)
            for entry in group { entry.continuation.resume(throwing: error) }
            return
        }
        for (entry, outcome) in zip(group, outcomes) { entry.continuation.resume(returning: outcome) }
    }

    private static func fileAlone(_ application: Application, countyID: UUID, through file: File) async throws -> Outcome {
        try soleOutcome(try await file(countyID, [application]))
    }
}

/// The one outcome of a group of one, or the mismatch if the answer holds another number.
func soleOutcome<Outcome>(_ outcomes: [Outcome]) throws -> Outcome {
    guard let outcome = outcomes.first, outcomes.count == 1 else { throw FilingGroupError.answerMismatch(outcomes.count, 1) }
    return outcome
}

public enum FilingGroupError: Error, CustomStringConvertible {
    case answerMismatch(Int, Int)

    public var description: String {
        switch self {
        case .answerMismatch(let answered, let sent): "a group of \(sent) applications was answered with \(answered) outcomes"
        }
    }
}
