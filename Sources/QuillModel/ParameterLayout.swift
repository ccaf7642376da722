import QuillCore

/// Where each of a model's named tensors lives in one flat float32 buffer, in PyTorch's
/// state_dict order: shared by the weights, their gradients and an optimizer's moments, so an
/// update is one loop over the buffer.
public struct ParameterLayout: Sendable, Equatable {
    /// Where one named tensor lives in the flat buffer.
    public struct Entry: Sendable, Equatable {
        /// PyTorch's name of the tensor.
        public let name: String
        /// Its shape.
        public let shape: [Int]
        /// Its first element's index in the flat buffer.
        public let offset: Int
        /// Its element count.
        public var count: Int { shape.reduce(1, *) }
    }

    /// Every tensor, in PyTorch's state_dict order.
    public let entries: [Entry]
    /// Floats in all tensors.
    public let count: Int
    private let index: [String: Int]

    /// Tensors laid out one after another in the given order.
    public init(shapes: [(name: String, shape: [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in shapes {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        count = offset
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// The entry named `name`, or nil.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The entry named `name`; a name the model does not have is a programming error.
    package func required(_ name: String) -> Entry {
        guard let e = entry(name) else { preconditionFailure("no parameter named \(name)") }
        return e
    }

    /// Layouts are equal when they hold the same tensors, shapes and offsets in the same order.
    public static func == (a: ParameterLayout, b: ParameterLayout) -> Bool { a.entries == b.entries }
}
