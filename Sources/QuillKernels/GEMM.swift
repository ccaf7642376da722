/// General matrix multiply on row-major float32 storage:
/// `C ← α·op(A)·op(B) + β·C`, with `op(X)` either `X` or `Xᵀ`.
///
/// Shapes use m, n, k as BLAS does: `op(A)` is m×k, `op(B)` is k×n, `C` is m×n. Leading
/// dimensions are row strides in elements. The work is cache-blocked (`kc` × `nc` panels of B and
/// `mc` × `kc` panels of A are packed into contiguous buffers) and 6×16 and 4×16 register-blocked
/// SIMD micro-kernels (6×32 and 4×32 in an AVX-512 build) do the arithmetic; where k spans two to four blocks and C is large, every k
/// block is packed at once so that C is not streamed once per block (`residentBlocks`). Columns of
/// C (or rows, when C is narrow) are split over
/// `Parallel.threadCount` workers; each element is summed by one worker in the same k order
/// whatever the split, so results do not depend on the thread count.
public enum GEMM {
    /// Rows of the micro-kernel tile.
    public static let mr = 6
    /// Columns of the micro-kernel tile: one `SIMD16<Float>` (two AVX2 registers), or two in an
    /// AVX-512 build (`MicroKernel+AVX512.swift`). Results do not depend on it.
    #if QUILL_AVX512
    public static let nr = 32
    #else
    public static let nr = 16
    #endif
    @usableFromInline static let kc = 256
    @usableFromInline static let mc = 96
    @usableFromInline static let nc = 2048
    /// Most k blocks a product takes through `residentBlocks` (k up to 1,024).
    static let residentBlockLimit = 4
    /// Columns of a B block in `residentBlocks`: all of k's blocks of it are packed at once.
    static let residentNC = 1024
    /// Fewest elements of a worker's C block for `residentBlocks` (2 MB, four times the L2 of
    /// the machine it was tuned on): a smaller block stays in cache between k blocks anyway, and
    /// the char model's step (every such C under 1 MB) measured no faster with it (0.89–0.98 of
    /// the step without it, alternating medians of seven; the machine's noise is ~5%).
    static let residentMinimumElements = 1 << 19

    /// `C ← α·op(A)·op(B) + β·C` on raw pointers. `β = 0` overwrites C without reading it, so C
    /// may hold garbage (even NaN) then.
    /// - Parameters:
    ///   - bias: with `β = 0`, n values added to every row: `C ← bias + α·op(A)·op(B)`, written in
    ///     the product's first pass over C (a layer's bias, without a pass of its own).
    ///   - parallel: false runs the whole product on the calling thread through the tiled kernel
    ///     (even when m = 1), for callers that already split their work over the workers.
    public static func multiply(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
        parallel: Bool = true
    ) {
        require(bias == nil || beta == 0, "a bias replaces C, so it needs beta = 0")
        if m <= 0 || n <= 0 { return }
        if k <= 0 || alpha == 0 {
            scale(rows: 0..<m, columns: 0..<n, by: beta, c: c, ldc: ldc, bias: bias)
            return
        }
        let operands = Operands(a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb,
                                transposeB: transposeB, c: c, ldc: ldc, k: k, alpha: alpha, beta: beta, bias: bias)
        if !parallel {
            work(rows: 0..<m, columns: 0..<n, operands, packed: nil)
            return
        }
        if m == 1 {
            GEMV.rowTimesMatrix(n: n, operands)
            return
        }
        split(m: m, n: n, k: k) { rows, columns in
            work(rows: rows, columns: columns, operands, packed: nil)
        }
    }

    /// `C ← α·op(A)·B + β·C` with B packed in advance (see `PackedMatrix`). Every row, even when
    /// m = 1, goes through the tiled kernel, so a row's result is the same bits as in `multiply`
    /// with the unpacked B and m > 1, whichever rows it is computed with.
    /// - Parameter parallel: false runs the product on the calling thread alone, for callers that
    ///   already split the work (each worker its own rows).
    public static func multiply(
        m: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        packedB: PackedMatrix, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        let n = packedB.n, k = packedB.k
        if m <= 0 || n <= 0 { return }
        if k <= 0 || alpha == 0 {
            scale(rows: 0..<m, columns: 0..<n, by: beta, c: c, ldc: ldc)
            return
        }
        let operands = Operands(a: a, lda: lda, transposeA: transposeA, b: a, ldb: 0, transposeB: false,
                                c: c, ldc: ldc, k: k, alpha: alpha, beta: beta, bias: nil)
        if !parallel {
            work(rows: 0..<m, columns: 0..<n, operands, packed: packedB)
            return
        }
        split(m: m, n: n, k: k) { rows, columns in
            work(rows: rows, columns: columns, operands, packed: packedB)
        }
    }

    /// Hands blocks of C to the workers: all of it to one when the product is small, else ranges
    /// along C's longer side: column ranges (multiples of `nr`) when C is wide, row ranges
    /// (multiples of `mr`) when it is tall. Every worker packs the whole of the operand it shares
    /// (all of A for a column split, all of B for a row split), so splitting the longer side keeps
    /// that repeated packing on the smaller operand; for a weight gradient (4H × H, k = T·B) a
    /// column split had each worker re-pack an 8 MB transposed A. Each element's sum runs in the
    /// same k order wherever its tile lands, so the split never changes a result.
    static func split(m: Int, n: Int, k: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        if m * n * k < 1 << 17 || Parallel.threadCount == 1 {
            body(0..<m, 0..<n)
        } else if (n >= m && n >= nr * 2) || m < mr * 2 {
            Parallel.forRanges(n, granule: nr) { body(0..<m, $0) }
        } else {
            Parallel.forRanges(m, granule: mr) { body($0, 0..<n) }
        }
    }

    /// The operands of one product, passed between the blocking layers.
    @usableFromInline
    struct Operands {
        let a: UnsafePointer<Float>, lda: Int, transposeA: Bool
        let b: UnsafePointer<Float>, ldb: Int, transposeB: Bool
        let c: UnsafeMutablePointer<Float>, ldc: Int
        let k: Int, alpha: Float, beta: Float
        /// Added to every row of C in place of its old value (β = 0 only).
        let bias: UnsafePointer<Float>?
    }

    static func scale(rows: Range<Int>, columns: Range<Int>, by beta: Float,
                      c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil) {
        if beta == 1 { return }
        for i in rows {
            let row = c + i * ldc
            if beta == 0 {
                for j in columns { row[j] = bias?[j] ?? 0 }
            } else {
                for j in columns { row[j] *= beta }
            }
        }
    }

    /// One worker's share: the block `rows × columns` of C, all of k, with B from `packed` or
    /// packed here block by block. With β = 0 the first k block writes C without reading it (no
    /// zeroing pass); any other β ≠ 1 scales C first.
    static func work(rows: Range<Int>, columns: Range<Int>, _ op: Operands, packed: PackedMatrix?) {
        if op.beta != 0 { scale(rows: rows, columns: columns, by: op.beta, c: op.c, ldc: op.ldc) }
        PackingBuffers.shared.with { packA, packB in
            if op.k > kc && op.k <= kc * residentBlockLimit && rows.count * columns.count >= residentMinimumElements {
                residentBlocks(rows: rows, columns: columns, op, packA: packA, packB: packB, packed: packed)
            } else {
                blocked(rows: rows, columns: columns, op, packA: packA, packB: packB, packed: packed)
            }
        }
    }

    /// `blocked` for a k of two to four blocks, with the k loop innermost but one: every k block
    /// of a B block and of an A block is packed up front, and each column panel of C takes all of
    /// them before the next, so C is read and written once while it is in cache rather than once
    /// per k block from memory. (A decoder's logits, 700 × 10,000 with k = 650, went round the
    /// memory three times.) Each element still receives the same block sums in the same k order,
    /// the first block overwriting when β = 0, so the bits are those of `blocked`. Its buffers
    /// (`PackingBuffers`) hold four A blocks and four B blocks of `residentNC` columns, which makes
    /// each about 4.7 MB instead of 2.2; A is packed once per 1,024 columns of C rather than 2,048.
    static func residentBlocks(rows: Range<Int>, columns: Range<Int>, _ op: Operands, packA: UnsafeMutablePointer<Float>,
                               packB: UnsafeMutablePointer<Float>, packed: PackedMatrix?) {
        let blockCount = (op.k + kc - 1) / kc
        /// Where k block `block` of the current B block is: in `packed`, or packed into `packB` here.
        func bBlock(_ block: Int, column jc: Int) -> UnsafeMutablePointer<Float> {
            packed?.block(pc: block * kc, column: jc, kcBlock: min(kc, op.k - block * kc))
                ?? packB + block * kc * (residentNC + nr)
        }
        var jc = columns.lowerBound
        while jc < columns.upperBound {
            let ncBlock = min(residentNC, columns.upperBound - jc)
            if packed == nil {
                for block in 0..<blockCount {
                    Packing.packB(op, rows: block * kc, count: min(kc, op.k - block * kc), columns: jc, width: ncBlock,
                                  into: bBlock(block, column: jc))
                }
            }
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let mcBlock = min(mc, rows.upperBound - ic)
                for block in 0..<blockCount {
                    let pc = block * kc
                    Packing.packA(op, rows: ic, height: mcBlock, columns: pc, count: min(kc, op.k - pc),
                                  into: packA + block * mc * kc)
                }
                let panels = RowPanels(height: mcBlock)
                var jr = 0
                while jr < ncBlock {
                    let width = min(nr, ncBlock - jr)
                    for block in 0..<blockCount {
                        let kcBlock = min(kc, op.k - block * kc)
                        columnPanel(op, a: packA + block * mc * kc, b: bBlock(block, column: jc) + jr * kcBlock,
                                    kcBlock: kcBlock, panels: panels, row: ic, column: jc + jr, width: width,
                                    first: block == 0 && op.beta == 0)
                    }
                    jr += nr
                }
                ic += mcBlock
            }
            jc += ncBlock
        }
    }

    /// The blocked loops; B comes from `packed` when given, else is packed into `packB` block by block.
    static func blocked(rows: Range<Int>, columns: Range<Int>, _ op: Operands, packA: UnsafeMutablePointer<Float>,
                        packB: UnsafeMutablePointer<Float>, packed: PackedMatrix?) {
        var jc = columns.lowerBound
        while jc < columns.upperBound {
            let ncBlock = min(nc, columns.upperBound - jc)
            var pc = 0
            while pc < op.k {
                let kcBlock = min(kc, op.k - pc)
                let bBlock: UnsafeMutablePointer<Float>
                if let packed {
                    bBlock = packed.block(pc: pc, column: jc, kcBlock: kcBlock)
                } else {
                    Packing.packB(op, rows: pc, count: kcBlock, columns: jc, width: ncBlock, into: packB)
                    bBlock = packB
                }
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mcBlock = min(mc, rows.upperBound - ic)
                    Packing.packA(op, rows: ic, height: mcBlock, columns: pc, count: kcBlock, into: packA)
                    let panels = RowPanels(height: mcBlock)
                    var jr = 0
                    while jr < ncBlock {
                        columnPanel(op, a: packA, b: bBlock + jr * kcBlock, kcBlock: kcBlock, panels: panels, row: ic,
                                    column: jc + jr, width: min(nr, ncBlock - jr), first: pc == 0 && op.beta == 0)
                        jr += nr
                    }
                    ic += mcBlock
                }
                pc += kcBlock
            }
            jc += ncBlock
        }
    }

    /// One column panel of C (`width` ≤ `nr` columns from `column`) over every row panel of the A
    /// block packed at `a` (its top row `row`), for one k block: the micro-kernels of both loop
    /// orders. `first` overwrites C (adding the bias) instead of adding to it.
    @inline(__always)
    static func columnPanel(_ op: Operands, a: UnsafePointer<Float>, b: UnsafePointer<Float>, kcBlock: Int, panels: RowPanels,
                            row: Int, column: Int, width: Int, first: Bool) {
        let bias = first ? op.bias.map { $0 + column } : nil
        for panel in 0..<panels.count {
            MicroKernel.run(kc: kcBlock, a: a + panel * mr * kcBlock, b: b,
                            c: op.c + (row + panels.start(panel)) * op.ldc + column, ldc: op.ldc,
                            alpha: op.alpha, height: panels.height(panel), width: width, first: first, bias: bias)
        }
    }
}
