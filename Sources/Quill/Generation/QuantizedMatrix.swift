import QuillKernels

/// A (rows × columns) row-major weight matrix in one of the `WeightFormat`s, for the one-row
/// products of generation: `dot(x, row:)` widens the stored row to float in registers as it goes,
/// so an int8 matrix streams a quarter of the bytes of a float32 one. bfloat16 and int8 rows are
/// held in `QuantizedDot.Layout`'s interleaved order (int8 codes biased by +128); `dequantized`
/// and `tensors` give them back in row order.
public final class QuantizedMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let format: WeightFormat
    // Exactly one of these holds the values, by format; the class owns them (float32 values may
    // be borrowed instead, see `init(borrowing:rows:columns:)`).
    private let floats: UnsafeMutablePointer<Float>?
    private let ownsFloats: Bool
    private let halves: UnsafeMutablePointer<UInt16>?
    private let bytes: UnsafeMutablePointer<UInt8>?
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
            for r in 0..<rows {
                for c in 0..<columns {
                    h[r * columns + QuantizedDot.Layout.bf16Position(c, count: columns)] = Self.bfloat16(values[r * columns + c])
                }
            }
            (floats, halves, bytes, scales) = (nil, h, nil, nil)
        case .int8:
            let q = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, count))
            let s = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows))
            for r in 0..<rows {
                let row = values + r * columns
                var largest: Float = 0
                for c in 0..<columns { largest = max(largest, abs(row[c])) }
                let scale = largest / 127
                s[r] = scale
                for c in 0..<columns {
                    let code = scale == 0 ? 0 : Int((row[c] / scale).rounded(.toNearestOrEven).clamped(-127, 127))
                    q[r * columns + QuantizedDot.Layout.int8Position(c, count: columns)] = UInt8(code + 128)
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

    /// The int8 code of (row, column), in −127…127.
    func code(_ r: Int, _ c: Int) -> Int8 {
        Int8(Int(bytes![r * columns + QuantizedDot.Layout.int8Position(c, count: columns)]) - 128)
    }

    /// The bfloat16 bits of (row, column).
    func half(_ r: Int, _ c: Int) -> UInt16 {
        halves![r * columns + QuantizedDot.Layout.bf16Position(c, count: columns)]
    }

    /// The dot products of x with rows `row`…`row + 3`: four reductions side by side. For bfloat16
    /// and int8 the rows also share their loads of x; float32 gives `Dot.product`'s bits per row.
    @inline(__always)
    public func dot4(_ x: UnsafePointer<Float>, row: Int) -> SIMD4<Float> {
        switch format {
        case .f32:
            return Dot.product4(x, rows: floats! + row * columns, stride: columns, count: columns)
        case .bf16:
            return QuantizedDot.product4(x, bf16: halves! + row * columns, stride: columns, count: columns)
        case .int8:
            let s = scales!
            return SIMD4(s[row], s[row + 1], s[row + 2], s[row + 3])
                * QuantizedDot.product4(x, int8: bytes! + row * columns, stride: columns, count: columns)
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
                case .bf16: out[i] = Float(bitPattern: UInt32(half(r, c)) << 16)
                case .int8: out[i] = Float(code(r, c)) * scales![r]
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
            var ordered = [UInt16](repeating: 0, count: count)
            for r in 0..<rows { for c in 0..<columns { ordered[r * columns + c] = half(r, c).littleEndian } }
            return [(name, .init(dtype: .bf16, shape: shape, bytes: ordered.withUnsafeBytes { Array($0) }))]
        case .int8:
            var ordered = [Int8](repeating: 0, count: count)
            for r in 0..<rows { for c in 0..<columns { ordered[r * columns + c] = code(r, c) } }
            return [(name, .init(dtype: .i8, shape: shape, bytes: ordered.withUnsafeBytes { Array($0) })),
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
