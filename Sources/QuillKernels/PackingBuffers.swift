import Synchronization

/// Reusable, cache-line aligned packing buffers for GEMM workers.
///
/// A GEMM worker takes one on entry and gives it back on exit, so once every worker has had one
/// the training loop (which runs a GEMM per time step) allocates nothing. The free list sits
/// behind a mutex, so products started from several threads at once each get their own buffer;
/// it holds addresses as integers, which makes it plainly `Sendable`.
final class PackingBuffers: Sendable {
    static let shared = PackingBuffers()

    /// Floats in one buffer: an `mc × kc` block of A, then a `kc × (nc + nr)` block of B.
    static let aCount = GEMM.mc * GEMM.kc
    static let bCount = GEMM.kc * (GEMM.nc + GEMM.nr)

    private let free = Mutex<[UInt]>([])

    /// Runs `body` with a packing buffer for A and one for B.
    func with<R>(_ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R) -> R {
        let address = free.withLock { $0.popLast() }
            ?? UInt(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: (Self.aCount + Self.bCount) * 4, alignment: 64))
        defer { free.withLock { $0.append(address) } }
        let raw = UnsafeMutableRawPointer(bitPattern: address)!
        let a = raw.bindMemory(to: Float.self, capacity: Self.aCount + Self.bCount)
        return body(a, a + Self.aCount)
    }
}
