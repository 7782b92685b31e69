import Foundation
import ReliefStore
import Testing

/// The rules of gathering applications into groups, with a filer that records the groups it
/// is given and holds each until the test lets it go (no database: the group statement is
/// tested in FilingStatementTests, concurrent applications over HTTP in
/// OnlineFilingGroupsEndpointTests).
@Suite("Filing groups")
struct FilingGroupsTests {
    struct Refused: Error, Equatable { let application: Int }

    /// Records groups and holds each until `release()`; refuses any group of more than one
    /// that holds `poison`, and `poison` itself.
    actor Filer {
        private(set) var groups: [[Int]] = []
        private var held: [CheckedContinuation<Void, Never>] = []
        private var open = false
        let poison: Int?

        init(poison: Int? = nil) { self.poison = poison }

        func file(_ group: [Int]) async throws -> [String] {
            groups.append(group)
            if !open { await withCheckedContinuation { held.append($0) } }
            if let poison, group.contains(poison) { throw Refused(application: poison) }
            return group.map { "filed \($0)" }
        }

        func release() {
            open = true
            held.forEach { $0.resume() }
            held = []
        }

        var holding: Int { held.count }
    }

    struct Unavailable: Error {}

    /// Groups over `filer`, refiling alone after a `Refused` only.
    static func groups(_ filer: Filer, concurrentGroups: Int = 1, largestGroup: Int = 64) -> FilingGroups<Int, String> {
        FilingGroups(concurrentGroups: concurrentGroups, largestGroup: largestGroup, refileAloneAfter: { $0 is Refused }) { _, group in
            try await filer.file(group)
        }
    }

    /// Starts filing `applications` of `county` one after the other, each with the groups
    /// before the next is sent, so arrival order is the order given.
    static func start(_ applications: [Int], county: UUID, on groups: FilingGroups<Int, String>, filer: Filer,
                      into tasks: inout [Int: Task<String, any Error>]) async {
        for application in applications {
            tasks[application] = Task { try await groups.file(application, countyID: county) }
            while await groups.waitingApplications + filer.holding < tasks.count { await Task.yield() }
        }
    }

    @Test("an application that finds a free slot is filed at once, alone")
    func quiet() async throws {
        let filer = Filer()
        let groups = Self.groups(filer, concurrentGroups: 2)
        await filer.release()
        let outcome = try await groups.file(7, countyID: UUID())
        #expect(outcome == "filed 7")
        #expect(await filer.groups == [[7]])
    }

    @Test("applications arriving while the slots are busy wait and are filed together, in arrival order, at most largestGroup at once")
    func gathering() async throws {
        let filer = Filer()
        let groups = Self.groups(filer, largestGroup: 5)
        let county = UUID()
        var tasks: [Int: Task<String, any Error>] = [:]
        await Self.start(Array(1...8), county: county, on: groups, filer: filer, into: &tasks)
        #expect(await groups.waitingApplications == 7, "the first is being filed; the rest wait")
        await filer.release()
        for (application, task) in tasks { #expect(try await task.value == "filed \(application)") }
        #expect(await filer.groups == [[1], [2, 3, 4, 5, 6], [7, 8]])
    }

    @Test("a group never mixes counties, and the county that waited longest goes first")
    func counties() async throws {
        let filer = Filer()
        let groups = Self.groups(filer)
        let (a, b) = (UUID(), UUID())
        var tasks: [Int: Task<String, any Error>] = [:]
        await Self.start([1], county: a, on: groups, filer: filer, into: &tasks)
        await Self.start([2], county: b, on: groups, filer: filer, into: &tasks)
        await Self.start([3], county: a, on: groups, filer: filer, into: &tasks)
        await Self.start([4], county: b, on: groups, filer: filer, into: &tasks)
        await filer.release()
        for task in tasks.values { _ = try await task.value }
        #expect(await filer.groups == [[1], [2, 4], [3]])
    }

    @Test("when a group fails, each of its applications is filed again alone, so only the bad one fails")
    func poison() async throws {
        let filer = Filer(poison: 13)
        let groups = Self.groups(filer)
        let county = UUID()
        var tasks: [Int: Task<String, any Error>] = [:]
        await Self.start([1, 2, 13, 4], county: county, on: groups, filer: filer, into: &tasks)
        await filer.release()
        for application in [1, 2, 4] { #expect(try await tasks[application]!.value == "filed \(application)") }
        await #expect(throws: Refused(application: 13)) { try await tasks[13]!.value }
        #expect(await filer.groups == [[1], [2, 13, 4], [2], [13], [4]])
    }

    @Test("when the database is unavailable, the whole group fails at once, and nothing is filed again alone")
    func unavailable() async throws {
        let filer = Filer()
        let groups = FilingGroups<Int, String>(concurrentGroups: 1, refileAloneAfter: { $0 is Refused }) { _, group in
            let outcomes = try await filer.file(group)
            if group != [1] { throw Unavailable() }
            return outcomes
        }
        var tasks: [Int: Task<String, any Error>] = [:]
        await Self.start([1, 2, 3, 4], county: UUID(), on: groups, filer: filer, into: &tasks)
        await filer.release()
        #expect(try await tasks[1]!.value == "filed 1")
        for application in [2, 3, 4] {
            await #expect(throws: Unavailable.self) { try await tasks[application]!.value }
        }
        #expect(await filer.groups == [[1], [2, 3, 4]])
    }

    @Test("an answer with the wrong number of outcomes fails its applications and files nothing again: the statement succeeded")
    func mismatchedAnswer() async throws {
        let calls = Filer()
        await calls.release()
        let groups = FilingGroups<Int, String>(concurrentGroups: 1, refileAloneAfter: { _ in true }) { _, group in
            _ = try await calls.file(group)
            return []
        }
        await #expect(throws: FilingGroupError.self) { try await groups.file(1, countyID: UUID()) }
        #expect(await calls.groups == [[1]])
    }
}
