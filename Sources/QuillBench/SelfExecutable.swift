import Foundation

/// Where this `quill-bench` binary is, for starting it again (the suite) or the `quill` built
/// beside it. `argv[0]` is only a name when the binary was found through PATH, so Linux's
/// /proc/self/exe is asked first.
enum SelfExecutable {
    static var path: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments[0]).path
    }

    /// A binary built into the same folder.
    static func sibling(_ name: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
