import QuillCore
import QuillKernels

extension QuantizedMatrix {
    /// A matrix's storage as plain pointers, taken once before a loop of products so the loop
    /// neither switches on the storage nor retains it per row. Valid while the matrix lives (the
    /// caller holds it); not to be kept beyond that. Inlinable, so the step decoder (in another
    /// target) compiles the products into its loops, as when both lived in one module.
    package struct RowReader {
        @usableFromInline let columns: Int
        @usableFromInline let format: WeightFormat
        @usableFromInline let floats: UnsafePointer<Float>?
        @usableFromInline let halves: UnsafePointer<UInt16>?
        @usableFromInline let codes: UnsafePointer<UInt8>?
        @usableFromInline let scales: UnsafePointer<Float>?

        init(_ matrix: QuantizedMatrix) {
            columns = matrix.columns
            format = matrix.format
            switch matrix.storage {
            case .f32(let values, let offset): (floats, halves, codes, scales) = (values.base + offset, nil, nil, nil)
            case .bf16(let h): (floats, halves, codes, scales) = (nil, h.base, nil, nil)
            case .int8(let q, let s): (floats, halves, codes, scales) = (nil, nil, q.base, s.base)
            }
        }

        /// Σ x[c]·W[row, c], with `Dot.product`'s summation order for every format.
        @inlinable @inline(__always)
        package func dot(_ x: UnsafePointer<Float>, row: Int) -> Float {
            switch format {
            case .f32: return Dot.product(x, floats! + row * columns, count: columns)
            case .bf16: return QuantizedDot.product(x, bf16: halves! + row * columns, count: columns)
            case .int8: return scales![row] * QuantizedDot.product(x, int8: codes! + row * columns, count: columns)
            }
        }

        /// The dot products of x with rows `row`…`row + 3`: four reductions side by side. For
        /// bfloat16 and int8 the rows also share their loads of x; float32 gives `Dot.product`'s
        /// bits per row.
        @inlinable @inline(__always)
        package func dot4(_ x: UnsafePointer<Float>, row: Int) -> SIMD4<Float> {
            switch format {
            case .f32:
                return Dot.product4(x, rows: floats! + row * columns, stride: columns, count: columns)
            case .bf16:
                return QuantizedDot.product4(x, bf16: halves! + row * columns, stride: columns, count: columns)
            case .int8:
                let s = scales!
                return SIMD4(s[row], s[row + 1], s[row + 2], s[row + 3])
                    * QuantizedDot.product4(x, int8: codes! + row * columns, stride: columns, count: columns)
            }
        }
    }
}
