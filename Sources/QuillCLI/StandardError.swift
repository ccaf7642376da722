import Foundation

/// Writing lines to stderr (unbuffered, so messages appear before the process exits).
enum StandardError {
    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
