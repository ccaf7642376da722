import QuillKernels
import XCTest

final class GEMMTests: XCTestCase {
    /// Shapes that miss the tile sizes in every direction, plus a few that cross the cache blocks.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 13, 5), (33, 65, 17), (6, 16, 1), (5, 15, 3), (1, 37, 300), (2, 33, 9),
        (97, 130, 260), (13, 2049, 7), (200, 31, 513), (64, 96, 256),
    ]

    func randomValues(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in rng.nextUniform(in: -1, 1) }
    }

    func check(m: Int, n: Int, k: Int, ta: Bool, tb: Bool, alpha: Float, beta: Float, parallel: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        let a = randomValues(m * k, &rng), b = randomValues(k * n, &rng)
        let c0 = randomValues(m * n, &rng)
        let lda = ta ? m : k, ldb = tb ? k : n
        var fast = c0, slow = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda, transposeA: ta,
                                  b: pb.baseAddress!, ldb: ldb, transposeB: tb, beta: beta,
                                  c: pc.baseAddress!, ldc: n, parallel: parallel)
                }
                slow.withUnsafeMutableBufferPointer { pc in
                    ReferenceGEMM.multiply(m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                           transposeA: ta, b: pb.baseAddress!, ldb: ldb, transposeB: tb,
                                           beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
        var worst: Float = 0
        for i in 0..<(m * n) {
            worst = max(worst, abs(fast[i] - slow[i]) / (1e-4 * Float(k).squareRoot() + 1e-5 * abs(slow[i])))
        }
        XCTAssertLessThanOrEqual(worst, 1, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta)",
                                 file: file, line: line)
    }

    func testAllFormsAgainstNaiveLoop() {
        for (m, n, k) in Self.shapes {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                check(m: m, n: n, k: k, ta: ta, tb: tb, alpha: 1, beta: 0)
            }
        }
    }

    /// `parallel: false` (the whole product on the calling thread, m = 1 included) against the
    /// naive loop.
    func testSingleThreadedForm() {
        for (m, n, k) in [(1, 37, 300), (64, 576, 256), (7, 5, 3)] {
            for (ta, tb) in [(false, false), (false, true), (true, false)] {
                check(m: m, n: n, k: k, ta: ta, tb: tb, alpha: 1, beta: 0.5, parallel: false)
            }
        }
    }

    func testAlphaAndBeta() {
        for (m, n, k) in [(7, 13, 5), (33, 65, 17), (1, 40, 70)] {
            check(m: m, n: n, k: k, ta: false, tb: true, alpha: 0.5, beta: 1)
            check(m: m, n: n, k: k, ta: true, tb: false, alpha: -2, beta: 0.25)
        }
    }

    /// `bias` replaces C's old values: C = bias + α·A·B, on the tiled path (4- and 6-row panels,
    /// edge columns, several k blocks), the one-row path and k = 0, with NaN left in C beforehand.
    func testBiasIsAddedToEveryRowWithoutReadingC() {
        for (m, n, k) in [(32, 65, 300), (20, 200, 17), (7, 13, 5), (1, 70, 40), (16, 33, 0)] {
            var rng = SeededGenerator(seed: UInt64(m * 31 + n * 7 + k))
            let a = randomValues(m * k, &rng), b = randomValues(k * n, &rng), bias = randomValues(n, &rng)
            var fast = [Float](repeating: .nan, count: m * n)
            var slow = (0..<(m * n)).map { bias[$0 % n] }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    bias.withUnsafeBufferPointer { pbias in
                        fast.withUnsafeMutableBufferPointer { pc in
                            GEMM.multiply(m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress ?? pbias.baseAddress!, lda: max(1, k),
                                          b: pb.baseAddress ?? pbias.baseAddress!, ldb: n, beta: 0, c: pc.baseAddress!, ldc: n,
                                          bias: pbias.baseAddress!)
                        }
                    }
                    if k > 0 {
                        slow.withUnsafeMutableBufferPointer { pc in
                            ReferenceGEMM.multiply(m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: k,
                                                   transposeA: false, b: pb.baseAddress!, ldb: n, transposeB: false,
                                                   beta: 1, c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            for i in 0..<(m * n) {
                XCTAssertEqual(fast[i], slow[i], accuracy: 1e-4 * Float(k + 1).squareRoot(), "m=\(m) n=\(n) k=\(k) at \(i)")
            }
        }
    }

    func testBetaZeroIgnoresGarbageInC() {
        var c = [Float](repeating: .nan, count: 7 * 13)
        let a = [Float](repeating: 1, count: 7 * 5), b = [Float](repeating: 2, count: 5 * 13)
        let m = Matrix(rows: 7, columns: 5, values: a), mb = Matrix(rows: 5, columns: 13, values: b)
        var out = Matrix(rows: 7, columns: 13, values: c)
        out.multiply(m, mb)
        c = out.storage
        XCTAssertTrue(c.allSatisfy { $0 == 10 })
    }

    func testZeroSizedProductsLeaveOrScaleC() {
        var out = Matrix(rows: 3, columns: 4, values: [Float](repeating: 3, count: 12))
        out.multiply(Matrix(rows: 3, columns: 0), Matrix(rows: 0, columns: 4), beta: 0.5)
        XCTAssertEqual(out.storage, [Float](repeating: 1.5, count: 12))
    }

    /// Every element of a product is a chain of fused multiply-adds in k order over each block of
    /// 256, the blocks' sums added in order (the first with the bias): the same bits whatever
    /// tile computed it, so an AVX-512 build (6×32 tiles) and an AVX2 build (6×16) agree exactly.
    /// Shapes cut every tile of either build (6-row panels and 4-row tails, n short of or past
    /// 16 and 32), one to three k blocks, B unpacked and packed in advance.
    func testEveryElementIsAFusedChainInKOrder() {
        for (m, n, k) in [(2, 17, 3), (6, 33, 256), (7, 47, 257), (12, 96, 40), (20, 65, 600), (33, 130, 513)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                var rng = SeededGenerator(seed: UInt64(m * 7919 + n * 31 + k))
                let a = randomValues(m * k, &rng), b = randomValues(k * n, &rng), bias = randomValues(n, &rng)
                let lda = ta ? m : k, ldb = tb ? k : n, alpha: Float = 0.75
                var fast = [Float](repeating: .nan, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        bias.withUnsafeBufferPointer { pbias in
                            fast.withUnsafeMutableBufferPointer { pc in
                                GEMM.multiply(m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda, transposeA: ta,
                                              b: pb.baseAddress!, ldb: ldb, transposeB: tb, beta: 0, c: pc.baseAddress!,
                                              ldc: n, bias: pbias.baseAddress!)
                            }
                        }
                    }
                }
                var packedFast = [Float](repeating: .nan, count: m * n)
                let packed = PackedMatrix()
                b.withUnsafeBufferPointer { packed.pack(k: k, n: n, b: $0.baseAddress!, ldb: ldb, transposeB: tb) }
                a.withUnsafeBufferPointer { pa in
                    packedFast.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, alpha: alpha, a: pa.baseAddress!, lda: lda, transposeA: ta, packedB: packed,
                                      c: pc.baseAddress!, ldc: n)
                    }
                }
                var mismatches = 0, packedMismatches = 0
                for i in 0..<m {
                    for j in 0..<n {
                        var c: Float = 0, unbiased: Float = 0
                        for start in stride(from: 0, to: k, by: 256) {
                            var sum: Float = 0
                            for p in start..<min(k, start + 256) {
                                sum = sum.addingProduct(ta ? a[p * lda + i] : a[i * lda + p], tb ? b[j * ldb + p] : b[p * ldb + j])
                            }
                            c = start == 0 ? bias[j] + alpha * sum : c + alpha * sum
                            unbiased = start == 0 ? alpha * sum : unbiased + alpha * sum
                        }
                        if c.bitPattern != fast[i * n + j].bitPattern { mismatches += 1 }
                        if unbiased.bitPattern != packedFast[i * n + j].bitPattern { packedMismatches += 1 }
                    }
                }
                XCTAssertEqual(mismatches, 0, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb)")
                XCTAssertEqual(packedMismatches, 0, "packed B: m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb)")
            }
        }
    }

    /// Each output element is summed by one worker in one order, so the bits cannot depend on how
    /// many workers there are.
    func testBitIdenticalAcrossThreadCounts() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for (m, n, k, ta, tb) in [(97, 130, 260, false, true), (300, 40, 64, true, false),
                                  (1, 3000, 200, false, true), (1, 3000, 200, false, false),
                                  (64, 2049, 33, false, false)] {
            var rng = SeededGenerator(seed: 42)
            let a = Matrix(rows: ta ? k : m, columns: ta ? m : k, values: randomValues(m * k, &rng))
            let b = Matrix(rows: tb ? n : k, columns: tb ? k : n, values: randomValues(k * n, &rng))
            var results: [[Float]] = []
            for threads in [1, 2, 3, 8] {
                Parallel.threadCount = threads
                var c = Matrix(rows: m, columns: n)
                c.multiply(a, transposed: ta, b, transposed: tb)
                results.append(c.storage)
            }
            for r in results.dropFirst() { XCTAssertEqual(r, results[0], "m=\(m) n=\(n) k=\(k)") }
        }
    }
}

final class PackedMatrixTests: XCTestCase {
    /// A k of two to four cache blocks with a large C runs with C resident (every k block packed up
    /// front); each element must still get the bits of the block-by-block order: the first 256 of
    /// k with β = 0 and the bias, then each further block added, here as separate products of
    /// k ≤ 256. Neither and both operands transposed, unpacked and packed B, C wide and tall.
    func testResidentBlocksGiveTheBitsOfBlockByBlockProducts() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var rng = SeededGenerator(seed: 21)
        // Each worker's C block must hold at least 2^19 elements (`residentMinimumElements`) at one
        // and at two threads, with a margin: 1100 × 1100 splits by columns (1100 × 550 = 605k a
        // worker; k of four blocks, the last partial; one thread has a second column block ending
        // in a partial panel), 1300 × 880 by rows (~650 × 880 = 572k; two blocks). 7 × 33 takes the
        // block-by-block path itself.
        for (m, n, k) in [(1100, 1100, 1000), (1300, 880, 300), (7, 33, 257)] {
            for (ta, tb) in [(false, false), (true, true)] {
                let a = (0..<(m * k)).map { _ in rng.nextUniform(in: -1, 1) }
                let b = (0..<(k * n)).map { _ in rng.nextUniform(in: -1, 1) }
                let bias = (0..<n).map { _ in rng.nextUniform(in: -1, 1) }
                let lda = ta ? m : k, ldb = tb ? k : n
                var expected = [Float](repeating: .nan, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        expected.withUnsafeMutableBufferPointer { out in
                            for pc in stride(from: 0, to: k, by: 256) {
                                GEMM.multiply(m: m, n: n, k: min(256, k - pc), alpha: 0.75,
                                              a: pa.baseAddress! + (ta ? pc * lda : pc), lda: lda, transposeA: ta,
                                              b: pb.baseAddress! + (tb ? pc : pc * ldb), ldb: ldb, transposeB: tb,
                                              beta: pc == 0 ? 0 : 1, c: out.baseAddress!, ldc: n, bias: pc == 0 ? bias : nil)
                            }
                        }
                    }
                }
                let packed = PackedMatrix()
                b.withUnsafeBufferPointer { packed.pack(k: k, n: n, b: $0.baseAddress!, ldb: ldb, transposeB: tb) }
                for threads in [1, 2] {
                    Parallel.threadCount = threads
                    var whole = [Float](repeating: .nan, count: m * n)
                    whole.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, transposeA: ta, b: b, ldb: ldb,
                                      transposeB: tb, beta: 0, c: pc.baseAddress!, ldc: n, bias: bias)
                    }
                    let label = "m=\(m) n=\(n) k=\(k) tA=\(ta) tB=\(tb) threads=\(threads)"
                    let differing = { (x: [Float], y: [Float]) in zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count }
                    XCTAssertEqual(differing(whole, expected), 0, label)
                    // The packed form has no bias: compare β = 1 on the same C instead.
                    var plain = expected, viaPacked = expected
                    plain.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, transposeA: ta, b: b, ldb: ldb,
                                      transposeB: tb, beta: 1, c: pc.baseAddress!, ldc: n)
                    }
                    viaPacked.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, alpha: 0.5, a: a, lda: lda, transposeA: ta, packedB: packed, beta: 1,
                                      c: pc.baseAddress!, ldc: n)
                    }
                    XCTAssertEqual(differing(plain, viaPacked), 0, label + " packed")
                }
            }
        }
    }

    /// A product through a pre-packed B gives the same bits as packing per call, for both forms of
    /// B, tile-missing shapes, k spanning several blocks, and any thread count.
    func testPackedProductsMatchUnpackedBitForBit() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var rng = SeededGenerator(seed: 8)
        for (m, n, k) in [(2, 1, 1), (7, 13, 5), (33, 65, 17), (32, 1024, 256), (20, 37, 600), (300, 20, 64)] {
            for transposeB in [false, true] {
                let a = (0..<(m * k)).map { _ in rng.nextUniform(in: -1, 1) }
                let b = (0..<(k * n)).map { _ in rng.nextUniform(in: -1, 1) }
                let c0 = (0..<(m * n)).map { _ in rng.nextUniform(in: -1, 1) }
                let ldb = transposeB ? k : n
                let packed = PackedMatrix()
                b.withUnsafeBufferPointer { packed.pack(k: k, n: n, b: $0.baseAddress!, ldb: ldb, transposeB: transposeB) }
                for threads in [1, 2, 3] {
                    Parallel.threadCount = threads
                    var plain = c0, viaPacked = c0
                    plain.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b, ldb: ldb, transposeB: transposeB,
                                      beta: 1, c: pc.baseAddress!, ldc: n)
                    }
                    viaPacked.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, alpha: 0.5, a: a, lda: k, packedB: packed, beta: 1, c: pc.baseAddress!, ldc: n)
                    }
                    XCTAssertEqual(plain.map(\.bitPattern), viaPacked.map(\.bitPattern), "m=\(m) n=\(n) k=\(k) tB=\(transposeB) threads=\(threads)")
                }
            }
        }
    }

    /// A packed window of columns sliding along a wider matrix (widening, keeping its width,
    /// narrowing, with a partial last panel; k within one cache block and across two) gives the
    /// same products, bit for bit, as the window packed afresh; a shift that would split a panel
    /// is refused and leaves the pack as it was. Each shift runs in place (storage reserved
    /// first) and into storage that has to grow.
    func testShiftedPackMatchesFreshPackBitForBit() {
        var rng = SeededGenerator(seed: 11)
        // In panels of `GEMM.nr` columns (16, or 32 in an AVX-512 build): the last window ends in a partial one.
        let m = 7, nr = GEMM.nr, total = 9 * nr
        let windows = [(0, nr), (0, 3 * nr), (2 * nr, 6 * nr), (3 * nr, 7 * nr), (6 * nr, 8 * nr + 5)]
        for k in [40, 300] {
            for (transposeB, inPlace) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = (0..<(m * k)).map { _ in rng.nextUniform(in: -1, 1) }
                let b = (0..<(k * total)).map { _ in rng.nextUniform(in: -1, 1) }
                let ldb = transposeB ? k : total
                // Column j of op(B) starts here.
                func column(_ j: Int, _ base: UnsafePointer<Float>) -> UnsafePointer<Float> { base + (transposeB ? j * ldb : j) }
                func product(_ packed: PackedMatrix) -> [UInt32] {
                    var c = [Float](repeating: 0, count: m * packed.n)
                    c.withUnsafeMutableBufferPointer { GEMM.multiply(m: m, a: a, lda: k, packedB: packed, c: $0.baseAddress!, ldc: packed.n) }
                    return c.map(\.bitPattern)
                }
                b.withUnsafeBufferPointer { pb in
                    let sliding = PackedMatrix(), fresh = PackedMatrix()
                    sliding.pack(k: k, n: nr, b: pb.baseAddress!, ldb: ldb, transposeB: transposeB)
                    if inPlace { sliding.reserve(k: k, n: total) } // keeps the pack, as the first shift checks
                    for ((lo, hi), (newLo, newHi)) in zip(windows, windows.dropFirst()) {
                        XCTAssertTrue(sliding.shiftColumns(dropping: newLo - lo, appending: newHi - hi, b: column(hi, pb.baseAddress!),
                                                           ldb: ldb, transposeB: transposeB))
                        fresh.pack(k: k, n: newHi - newLo, b: column(newLo, pb.baseAddress!), ldb: ldb, transposeB: transposeB)
                        XCTAssertEqual(sliding.n, newHi - newLo)
                        XCTAssertEqual(product(sliding), product(fresh), "k=\(k) tB=\(transposeB) in place \(inPlace) window \(newLo)..<\(newHi)")
                    }
                    let before = product(sliding)
                    XCTAssertFalse(sliding.shiftColumns(dropping: nr, appending: 7, b: column(8 * nr + 5, pb.baseAddress!),
                                                        ldb: ldb, transposeB: transposeB))
                    XCTAssertEqual(sliding.n, 2 * nr + 5)
                    XCTAssertEqual(product(sliding), before)
                }
            }
        }
    }

    /// A packed window of rows sliding along at a constant length or growing (k within one cache
    /// block and across two, a partial last panel, shifts of none, a few, more than a block and
    /// all of its rows), in place and into storage that has to grow, gives the same products, bit
    /// for bit, as the window packed afresh; a shift that both drops and grows is refused.
    func testRowShiftedPackMatchesFreshPackBitForBit() {
        var rng = SeededGenerator(seed: 12)
        let m = 5, n = 37, total = 1500
        // (dropped, appended) from a first window of 16 rows.
        let shifts = [(0, 24), (7, 7), (16, 16), (40, 40), (0, 260), (3, 3), (64, 64), (257, 257), (300, 300), (0, 20), (1, 1)]
        for (transposeB, inPlace) in [(false, false), (false, true), (true, false), (true, true)] {
            let b = (0..<(total * n)).map { _ in rng.nextUniform(in: -1, 1) }
            let ldb = transposeB ? total : n
            // Row i of op(B) starts here.
            func row(_ i: Int, _ base: UnsafePointer<Float>) -> UnsafePointer<Float> { base + (transposeB ? i : i * ldb) }
            func product(_ packed: PackedMatrix) -> [UInt32] {
                let a = (0..<(m * packed.k)).map { Float($0 % 11) / 8 - 0.6 }
                var c = [Float](repeating: 0, count: m * n)
                c.withUnsafeMutableBufferPointer { GEMM.multiply(m: m, a: a, lda: packed.k, packedB: packed, c: $0.baseAddress!, ldc: n) }
                return c.map(\.bitPattern)
            }
            b.withUnsafeBufferPointer { pb in
                let sliding = PackedMatrix(), fresh = PackedMatrix()
                if inPlace { sliding.pack(k: 400, n: n, b: pb.baseAddress!, ldb: ldb, transposeB: transposeB) }
                sliding.pack(k: 16, n: n, b: pb.baseAddress!, ldb: ldb, transposeB: transposeB)
                var start = 0, end = 16
                for (dropped, appended) in shifts {
                    XCTAssertTrue(sliding.shiftRows(dropping: dropped, appending: appended, b: row(end, pb.baseAddress!),
                                                    ldb: ldb, transposeB: transposeB))
                    start += dropped; end += appended
                    fresh.pack(k: end - start, n: n, b: row(start, pb.baseAddress!), ldb: ldb, transposeB: transposeB)
                    XCTAssertEqual(sliding.k, end - start)
                    XCTAssertEqual(product(sliding), product(fresh), "tB=\(transposeB) in place \(inPlace) rows \(start)..<\(end)")
                }
                let before = product(sliding)
                XCTAssertFalse(sliding.shiftRows(dropping: 5, appending: 3, b: pb.baseAddress!, ldb: ldb, transposeB: transposeB))
                XCTAssertEqual(product(sliding), before)
            }
        }
    }
}
