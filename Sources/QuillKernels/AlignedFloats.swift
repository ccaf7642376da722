/// Float buffers that start on a cache line, for operands the kernels read in 64-byte vectors: in
/// an AVX-512 build every such load from a buffer that starts 16 bytes into a line straddles two
/// lines (rows further in stay aligned only where the offsets are multiples of 16 floats). Free
/// them with `deallocate()` as any other allocation.
public enum AlignedFloats {
    /// Uninitialized room for `count` floats (at least one), 64-byte aligned.
    public static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
    }
}
