import QuillCore
import QuillKernels

/// A (rows × columns) row-major weight matrix in one of the `WeightFormat`s, for the one-row
/// products of generation: `dot(x, row:)` widens the stored row to float in registers as it goes,
/// so an int8 matrix streams a quarter of the bytes of a float32 one. bfloat16 and int8 rows are
/// held in `QuantizedDot.Layout`'s interleaved order (int8 codes biased by +128); `dequantized`
/// and `tensors` give them back in row order.
///
/// An immutable value: its storage is written once when it is made, so one matrix serves every
/// generation session of a model at once.
package struct QuantizedMatrix: Sendable {
    /// The stored values, by format.
    enum Storage: Sendable {
        /// float32 at `offset` in `values` (a model's own weights, read in place, or a copy).
        case f32(values: ImmutableBuffer<Float>, offset: Int)
        /// bfloat16 bits in interleaved order.
        case bf16(ImmutableBuffer<UInt16>)
        /// int8 codes (+128, interleaved order) and one float32 scale per row.
        case int8(codes: ImmutableBuffer<UInt8>, scales: ImmutableBuffer<Float>)
    }

    /// Rows of the matrix (output features).
    package let rows: Int
    /// Columns (input features).
    package let columns: Int
    let storage: Storage

    /// `values` (rows × columns, row-major) stored in `format` (copied).
    package init(_ values: UnsafePointer<Float>, rows: Int, columns: Int, format: WeightFormat) {
        self.rows = rows
        self.columns = columns
        let count = rows * columns
        switch format {
        case .f32:
            storage = .f32(values: ImmutableBuffer(copying: values, count: count), offset: 0)
        case .bf16:
            storage = .bf16(ImmutableBuffer(count: count) { h in
                for r in 0..<rows {
                    for c in 0..<columns {
                        h[r * columns + QuantizedDot.Layout.bf16Position(c, count: columns)] = Self.bfloat16(values[r * columns + c])
                    }
                }
            })
        case .int8:
            let scales = ImmutableBuffer<Float>(count: rows) { s in
                for r in 0..<rows {
                    var largest: Float = 0
                    for c in 0..<columns { largest = max(largest, abs(values[r * columns + c])) }
                    s[r] = largest / 127
                }
            }
            storage = .int8(codes: ImmutableBuffer(count: count) { q in
                for r in 0..<rows {
                    let row = values + r * columns, scale = scales.base[r]
                    for c in 0..<columns {
                        let code = scale == 0 ? 0 : Int((row[c] / scale).rounded(.toNearestOrEven).clamped(-127, 127))
                        q[r * columns + QuantizedDot.Layout.int8Position(c, count: columns)] = UInt8(code + 128)
                    }
                }
            }, scales: scales)
        }
    }

    /// The float32 tensor `name` of `model`, read in place (not copied); the matrix keeps the
    /// model's weights alive.
    package init(model: LanguageModel, tensor name: String) {
        guard let entry = model.layout.entry(name), entry.shape.count == 2 else {
            preconditionFailure("no matrix named \(name)")
        }
        rows = entry.shape[0]
        columns = entry.shape[1]
        storage = .f32(values: model.storage, offset: entry.offset)
    }

    /// How the values are stored.
    package var format: WeightFormat {
        switch storage {
        case .f32: return .f32
        case .bf16: return .bf16
        case .int8: return .int8
        }
    }

    /// Pointers to the stored values for a run of products; valid while this matrix lives.
    package var rowReader: RowReader { RowReader(self) }

    /// Σ x[c]·W[row, c], with `Dot.product`'s summation order for every format.
    package func dot(_ x: UnsafePointer<Float>, row: Int) -> Float { rowReader.dot(x, row: row) }

    /// The dot products of x with rows `row`…`row + 3` (see `RowReader.dot4`).
    package func dot4(_ x: UnsafePointer<Float>, row: Int) -> SIMD4<Float> { rowReader.dot4(x, row: row) }

    /// The int8 code of (row, column), in −127…127.
    package func code(_ r: Int, _ c: Int) -> Int8 {
        guard case .int8(let codes, _) = storage else { preconditionFailure("not an int8 matrix") }
        return Int8(Int(codes.base[r * columns + QuantizedDot.Layout.int8Position(c, count: columns)]) - 128)
    }

    /// The bfloat16 bits of (row, column).
    package func half(_ r: Int, _ c: Int) -> UInt16 {
        guard case .bf16(let halves) = storage else { preconditionFailure("not a bfloat16 matrix") }
        return halves.base[r * columns + QuantizedDot.Layout.bf16Position(c, count: columns)]
    }

    /// The int8 scale of each row, or nil for other formats.
    package var scales: ImmutableBuffer<Float>? {
        if case .int8(_, let scales) = storage { return scales }
        return nil
    }

    /// The values the stored form stands for, as float32 (row-major).
    package func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let i = r * columns + c
                switch storage {
                case .f32(let values, let offset): out[i] = values.base[offset + i]
                case .bf16: out[i] = Float(bitPattern: UInt32(half(r, c)) << 16)
                case .int8(_, let scales): out[i] = Float(code(r, c)) * scales.base[r]
                }
            }
        }
        return out
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
