/// A row-major float32 matrix over contiguous storage.
///
/// Value semantics (copy on write through the array). Hot code works on `withUnsafe…` pointers
/// hoisted out of its loops; this type is for shapes, ownership and the slower paths.
public struct Matrix: Equatable, Sendable {
    /// Rows.
    public let rows: Int
    /// Columns.
    public let columns: Int
    /// Elements in row-major order: element (r, c) is at `r * columns + c`.
    public var storage: [Float]

    /// A matrix of zeros.
    public init(rows: Int, columns: Int) {
        require(rows >= 0 && columns >= 0, "negative matrix shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: 0, count: rows * columns)
    }

    /// A matrix over existing row-major values; `values.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        require(values.count == rows * columns, "\(values.count) values for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.storage = values
    }

    /// Elements (rows × columns).
    public var count: Int { storage.count }

    /// The element at (row, column).
    public subscript(row: Int, column: Int) -> Float {
        get {
            require(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) outside a \(rows)×\(columns) matrix")
            return storage[row * columns + column]
        }
        set {
            require(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) outside a \(rows)×\(columns) matrix")
            storage[row * columns + column] = newValue
        }
    }

    /// `self ← α·op(a)·op(b) + β·self` through the blocked SIMD GEMM.
    public mutating func multiply(_ a: Matrix, transposed ta: Bool = false, _ b: Matrix,
                                  transposed tb: Bool = false, alpha: Float = 1, beta: Float = 0) {
        let m = ta ? a.columns : a.rows
        let k = ta ? a.rows : a.columns
        let kb = tb ? b.columns : b.rows
        let n = tb ? b.rows : b.columns
        require(k == kb && m == rows && n == columns,
                     "GEMM shapes: op(A) \(m)×\(k), op(B) \(kb)×\(n), C \(rows)×\(columns)")
        let ldc = columns
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                storage.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, n: n, k: k, alpha: alpha,
                                  a: pa.baseAddress!, lda: a.columns, transposeA: ta,
                                  b: pb.baseAddress!, ldb: b.columns, transposeB: tb,
                                  beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
    }
}
