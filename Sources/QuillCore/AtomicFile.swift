import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes that never leave a half-written file where a good one was: the bytes go to a temporary
/// file in the same folder, are flushed to disk, and the temporary file is renamed over the target
/// (a rename within one file system is atomic).
package enum AtomicFile {
    /// For tests (`@testable import`): when set, writing throws after this many bytes, as a crash
    /// or a full disk would stop it, and the target must stay as it was.
    nonisolated(unsafe) static var failAfterBytes: Int? = nil

    /// The temporary file `write` uses for `name` in a folder: hidden, named after the target and
    /// the writing process.
    static func temporaryName(for name: String) -> String { ".\(name).tmp-\(getpid())" }

    /// Removes the temporaries a killed writer left in `folder` (a kill -9 between creating and
    /// renaming one). Only for a folder no other process writes to, such as a locked run folder.
    public static func removeLeftovers(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
            unlink(folder + "/" + name)
        }
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
    /// reader (or a crash) sees the old file or the new one, never a part.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/" + temporaryName(for: url.lastPathComponent)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw QuillError.io(path: path, problem: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try bytes.withUnsafeBytes { raw in
                var written = 0
                while written < raw.count {
                    if let limit = failAfterBytes, written >= limit {
                        throw QuillError.io(path: path, problem: "simulated failure after \(written) bytes")
                    }
                    var chunk = min(1 << 20, raw.count - written)
                    if let limit = failAfterBytes { chunk = min(chunk, max(1, limit - written)) }
                    let n = Glibc.write(fd, raw.baseAddress! + written, chunk)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw QuillError.io(path: path, problem: "write failed: \(String(cString: strerror(errno)))")
                    }
                    written += n
                }
            }
            guard fsync(fd) == 0 else {
                throw QuillError.io(path: path, problem: "fsync failed: \(String(cString: strerror(errno)))")
            }
            close(fd)
            closed = true
            guard rename(temporary, path) == 0 else {
                throw QuillError.io(path: path, problem: "rename failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes `text` as UTF-8, atomically (see `write(_:to:)` for bytes).
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }
}
