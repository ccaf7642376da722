import Foundation

/// Runs another program (Quill itself, Python) and collects what it prints on standard output.
enum ChildProcess {
    /// Runs `program`, a path or a name looked up on PATH, with `arguments`. Returns its exit
    /// status and standard output, or nil when it cannot be started.
    /// - Parameters:
    ///   - environment: the child's whole environment (nil: this process's).
    ///   - showErrors: pass the child's standard error through (false: discard it).
    static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                    showErrors: Bool = true) -> (status: Int32, output: String)? {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        if !showErrors { process.standardError = FileHandle.nullDevice }
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
