/// Memory that is written once, while it is made, and only read afterwards: the storage of a
/// trained model's weights and of their quantized copies, which many callers on many threads read
/// at once.
///
/// This is the one place above the kernels' own scratch where a pointer is shared between threads,
/// and the reason that is safe is here: `init` fills the memory before anyone else can see it, and
/// nothing after it writes (there is no mutating API). `base` stays valid while the buffer lives,
/// so a holder keeps a reference to the buffer next to any pointer it keeps.
public final class ImmutableBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    /// The first element; read-only, valid for the buffer's lifetime.
    public let base: UnsafePointer<Element>
    /// Elements held.
    public let count: Int

    /// `count` elements, each set by `fill` before the buffer is shared (the memory handed to
    /// `fill` starts zeroed).
    public init(count: Int, fill: (UnsafeMutableBufferPointer<Element>) throws -> Void) rethrows {
        // Elements are plain bits, so zero bytes are a valid value of each.
        let bytes = max(1, count) * MemoryLayout<Element>.stride
        // On a cache line, so a tensor whose offset and rows are whole multiples of 16 floats is read
        // in 64-byte loads that never straddle two lines.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: max(64, MemoryLayout<Element>.alignment))
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let memory = raw.bindMemory(to: Element.self, capacity: max(1, count))
        do {
            try fill(UnsafeMutableBufferPointer(start: memory, count: count))
        } catch {
            memory.deallocate()
            throw error
        }
        base = UnsafePointer(memory)
        self.count = count
    }

    /// A copy of `count` elements from `source`.
    public convenience init(copying source: UnsafePointer<Element>, count: Int) {
        self.init(count: count) { $0.baseAddress!.update(from: source, count: count) }
    }

    /// A copy of `array`.
    public convenience init(_ array: [Element]) {
        self.init(count: array.count) { out in
            array.withUnsafeBufferPointer { if let source = $0.baseAddress { out.baseAddress!.update(from: source, count: array.count) } }
        }
    }

    deinit { UnsafeMutablePointer(mutating: base).deallocate() }

    /// The elements as an array (a copy).
    public var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
