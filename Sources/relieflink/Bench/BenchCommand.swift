import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ReliefLink beside a reference measured in the same run (use a release build).",
        subcommands: [DatabaseBenchmarkCommand.self, PoolBenchmarkCommand.self, RLSBenchmarkCommand.self, IntakeBenchmarkCommand.self, JobsBenchmarkCommand.self, TimersBenchmarkCommand.self])
}

/// Options every benchmark shares.
struct BenchmarkOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object: {\"benchmark\", \"rows\": [{\"name\", \"unit\", \"ours\", \"reference\", \"ratio\"}]}.")
    var json = false

    @Option(name: .long, help: "Seconds each measurement runs.")
    var seconds: Double = 5
}
