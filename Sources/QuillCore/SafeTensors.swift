import Foundation

/// The safetensors file format: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range (plus an optional `__metadata__` string map),
/// then the raw little-endian tensor bytes.
///
/// Reading checks everything the format promises (header within the file, valid JSON, known dtypes,
/// byte ranges that agree with dtype × shape, inside the data, not overlapping) and names the
/// problem and the tensor when something is off.
public struct SafeTensors: Sendable {
    /// Element types of the format and their sizes in bytes.
    public enum DType: String, Sendable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }

    /// One tensor: its element type, shape and raw little-endian bytes.
    public struct Tensor: Sendable, Equatable {
        /// Element type.
        public let dtype: DType
        /// Dimensions, outermost first.
        public let shape: [Int]
        /// The raw little-endian data.
        public let bytes: [UInt8]

        /// Elements in the tensor (the product of `shape`).
        public var elementCount: Int { shape.reduce(1, *) }

        /// A tensor of raw bytes; `bytes.count` must be `elementCount × dtype.size`.
        public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// A float32 tensor from values.
        public init(shape: [Int], floats: [Float]) {
            precondition(shape.reduce(1, *) == floats.count, "shape \(shape) for \(floats.count) values")
            self.dtype = .f32
            self.shape = shape
            self.bytes = floats.withUnsafeBytes { Array($0) }
        }

        /// An int64 tensor from values.
        public init(shape: [Int], integers: [Int]) {
            precondition(shape.reduce(1, *) == integers.count)
            self.dtype = .i64
            self.shape = shape
            self.bytes = integers.map { Int64($0).littleEndian }.withUnsafeBytes { Array($0) }
        }

        /// Values as Float (from F32, F64, F16 or BF16), or nil for integer dtypes.
        public func floats() -> [Float]? {
            let n = elementCount
            return bytes.withUnsafeBytes { raw -> [Float]? in
                switch dtype {
                case .f32: return (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                case .f64: return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
                case .f16: return (0..<n).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
                case .bf16: return (0..<n).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16) }
                default: return nil
                }
            }
        }

        /// Whether every value is finite, for float dtypes (nil for integer dtypes). F32 is checked
        /// on its bits in place, without converting the tensor.
        public var allFinite: Bool? {
            guard dtype == .f32 else { return floats()?.allSatisfy(\.isFinite) }
            return bytes.withUnsafeBytes { raw in
                // A float32 is finite unless its exponent bits are all ones.
                (0..<elementCount).allSatisfy {
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) & 0x7F80_0000 != 0x7F80_0000
                }
            }
        }

        /// Values as Int (from any integer dtype or BOOL), or nil for float dtypes.
        public func integers() -> [Int]? {
            let n = elementCount
            return bytes.withUnsafeBytes { raw -> [Int]? in
                func load<T: FixedWidthInteger>(_: T.Type) -> [Int] {
                    (0..<n).map { Int(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
                }
                switch dtype {
                case .i64: return load(Int64.self)
                case .i32: return load(Int32.self)
                case .i16: return load(Int16.self)
                case .i8: return load(Int8.self)
                case .u64: return load(UInt64.self).map { Int($0) }
                case .u32: return load(UInt32.self)
                case .u16: return load(UInt16.self)
                case .u8, .bool: return load(UInt8.self)
                default: return nil
                }
            }
        }
    }

    /// Tensors by name.
    public var tensors: [String: Tensor]
    /// Names in the order they appear in the file (or were added).
    public var order: [String]
    /// The `__metadata__` map.
    public var metadata: [String: String]

    /// A file of these tensors (in this order) and `__metadata__` strings.
    public init(tensors: [(String, Tensor)] = [], metadata: [String: String] = [:]) {
        self.tensors = Dictionary(tensors, uniquingKeysWith: { _, last in last })
        self.order = tensors.map(\.0)
        self.metadata = metadata
    }

    /// The tensor named `name`, if the file has it.
    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Adds or replaces a tensor, keeping first-insertion order.
    public mutating func set(_ name: String, _ tensor: Tensor) {
        if tensors[name] == nil { order.append(name) }
        tensors[name] = tensor
    }
}
