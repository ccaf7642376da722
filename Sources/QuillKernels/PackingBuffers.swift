import Foundation

/// Reusable, cache-line aligned packing buffers for GEMM workers.
///
/// A GEMM worker takes one on entry and gives it back on exit, so once every worker has had one
/// the training loop (which runs a GEMM per time step) allocates nothing. Taking and returning are
/// guarded by a lock, so products started from several threads at once each get their own buffer.
final class PackingBuffers: @unchecked Sendable {
    static let shared = PackingBuffers()

    /// Floats in one buffer: an `mc × kc` block of A, then a `kc × (nc + nr)` block of B.
    static let aCount = GEMM.mc * GEMM.kc
    static let bCount = GEMM.kc * (GEMM.nc + GEMM.nr)

    private let lock = NSLock()
    private var free: [UnsafeMutableRawPointer] = []

    /// Runs `body` with a packing buffer for A and one for B.
    func with<R>(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        lock.lock()
        let raw = free.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: (Self.aCount + Self.bCount) * 4, alignment: 64)
        lock.unlock()
        defer {
            lock.lock()
            free.append(raw)
            lock.unlock()
        }
        let a = raw.bindMemory(to: Float.self, capacity: Self.aCount + Self.bCount)
        return body(a, a + Self.aCount)
    }
}
