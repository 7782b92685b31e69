import Testing

@Suite("relieflink bench, as an operator runs it")
struct BenchCommandTests {
    @Test("bench rls refuses too few cases for page 100 with a usage error, before starting a database")
    func rlsNeedsEnoughCases() async throws {
        let result = try await relieflink(["bench", "rls", "--cases", "20000"])
        #expect(result.status == .exited(64), "\(result.error)")
        #expect(result.error.contains("--cases must be at least 25000"))
        #expect(!result.error.contains("started a private PostgreSQL"))
    }
}
