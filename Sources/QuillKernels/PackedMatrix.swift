/// The B operand of GEMM packed once for many products, as in the recurrent step: W_hh is the same
/// for all T steps of a batch, so packing it per step would copy the whole matrix T times.
///
/// Layout: for each `kc` block of k, the panels of `nr` columns (zero-padded) stored k-major,
/// exactly as `GEMM` packs B per call, so a product through it gives the same bits.
public final class PackedMatrix {
    /// Rows of the packed B (the product's inner dimension).
    public private(set) var k = 0
    /// Columns of the packed B.
    public private(set) var n = 0
    private var storage: UnsafeMutablePointer<Float>
    private var capacity = 0

    /// An empty packed matrix; `pack` fills it.
    public init() { storage = AlignedFloats.allocate(1) }

    deinit { storage.deallocate() }

    /// Columns rounded up to whole panels.
    var paddedColumns: Int { (n + GEMM.nr - 1) / GEMM.nr * GEMM.nr }

    /// Pointer to the packed panels of the k block starting at `pc`, from column panel `j` (a
    /// multiple of `nr`).
    func block(pc: Int, column j: Int, kcBlock: Int) -> UnsafeMutablePointer<Float> {
        storage + pc * paddedColumns + j * kcBlock
    }

    /// Makes room for packs (and shifts) of up to k × n, keeping what is packed now, so that a
    /// matrix growing towards that size is not moved to new storage at every step.
    public func reserve(k rows: Int, n columns: Int) {
        let needed = rows * ((columns + GEMM.nr - 1) / GEMM.nr * GEMM.nr)
        guard needed > capacity else { return }
        let grown = AlignedFloats.allocate(needed)
        grown.update(from: storage, count: min(capacity, k * paddedColumns))
        storage.deallocate()
        storage = grown
        capacity = needed
    }

    /// Packs op(B) (k × n) from `b` with row stride `ldb`, reusing the storage when it is big enough.
    public func pack(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transposeB: Bool) {
        self.k = k
        self.n = n
        let needed = max(1, k * paddedColumns)
        if needed > capacity {
            storage.deallocate()
            storage = AlignedFloats.allocate(needed)
            capacity = needed
        }
        // The operands' A side is unused by packB.
        let op = GEMM.Operands(a: b, lda: 0, transposeA: false, b: b, ldb: ldb, transposeB: transposeB,
                               c: storage, ldc: 0, k: k, alpha: 1, beta: 0, bias: nil)
        var pc = 0
        while pc < k {
            let kcBlock = min(GEMM.kc, k - pc)
            Packing.packB(op, rows: pc, count: kcBlock, columns: 0, width: n, into: block(pc: pc, column: 0, kcBlock: kcBlock))
            pc += kcBlock
        }
    }

    /// Turns the packed op(B) into its columns from `dropped` on followed by `appended` new
    /// columns of op(B) read from `b` (row stride `ldb`, its first column the first appended): the
    /// same layout, and so the same bits, as packing that k × (n − dropped + appended) matrix
    /// afresh. A sliding window of columns (an attention memory shifting along) then costs a move
    /// of whole panels plus packing the new columns, instead of gathering every column again.
    /// Panels move whole, so `dropped` and the n − dropped kept columns must be multiples of
    /// `nr`; otherwise it changes nothing and returns false (the caller packs instead).
    public func shiftColumns(dropping dropped: Int, appending appended: Int, b: UnsafePointer<Float>, ldb: Int,
                             transposeB: Bool) -> Bool {
        let nr = GEMM.nr, kept = n - dropped
        guard dropped >= 0, kept >= 0, appended >= 0, dropped % nr == 0, kept % nr == 0 else { return false }
        let oldPadded = paddedColumns
        n = kept + appended
        let newPadded = paddedColumns, needed = max(1, k * newPadded)
        let source = storage
        let destination = needed > capacity ? AlignedFloats.allocate(needed) : storage
        let op = GEMM.Operands(a: b, lda: 0, transposeA: false, b: b, ldb: ldb, transposeB: transposeB,
                               c: destination, ldc: 0, k: k, alpha: 1, beta: 0, bias: nil)
        // Block pc of k starts at pc·paddedColumns, so when the matrix widens every block moves
        // towards the end: taking the blocks last first moves each before a later one's
        // destination can cover it (first first when it narrows, for the same reason).
        var blocks = Array(stride(from: 0, to: k, by: GEMM.kc))
        if newPadded > oldPadded { blocks.reverse() }
        for pc in blocks {
            let kcBlock = min(GEMM.kc, k - pc), to = destination + pc * newPadded
            // Overlapping within a block: copyMemory moves as memmove does.
            UnsafeMutableRawPointer(to).copyMemory(from: source + pc * oldPadded + dropped * kcBlock,
                                                   byteCount: kept * kcBlock * MemoryLayout<Float>.stride)
            Packing.packB(op, rows: pc, count: kcBlock, columns: 0, width: appended, into: to + kept * kcBlock)
        }
        if destination != source {
            source.deallocate()
            storage = destination
            capacity = needed
        }
        return true
    }

    /// Turns the packed op(B) into its rows from `dropped` on followed by `appended` new rows of
    /// op(B) read from `b` (row stride `ldb`, its first row the first new one): the same layout,
    /// and so the same bits, as packing those rows afresh. A window of rows sliding along (at a
    /// constant length, `dropped` = `appended`) or growing (`dropped` = 0) then moves in runs of
    /// whole rows of panels instead of being gathered again. Other shifts change nothing and
    /// return false (the caller packs instead).
    public func shiftRows(dropping dropped: Int, appending appended: Int, b: UnsafePointer<Float>, ldb: Int,
                          transposeB: Bool) -> Bool {
        let oldK = k, kept = k - dropped, newK = kept + appended
        guard dropped >= 0, kept >= 0, appended >= 0, dropped == appended || dropped == 0 else { return false }
        let nr = GEMM.nr, kc = GEMM.kc, padded = paddedColumns, needed = max(1, newK * padded)
        let source = storage
        let destination = needed > capacity ? AlignedFloats.allocate(needed) : storage
        /// Row r of the panel from column j in the layout of `rows` rows at `base`.
        func element(_ base: UnsafeMutablePointer<Float>, rows: Int, row r: Int, panel j: Int) -> UnsafeMutablePointer<Float> {
            let pc = r / kc * kc
            return base + pc * padded + j * min(kc, rows - pc) + (r - pc) * nr
        }
        // Pieces (k block, panel) in address order. At a constant length each row's source (row
        // r + dropped, same panel) is never below its destination, so going up reads every row
        // before anything overwrites it; when growing, a panel's source is never above its
        // destination (its block's panels get longer), so going down does.
        var pieces: [(pc: Int, panel: Int)] = []
        for pc in stride(from: 0, to: newK, by: kc) { for panel in stride(from: 0, to: n, by: nr) { pieces.append((pc, panel)) } }
        if newK > oldK { pieces.reverse() }
        for (pc, panel) in pieces {
            let end = min(pc + kc, newK), keptEnd = min(end, kept), columnsHere = min(nr, n - panel)
            var r = pc
            while r < keptEnd {
                let s = r + dropped, run = min(keptEnd - r, s / kc * kc + kc - s)
                let to = element(destination, rows: newK, row: r, panel: panel)
                let from = element(source, rows: oldK, row: s, panel: panel)
                if to != from {
                    // Runs may overlap: copyMemory moves as memmove does.
                    UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: run * nr * MemoryLayout<Float>.stride)
                }
                r += run
            }
            while r < end {
                let row = r - kept, out = element(destination, rows: newK, row: r, panel: panel)
                if !transposeB && columnsHere == nr {
                    Packing.copyPanelRow(from: b + row * ldb + panel, to: out)
                } else {
                    for c in 0..<nr {
                        out[c] = c >= columnsHere ? 0 : transposeB ? b[(panel + c) * ldb + row] : b[row * ldb + panel + c]
                    }
                }
                r += 1
            }
        }
        k = newK
        if destination != source {
            source.deallocate()
            storage = destination
            capacity = needed
        }
        return true
    }
}
