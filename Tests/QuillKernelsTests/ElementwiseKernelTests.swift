import Foundation
import QuillKernels
import XCTest

/// The fused kernels against straightforward double-precision loops.
final class ElementwiseKernelTests: XCTestCase {
    func values(_ n: Int, seed: UInt64, scale: Float = 3) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in rng.nextUniform(in: -scale, scale) }
    }

    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func testLSTMForwardMatchesEquations() {
        let b = 3, h = 13
        var gates = values(b * 4 * h, seed: 1)
        let pre = gates.map(Double.init)
        let cIn = values(b * h, seed: 2)
        var cOut = [Float](repeating: 0, count: b * h), hOut = [Float](repeating: 0, count: b * h)
        gates.withUnsafeMutableBufferPointer { g in
            cIn.withUnsafeBufferPointer { ci in
                cOut.withUnsafeMutableBufferPointer { co in
                    hOut.withUnsafeMutableBufferPointer { ho in
                        LSTMKernels.forward(batch: b, hidden: h, gates: g.baseAddress!, cellIn: ci.baseAddress!,
                                            cellOut: co.baseAddress!, hiddenOut: ho.baseAddress!, hiddenStride: h)
                    }
                }
            }
        }
        for r in 0..<b {
            for j in 0..<h {
                let base = r * 4 * h
                let i = sigmoid(pre[base + j]), f = sigmoid(pre[base + h + j])
                let g = tanh(pre[base + 2 * h + j]), o = sigmoid(pre[base + 3 * h + j])
                let c = f * Double(cIn[r * h + j]) + i * g
                XCTAssertEqual(Double(cOut[r * h + j]), c, accuracy: 1e-6)
                XCTAssertEqual(Double(hOut[r * h + j]), o * tanh(c), accuracy: 1e-6)
                XCTAssertEqual(Double(gates[base + 2 * h + j]), g, accuracy: 1e-6)
            }
        }
    }

    /// Backward of one step against central differences of the forward, through a random linear
    /// read-out of (h', c').
    func testLSTMBackwardMatchesFiniteDifferences() {
        let b = 2, h = 5
        let pre = values(b * 4 * h, seed: 3), cIn = values(b * h, seed: 4)
        let wh = values(b * h, seed: 5, scale: 1), wc = values(b * h, seed: 6, scale: 1)
        func objective(_ pre: [Double], _ cIn: [Double]) -> Double {
            var total = 0.0
            for r in 0..<b {
                for j in 0..<h {
                    let base = r * 4 * h
                    let c = sigmoid(pre[base + h + j]) * cIn[r * h + j] + sigmoid(pre[base + j]) * tanh(pre[base + 2 * h + j])
                    let hv = sigmoid(pre[base + 3 * h + j]) * tanh(c)
                    total += Double(wh[r * h + j]) * hv + Double(wc[r * h + j]) * c
                }
            }
            return total
        }
        var gates = pre
        var cOut = [Float](repeating: 0, count: b * h), hOut = cOut
        var cellGrad = wc
        var gateGrad = [Float](repeating: 0, count: b * 4 * h)
        gates.withUnsafeMutableBufferPointer { g in
            LSTMKernels.forward(batch: b, hidden: h, gates: g.baseAddress!, cellIn: cIn, cellOut: &cOut,
                                hiddenOut: &hOut, hiddenStride: h)
            LSTMKernels.backward(batch: b, hidden: h, gates: g.baseAddress!, cellPrev: cIn, cell: cOut,
                                 hiddenGrad: wh, cellGrad: &cellGrad, gateGrad: &gateGrad)
        }
        let p = pre.map(Double.init), c = cIn.map(Double.init), eps = 1e-6
        for k in 0..<p.count {
            var plus = p, minus = p
            plus[k] += eps; minus[k] -= eps
            let numeric = (objective(plus, c) - objective(minus, c)) / (2 * eps)
            XCTAssertEqual(Double(gateGrad[k]), numeric, accuracy: 1e-5 + 1e-4 * abs(numeric), "gate \(k)")
        }
        for k in 0..<c.count {
            var plus = c, minus = c
            plus[k] += eps; minus[k] -= eps
            let numeric = (objective(p, plus) - objective(p, minus)) / (2 * eps)
            XCTAssertEqual(Double(cellGrad[k]), numeric, accuracy: 1e-5 + 1e-4 * abs(numeric), "cell \(k)")
        }
    }

    func testSoftmaxAndLogSoftmaxRows() {
        let rows = 4, columns = 19
        var x = values(rows * columns, seed: 7, scale: 20)
        var y = x
        let reference = x.map(Double.init)
        x.withUnsafeMutableBufferPointer { Softmax.softmaxRows($0.baseAddress!, rows: rows, columns: columns) }
        y.withUnsafeMutableBufferPointer { Softmax.logSoftmaxRows($0.baseAddress!, rows: rows, columns: columns) }
        for r in 0..<rows {
            let row = Array(reference[(r * columns)..<((r + 1) * columns)])
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            for j in 0..<columns {
                XCTAssertEqual(Double(x[r * columns + j]), exp(row[j] - lse), accuracy: 1e-6)
                XCTAssertEqual(Double(y[r * columns + j]), row[j] - lse, accuracy: 1e-5)
            }
        }
    }

    /// The eight-lane softmax against Double on lengths around its lane width and long rows, and
    /// the same bits for the same values wherever they sit in memory.
    func testVectorizedSoftmax() {
        for count in [1, 7, 8, 9, 23, 513] {
            let x = values(count, seed: UInt64(count), scale: 30)
            var y = x
            y.withUnsafeMutableBufferPointer { Softmax.softmaxVectorized($0.baseAddress!, count: count) }
            let m = x.map(Double.init).max()!
            let total = x.reduce(0.0) { $0 + exp(Double($1) - m) }
            for j in 0..<count { XCTAssertEqual(Double(y[j]), exp(Double(x[j]) - m) / total, accuracy: 1e-6, "\(count) \(j)") }
            var shifted = [Float](repeating: 0, count: 3) + x
            shifted.withUnsafeMutableBufferPointer { Softmax.softmaxVectorized($0.baseAddress! + 3, count: count) }
            XCTAssertEqual(Array(shifted[3...]).map(\.bitPattern), y.map(\.bitPattern))
        }
    }

    func testCrossEntropyWithMaskAndItsGradient() {
        let rows = 5, classes = 9
        var logits = values(rows * classes, seed: 8, scale: 4)
        let reference = logits.map(Double.init)
        let targets: [Int32] = [0, 8, 3, 3, 5]
        let mask: [Float] = [1, 0, 1, 1, 0]
        var rowLosses = [Double](repeating: 0, count: rows)
        let scale: Float = 1 / 3
        let total = Softmax.crossEntropy(logits: &logits, rows: rows, classes: classes, targets: targets, mask: mask,
                                         scale: scale, rowLosses: &rowLosses)
        var expectedTotal = 0.0
        for r in 0..<rows {
            let row = Array(reference[(r * classes)..<((r + 1) * classes)])
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            if mask[r] == 1 { expectedTotal += lse - row[Int(targets[r])] }
            for j in 0..<classes {
                let expected = mask[r] == 0 ? 0 : (exp(row[j] - lse) - (j == Int(targets[r]) ? 1 : 0)) * Double(scale)
                XCTAssertEqual(Double(logits[r * classes + j]), expected, accuracy: 1e-6)
            }
        }
        XCTAssertEqual(total, expectedTotal, accuracy: 1e-5)
    }

    func testColumnSumsAndDot() {
        let rows = 37, columns = 150
        let x = values(rows * columns, seed: 9)
        var out = [Float](repeating: 1, count: columns)
        ColumnSums.add(x, rows: rows, columns: columns, into: &out)
        for j in 0..<columns {
            let expected = 1 + (0..<rows).reduce(0.0) { $0 + Double(x[$1 * columns + j]) }
            XCTAssertEqual(Double(out[j]), expected, accuracy: 1e-4)
        }
        // The two-vector form gives each vector exactly what `add` alone would, from different
        // starting values, whatever the thread count (600 × 300 is large enough to be split).
        let tall = values(600 * 300, seed: 14)
        let starts = values(300, seed: 12), otherStarts = values(300, seed: 13)
        var alone = starts, otherAlone = otherStarts
        ColumnSums.add(tall, rows: 600, columns: 300, into: &alone)
        ColumnSums.add(tall, rows: 600, columns: 300, into: &otherAlone)
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for threads in [1, 2, 3] {
            Parallel.threadCount = threads
            var both = starts, otherBoth = otherStarts
            both.withUnsafeMutableBufferPointer { first in
                otherBoth.withUnsafeMutableBufferPointer { second in
                    ColumnSums.add(tall, rows: 600, columns: 300, into: first.baseAddress!, and: second.baseAddress!)
                }
            }
            XCTAssertEqual(both, alone, "\(threads) threads")
            XCTAssertEqual(otherBoth, otherAlone, "\(threads) threads")
        }
        for n in [0, 1, 15, 16, 17, 63, 64, 65, 200] {
            let a = values(n, seed: 10), b = values(n, seed: 11)
            let expected = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(Double(Dot.product(a, b, count: n)), expected, accuracy: 1e-4, "n=\(n)")
        }
    }
}
