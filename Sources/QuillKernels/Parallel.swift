import Foundation

/// Work splitting over the machine's cores.
///
/// Every parallel kernel in Quill hands each output element to exactly one worker and computes it
/// in a fixed order, so results are bit-identical whatever `threadCount` is.
public enum Parallel {
    nonisolated(unsafe) private static var configuredThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["QUILL_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Number of workers a kernel may use. Defaults to the active processor count, or to
    /// `QUILL_THREADS` when that environment variable is set. Set it before starting work, not
    /// while kernels run.
    public static var threadCount: Int {
        get { configuredThreads }
        set { configuredThreads = max(1, newValue) }
    }

    /// Runs `body(chunk)` for `chunk` in `0..<chunks`, spread over the workers. Runs inline when
    /// there is one chunk or one worker, so small kernels pay no dispatch cost.
    @inlinable
    public static func forEach(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 0 { return }
        if chunks == 1 || threadCount == 1 {
            for chunk in 0..<chunks { body(chunk) }
            return
        }
        runOnPool(chunks, body)
    }

    /// Each chunk writes only its own outputs, so sharing the closure across workers is safe; the
    /// box states that to the compiler, which cannot see it through raw pointers.
    @usableFromInline
    static func runOnPool(_ chunks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            WorkerPool.shared.run(chunks: chunks, workers: min(chunks, threadCount), SharedBody(run: body))
        }
    }

    @usableFromInline
    struct SharedBody: @unchecked Sendable {
        @usableFromInline let run: (Int) -> Void
        @usableFromInline init(run: @escaping (Int) -> Void) { self.run = run }
    }

    /// Splits `0..<count` into at most `threadCount` contiguous ranges whose lengths are multiples
    /// of `granule` (except the last), and runs `body` on each.
    @inlinable
    public static func forRanges(_ count: Int, granule: Int = 1, minimumPerWorker: Int = 1,
                                 _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let granules = (count + granule - 1) / granule
        let byWork = max(1, count / max(1, minimumPerWorker))
        let workers = min(threadCount, granules, byWork)
        if workers <= 1 { body(0..<count); return }
        forEach(workers) { w in
            let start = (granules * w / workers) * granule
            let end = min(count, (granules * (w + 1) / workers) * granule)
            if start < end { body(start..<end) }
        }
    }

    /// `body(i)` for `i` in `0..<count`, spread over the workers as `forEach` spreads chunks, and
    /// the results in order: for work whose parts each make a value of their own (the BPE
    /// encoder's parts of a long text).
    public static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { slots in
            let slots = ResultSlots(base: slots.baseAddress!)
            forEach(count) { i in slots.base[i] = body(i) }
        }
        return results.map { $0! }
    }

    /// Each part writes only its own slot, so sharing the pointer across workers is safe.
    private struct ResultSlots<T>: @unchecked Sendable { let base: UnsafeMutablePointer<T?> }
}
