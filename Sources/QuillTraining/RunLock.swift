import Foundation
import QuillCore
#if canImport(Glibc)
import Glibc
#endif

/// Exclusive use of a run folder for as long as a trainer writes to it, so a second trainer on the
/// same folder (or a resume of a live run) is refused instead of both overwriting the same files.
///
/// The lock is an `flock` on `.quill-lock` in the folder, which also holds the owner's process id
/// for the message. The kernel drops the lock when its process ends, however it ends (kill -9
/// too), so a lock left by a dead run never blocks a new one.
package final class RunLock {
    /// The lock file in a run folder.
    public static let fileName = ".quill-lock"

    private let descriptor: Int32

    /// Takes the lock on `folder` (which must exist), or throws an error naming the process that
    /// holds it.
    public init(folder: String) throws {
        let path = folder + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw QuillError.io(path: path, problem: "cannot create the run's lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readOwner(fd)
            close(fd)
            throw QuillError.runtime("\(folder) is in use by another training run\(holder.map { " (process \($0))" } ?? ""); wait for it to finish, stop it, or choose another folder")
        }
        descriptor = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        // Closing the descriptor releases the lock; the file stays (removing it could race with a
        // new run that has just opened it).
        close(descriptor)
    }

    private static func readOwner(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
