import Foundation
import PackagePlugin

/// Embeds text files into a target as Swift string literals, so the `relieflink` binary
/// carries its migrations and its OpenAPI contract and needs nothing installed beside it.
///
/// - `ReliefStore` gets every `sql/migrations/*.sql` of the package (the schema's source of truth).
/// - `ReliefAPI` gets its own `openapi.yaml` (served at `GET /openapi.yaml`).
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let inputs: [URL]
        let arguments: [URL]
        switch target.name {
        case "ReliefStore":
            // The directory itself is an input and an argument: a migration added after the
            // last replan changes it, and the tool lists the directory when it runs.
            let directory = context.package.directoryURL.appending(path: "sql/migrations")
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            inputs = [directory] + names.filter { $0.hasSuffix(".sql") }.sorted().map { directory.appending(path: $0) }
            arguments = [directory]
        case "ReliefAPI":
            inputs = [target.directoryURL.appending(path: "openapi.yaml")]
            arguments = inputs
        default:
            Diagnostics.error("EmbedFiles does not know which files to embed into \(target.name)")
            return []
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding files into \(target.name)",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [output.path] + arguments.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
