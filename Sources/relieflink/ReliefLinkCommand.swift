import ArgumentParser

@main
struct ReliefLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relieflink",
        abstract: "ReliefLink 社会救助联动平台 — the back office of a county social relief center (DB32/T 4012-2021).",
        discussion: """
            Try it:            relieflink demo        (starts a private PostgreSQL, migrates, serves)
            Run in production: relieflink migrate, then relieflink serve and relieflink jobs,
                               with DATABASE_URL pointing at your PostgreSQL.
            Every option can also be set by the environment variable named in its help.
            """,
        subcommands: [
            ServeCommand.self, JobsCommand.self, MigrateCommand.self, DemoCommand.self, AdminCommand.self, AuditCommand.self, BenchCommand.self,
        ]
    )
}
