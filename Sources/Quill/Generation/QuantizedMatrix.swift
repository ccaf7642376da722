import QuillKernels

/// A (rows × columns) row-major weight matrix in one of the `WeightFormat`s, for the one-row
/// products of generation: `dot(x, row:)` widens the stored row to float in registers as it goes,
/// so an int8 matrix streams a quarter of the bytes of a float32 one.
public final class QuantizedMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let format: WeightFormat
    // Exactly one of these holds the values, by format; the class owns them (float32 values may
    // be borrowed instead, see `init(borrowing:rows:columns:)`).
    private let floats: UnsafeMutablePointer<Float>?
    private let ownsFloats: Bool
    private let halves: UnsafeMutablePointer<UInt16>?
    private let bytes: UnsafeMutablePointer<Int8>?
    /// int8: one scale per row.
    private let scales: UnsafeMutablePointer<Float>?

    /// `values` (rows × columns, row-major) stored in `format`.
    public init(_ values: UnsafePointer<Float>, rows: Int, columns: Int, format: WeightFormat) {
        self.rows = rows
        self.columns = columns
        self.format = format
        let count = rows * columns
        ownsFloats = true
        switch format {
        case .f32:
            let f = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            f.update(from: values, count: count)
            (floats, halves, bytes, scales) = (f, nil, nil, nil)
        case .bf16:
            let h = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, count))
            for i in 0..<count { h[i] = Self.bfloat16(values[i]) }
            (floats, halves, bytes, scales) = (nil, h, nil, nil)
        case .int8:
            let q = UnsafeMutablePointer<Int8>.allocate(capacity: max(1, count))
            let s = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows))
            for r in 0..<rows {
                let row = values + r * columns
                var largest: Float = 0
                for c in 0..<columns { largest = max(largest, abs(row[c])) }
                let scale = largest / 127
                s[r] = scale
                for c in 0..<columns {
                    q[r * columns + c] = scale == 0 ? 0 : Int8((row[c] / scale).rounded(.toNearestOrEven).clamped(-127, 127))
                }
            }
            (floats, halves, bytes, scales) = (nil, nil, q, s)
        }
    }

    /// Float32 values read in place, not copied: the caller keeps them alive and unchanged for
    /// the matrix's lifetime.
    public init(borrowing values: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        format = .f32
        ownsFloats = false
        (floats, halves, bytes, scales) = (values, nil, nil, nil)
    }

    deinit {
        if ownsFloats { floats?.deallocate() }
        halves?.deallocate()
        bytes?.deallocate()
        scales?.deallocate()
    }

    /// Bytes the stored values take (scales included).
    public var storedBytes: Int { rows * columns * format.bytesPerWeight + (format == .int8 ? rows * 4 : 0) }

    /// Σ x[c]·W[row, c], with `Dot.product`'s summation order for every format.
    @inline(__always)
    public func dot(_ x: UnsafePointer<Float>, row: Int) -> Float {
        switch format {
        case .f32: return Dot.product(x, floats! + row * columns, count: columns)
        case .bf16: return QuantizedDot.product(x, bf16: halves! + row * columns, count: columns)
        case .int8: return scales![row] * QuantizedDot.product(x, int8: bytes! + row * columns, count: columns)
        }
    }

    /// The values the stored form stands for, as float32 (row-major).
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                switch format {
                case .f32: out[i] = floats![i]
                case .bf16: out[i] = Float(bitPattern: UInt32(halves![i]) << 16)
                case .int8: out[i] = Float(bytes![i]) * scales![r]
                }
            }
        }
        return out
    }

    /// The stored bytes as safetensors tensors: `name` (F32, BF16 or I8), and for int8
    /// `name.scale` (F32, one per row).
    public func tensors(name: String) -> [(String, SafeTensors.Tensor)] {
        let shape = [rows, columns], count = rows * columns
        switch format {
        case .f32:
            return [(name, .init(dtype: .f32, shape: shape, bytes: Array(UnsafeRawBufferPointer(start: floats!, count: count * 4))))]
        case .bf16:
            return [(name, .init(dtype: .bf16, shape: shape, bytes: Array(UnsafeRawBufferPointer(start: halves!, count: count * 2))))]
        case .int8:
            return [(name, .init(dtype: .i8, shape: shape, bytes: Array(UnsafeRawBufferPointer(start: bytes!, count: count)))),
                    (name + ".scale", .init(dtype: .f32, shape: [rows], bytes: Array(UnsafeRawBufferPointer(start: scales!, count: rows * 4))))]
        }
    }

    /// float32 → bfloat16, rounding to nearest even (values are finite).
    static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}

extension Float {
    fileprivate func clamped(_ low: Float, _ high: Float) -> Float { Swift.min(high, Swift.max(low, self)) }
}
