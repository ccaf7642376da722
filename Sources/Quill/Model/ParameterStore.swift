import QuillKernels

/// All of a model's parameters (or their gradients, or an optimizer's moments) in one flat float32
/// buffer with named views, so an optimizer update is a single loop over `values`.
///
/// Reference type: layers keep pointers into it. The memory is zeroed on creation and stays put
/// for the store's lifetime.
public final class ParameterStore {
    /// Where one named tensor lives in the flat buffer.
    public struct Entry: Sendable {
        /// PyTorch's name of the tensor.
        public let name: String
        /// Its shape.
        public let shape: [Int]
        /// Its first element's index in `values`.
        public let offset: Int
        /// Its element count.
        public var count: Int { shape.reduce(1, *) }
    }

    /// Every tensor, in PyTorch's state_dict order.
    public let entries: [Entry]
    /// Floats in all tensors.
    public let count: Int
    /// The flat buffer of `count` floats.
    public let values: UnsafeMutablePointer<Float>
    private let index: [String: Int]

    /// A zeroed store with the given layout.
    public init(shapes: [(name: String, shape: [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in shapes {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        self.count = offset
        self.values = .allocate(capacity: max(1, offset))
        self.values.initialize(repeating: 0, count: max(1, offset))
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// A zeroed store with the same layout as `other`.
    public convenience init(sameLayoutAs other: ParameterStore) {
        self.init(shapes: other.entries.map { ($0.name, $0.shape) })
    }

    deinit { values.deallocate() }

    /// The entry named `name`, or nil.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Pointer to the first element of a named tensor.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let e = entry(name) else { preconditionFailure("no parameter named \(name)") }
        return values + e.offset
    }

    /// A copy of a named tensor's values.
    public func array(_ name: String) -> [Float] {
        let e = entry(name)!
        return Array(UnsafeBufferPointer(start: values + e.offset, count: e.count))
    }

    /// Overwrites a named tensor.
    public func set(_ name: String, _ newValues: [Float]) {
        let e = entry(name)!
        precondition(newValues.count == e.count, "\(name): \(newValues.count) values for shape \(e.shape)")
        newValues.withUnsafeBufferPointer { (values + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    /// Sets every value to 0.
    public func zero() { values.update(repeating: 0, count: count) }

    /// All values as an array (for checkpoints and tests).
    public var allValues: [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Copies every value from a store of the same layout.
    public func copy(from other: ParameterStore) {
        precondition(other.count == count)
        values.update(from: other.values, count: count)
    }
}
