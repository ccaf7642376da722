import Foundation

/// Reusable, cache-line aligned packing buffers for GEMM workers.
///
/// A GEMM worker takes one on entry and gives it back on exit, so once every worker has had one
/// the training loop (which runs a GEMM per time step) allocates nothing. The free list sits
/// behind a lock, so products started from several threads at once each get their own buffer.
///
/// The lock is a pthread mutex (`NSLock`), not Synchronization's `Mutex`: ThreadSanitizer sees
/// the ordering a pthread mutex gives, and on Linux not that of `Mutex`'s futex, so with `Mutex`
/// every buffer handed from one thread to the next reported as a race.
final class PackingBuffers: @unchecked Sendable {
    static let shared = PackingBuffers()

    /// Floats in one buffer: room for `GEMM.residentBlockLimit` `mc × kc` blocks of A, then for a
    /// `kc × (nc + nr)` block of B or that many `kc × (residentNC + nr)` ones.
    static let aCount = GEMM.mc * GEMM.kc * GEMM.residentBlockLimit
    static let bCount = GEMM.kc * max(GEMM.nc + GEMM.nr, GEMM.residentBlockLimit * (GEMM.residentNC + GEMM.nr))

    private let lock = NSLock()
    /// Buffers not in use (guarded by `lock`).
    private var free: [UnsafeMutableRawPointer] = []

    /// Runs `body` with a packing buffer for A and one for B.
    func with<R>(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        let raw = lock.withLock { free.popLast() }
            ?? UnsafeMutableRawPointer.allocate(byteCount: (Self.aCount + Self.bCount) * 4, alignment: 64)
        defer { lock.withLock { free.append(raw) } }
        let a = raw.bindMemory(to: Float.self, capacity: Self.aCount + Self.bCount)
        return body(a, a + Self.aCount)
    }
}
