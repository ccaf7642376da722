import QuillKernels

/// A float buffer that grows to the largest size asked of it and is reused afterwards, so the
/// training loop allocates nothing once the first batch of the largest shape has been seen.
final class Workspace {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = AlignedFloats.allocate(1)
    }

    deinit { pointer.deallocate() }

    /// A buffer of at least `count` floats; contents are unspecified after growth.
    func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = AlignedFloats.allocate(count)
            pointer.initialize(repeating: 0, count: count)
            capacity = count
        }
        return pointer
    }
}
