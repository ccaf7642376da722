import Foundation
import QuillKernels

/// `quill-bench gemm`: GFLOP/s of the GEMM shapes an LSTM step uses, beside numpy timed on the
/// same machine in the same run by the Python given with `--python` (default `python3`), with the
/// BLAS that numpy runs named in the output.
enum GEMMBenchmark {
    struct Shape {
        let m: Int, n: Int, k: Int, transposeB: Bool
        var transposeA = false
        var label: String {
            (transposeA ? "(\(k)×\(m))ᵀ" : "(\(m)×\(k))") + (transposeB ? "·(\(n)×\(k))ᵀ" : "·(\(k)×\(n))")
        }
    }

    static let shapes: [Shape] = [
        Shape(m: 32, n: 1024, k: 256, transposeB: true),
        Shape(m: 64, n: 2048, k: 512, transposeB: true),
        Shape(m: 20, n: 800, k: 200, transposeB: true),
        Shape(m: 700, n: 10000, k: 200, transposeB: true),
        Shape(m: 1024, n: 1024, k: 1024, transposeB: false),
        // Training's other products at char size: the input projection of layer 0 (small k) and
        // the weight gradients dGᵀ·X (A transposed, k = T·B).
        Shape(m: 2048, n: 1024, k: 64, transposeB: true),
        Shape(m: 1024, n: 256, k: 2048, transposeB: false, transposeA: true),
        Shape(m: 10000, n: 650, k: 700, transposeB: false, transposeA: true),
    ]

    static func run(arguments: [String]) throws {
        let options = try BenchOptions(arguments, flags: [
            "threads": "\(Parallel.threadCount)", "numpy": "yes", "shape": "", "python": "python3",
        ])
        Parallel.threadCount = try options.int("threads")
        let python = options.string("python")
        let withNumpy = options.string("numpy") == "yes"
        print("threads \(Parallel.threadCount)")
        if withNumpy {
            print("numpy: " + (runPython(python, describeBLAS, threads: Parallel.threadCount) ?? "not available from \(python)"))
        }
        let widths = [26, 14, 14, 12]
        print(Table.row(["shape", "quill GFLOP/s", "numpy GFLOP/s", "quill/numpy"], widths: widths))
        let chosen = options.string("shape").isEmpty ? shapes : [try parseShape(options.string("shape"))]
        for shape in chosen {
            let quill = measureQuill(shape)
            let numpy = withNumpy ? measureNumpy(shape, python: python, threads: Parallel.threadCount) : nil
            let numpyText = numpy.map { String(format: "%.1f", $0) } ?? "n/a"
            let ratio = numpy.map { String(format: "%.2f", quill / $0) } ?? "n/a"
            print(Table.row([shape.label, String(format: "%.1f", quill), numpyText, ratio], widths: widths))
        }
    }

    /// `quill-bench gemm-rate`: one JSON line with the GFLOP/s of a 1024³ product on all threads,
    /// the reference the suite divides a training step's rate by.
    static func printRate() {
        let rate = measureQuill(Shape(m: 1024, n: 1024, k: 1024, transposeB: false))
        print("{\"gflops\": \(String(format: "%.1f", rate))}")
    }

    /// `M,N,K` with optional `ta` / `tb` for transposed operands, e.g. `700,650,10000` or `10000,650,700,ta`.
    static func parseShape(_ text: String) throws -> Shape {
        let parts = text.split(separator: ",").map(String.init)
        guard parts.count >= 3, let m = Int(parts[0]), let n = Int(parts[1]), let k = Int(parts[2]), m > 0, n > 0, k > 0,
              parts.dropFirst(3).allSatisfy({ $0 == "ta" || $0 == "tb" }) else {
            throw BenchOptions.UsageError(description: "--shape needs M,N,K[,ta][,tb], got '\(text)'")
        }
        return Shape(m: m, n: n, k: k, transposeB: parts.contains("tb"), transposeA: parts.contains("ta"))
    }

    static func measureQuill(_ s: Shape) -> Double {
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(s.m * s.k)).map { _ in rng.nextUniform(in: -1, 1) }
        let b = (0..<(s.k * s.n)).map { _ in rng.nextUniform(in: -1, 1) }
        var c = [Float](repeating: 0, count: s.m * s.n)
        let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let once = {
                        GEMM.multiply(m: s.m, n: s.n, k: s.k, a: pa.baseAddress!, lda: s.transposeA ? s.m : s.k,
                                      transposeA: s.transposeA, b: pb.baseAddress!, ldb: s.transposeB ? s.k : s.n,
                                      transposeB: s.transposeB, c: pc.baseAddress!, ldc: s.n)
                    }
                    return flops / Timing.bestSeconds(minimumTotal: 0.4, once) / 1e9
                }
            }
        }
    }

    /// Names numpy's version and BLAS, and the kernel threadpoolctl reports when it is installed.
    static let describeBLAS = """
    import numpy as np
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = "numpy %s, BLAS %s %s" % (np.__version__, blas.get("name"), blas.get("version"))
    except Exception:
        text = "numpy %s, BLAS unknown" % np.__version__
    try:
        from threadpoolctl import threadpool_info
        text += "".join(", %s kernel %s" % (i.get("internal_api"), i.get("architecture")) for i in threadpool_info())
    except Exception:
        pass
    print(text)
    """

    /// Times the same product in numpy, or returns nil when the Python or its numpy is not there.
    static func measureNumpy(_ s: Shape, python: String, threads: Int) -> Double? {
        let aShape = s.transposeA ? "(\(s.k), \(s.m))" : "(\(s.m), \(s.k))"
        let bShape = s.transposeB ? "(\(s.n), \(s.k))" : "(\(s.k), \(s.n))"
        let product = (s.transposeA ? "a.T" : "a") + (s.transposeB ? " @ b.T" : " @ b")
        let script = """
        import time, numpy as np
        rng = np.random.default_rng(1)
        a = rng.uniform(-1, 1, \(aShape)).astype(np.float32)
        b = rng.uniform(-1, 1, \(bShape)).astype(np.float32)
        best = 1e9; total = 0.0
        while total < 0.4 or best == 1e9:
            t = time.perf_counter(); c = \(product); d = time.perf_counter() - t
            best = min(best, d); total += d
        print(best)
        """
        guard let text = runPython(python, script, threads: threads), let seconds = Double(text) else { return nil }
        return 2.0 * Double(s.m) * Double(s.n) * Double(s.k) / seconds / 1e9
    }

    /// Runs a Python script with numpy's threads set to `threads` and returns its trimmed output,
    /// or nil when it fails. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines set to
    /// work around old OpenBLAS builds and which slow a current one, are left out of this child's
    /// environment only.
    static func runPython(_ python: String, _ script: String, threads: Int) -> String? {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "\(threads)"
        environment["OMP_NUM_THREADS"] = "\(threads)"
        environment["MKL_NUM_THREADS"] = "\(threads)"
        environment["OPENBLAS_CORETYPE"] = nil
        environment["OPENBLAS_L2_SIZE"] = nil
        guard let (status, output) = ChildProcess.run(python, ["-c", script], environment: environment, showErrors: false),
              status == 0 else { return nil }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
