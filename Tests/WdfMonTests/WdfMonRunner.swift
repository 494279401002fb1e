import Foundation

/// Runs programs that `swift test` builds next to the test bundle (wdfmon and the C programs
/// under Tests/CClients/monitor-*), with output to files (a pipe's end of file depends on every
/// process that inherited it).
enum Built {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    static func path(_ name: String) throws -> String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent(name), folder.deletingLastPathComponent().appendingPathComponent(name)]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
        }
        return found.path
    }

    /// Runs `name` (a built product) with `arguments` to its end.
    static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = try start(name, arguments, environment: environment)
        return try process.finish()
    }

    static func start(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Started {
        let id = UUID().uuidString
        let temporary = FileManager.default.temporaryDirectory
        let output = temporary.appendingPathComponent("\(name)-\(id).out")
        let errors = temporary.appendingPathComponent("\(name)-\(id).err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path(name))
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        // Tests of wdfmon itself must not be published (or watched) unless they ask.
        variables["WDFMON_PUBLISH"] = nil
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = try FileHandle(forWritingTo: errors)
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Started(process: process, outputURL: output, errorURL: errors, handles: [outputHandle, errorHandle])
    }

    final class Started {
        let process: Process
        let outputURL: URL
        let errorURL: URL
        let handles: [FileHandle]

        init(process: Process, outputURL: URL, errorURL: URL, handles: [FileHandle]) {
            self.process = process
            self.outputURL = outputURL
            self.errorURL = errorURL
            self.handles = handles
        }

        var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

        func finish() throws -> Result {
            process.waitUntilExit()
            for handle in handles { try handle.close() }
            defer {
                try? FileManager.default.removeItem(at: outputURL)
                try? FileManager.default.removeItem(at: errorURL)
            }
            return Result(
                status: process.terminationStatus, output: output,
                errors: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
        }
    }

    /// A fresh temporary folder (removed by the caller).
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wdfmon-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
