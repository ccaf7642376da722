import QuillCore
import QuillKernels

/// A model's parameters (or their gradients, or an optimizer's moments) in one flat, writable
/// float32 buffer with named views: what training updates in place. Trained weights leave it as a
/// `LanguageModel` (`snapshot`), an immutable value that later updates do not reach.
///
/// Reference type: layers keep pointers into it. The memory is zeroed on creation and stays put
/// for the store's lifetime.
package final class ParameterStore {
    /// Where each tensor lives.
    public let layout: ParameterLayout
    /// The flat buffer of `count` floats.
    public let values: UnsafeMutablePointer<Float>
    /// The weights a read-only view reads (kept alive by the view); nil when the store owns its
    /// memory.
    private let viewed: ImmutableBuffer<Float>?

    /// A zeroed store with the given layout.
    public convenience init(shapes: [(name: String, shape: [Int])]) {
        self.init(layout: ParameterLayout(shapes: shapes))
    }

    /// A zeroed store with `layout`.
    public init(layout: ParameterLayout) {
        self.layout = layout
        values = AlignedFloats.allocate(layout.count)
        values.initialize(repeating: 0, count: max(1, layout.count))
        viewed = nil
    }

    /// `model`'s weights read in place, for a network that only runs forward (an evaluation or
    /// generation context): no copy, and nothing may write through it (`isReadOnly`).
    init(viewing model: LanguageModel) {
        layout = model.layout
        values = UnsafeMutablePointer(mutating: model.storage.base)
        viewed = model.storage
    }

    /// Whether this store views immutable weights (see `init(viewing:)`): every writer
    /// (optimizers, averages, `set`, `zero`, `copy`) checks it first.
    package var isReadOnly: Bool { viewed != nil }

    /// A zeroed store with the same layout as `other`.
    public convenience init(sameLayoutAs other: ParameterStore) {
        self.init(layout: other.layout)
    }

    /// A writable copy of `model`'s weights (to train them further).
    public convenience init(copying model: LanguageModel) {
        self.init(layout: model.layout)
        values.update(from: model.storage.base, count: layout.count)
    }

    deinit { if viewed == nil { values.deallocate() } }

    /// Every tensor, in PyTorch's state_dict order.
    public var entries: [ParameterLayout.Entry] { layout.entries }
    /// Floats in all tensors.
    public var count: Int { layout.count }

    /// The entry named `name`, or nil.
    public func entry(_ name: String) -> ParameterLayout.Entry? { layout.entry(name) }

    /// Pointer to the first element of a named tensor.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> { values + layout.required(name).offset }

    /// A copy of a named tensor's values.
    public func array(_ name: String) -> [Float] {
        let e = layout.required(name)
        return Array(UnsafeBufferPointer(start: values + e.offset, count: e.count))
    }

    /// Overwrites a named tensor.
    public func set(_ name: String, _ newValues: [Float]) {
        precondition(!isReadOnly, "writing into read-only weights")
        let e = layout.required(name)
        precondition(newValues.count == e.count, "\(name): \(newValues.count) values for shape \(e.shape)")
        newValues.withUnsafeBufferPointer { (values + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    /// Sets every value to 0.
    public func zero() {
        precondition(!isReadOnly, "writing into read-only weights")
        values.update(repeating: 0, count: count)
    }

    /// All values as an array (for checkpoints and tests).
    public var allValues: [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Copies every value from a store of the same layout.
    public func copy(from other: ParameterStore) {
        precondition(!isReadOnly && other.count == count)
        values.update(from: other.values, count: count)
    }
}
