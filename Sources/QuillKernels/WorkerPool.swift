import Foundation
import Synchronization

/// Helper threads that live for the whole process and run `Parallel`'s chunks.
///
/// A training step runs hundreds of small parallel regions (one recurrent product per time step),
/// each a fraction of a millisecond. Handing each to Dispatch costs a semaphore post and a thread
/// wake-up, which on two cores took more time than the split saved. Here a helper that has just
/// finished a region spins on a generation counter for a short while, so the next region starts
/// within a cache-line transfer; a helper idle for longer parks on a condition variable and costs
/// nothing.
///
/// Protocol: the caller publishes a `Job`, bumps `generation`, runs its own share (participant 0),
/// then waits until `finished` counts every helper that took part. Chunks are assigned statically
/// (participant p runs chunks p, p + W, p + 2W, …), so which thread computes what never depends on
/// timing. A region started while another is running (a nested call from inside a chunk, or a
/// second thread) runs inline on its caller: each chunk still writes only its own outputs, so the
/// results are the same.
final class WorkerPool: Sendable {
    static let shared = WorkerPool()

    /// What one region asks of the helpers. `body` points at the caller's `SharedBody`, which lives
    /// on the caller's stack for the whole region; holding it as a plain pointer means no helper
    /// keeps the closure alive after its share (which `withoutActuallyEscaping` checks).
    private struct Job: Sendable {
        /// Address of the body (0: none); a plain integer, so the job is Sendable and retains nothing.
        var body: UInt = 0
        var chunks = 0
        var workers = 0
        /// The generation this job was published under.
        var generation = 0
        /// Whether participants time their shares for the profiler.
        var profiling = false
    }

    private let job = Mutex(Job())
    private let generation = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let regionActive = Atomic<Bool>(false)
    private let helperCount = Atomic<Int>(0)
    private let parked = Atomic<Int>(0)
    /// Nanoseconds the helpers worked in the current region (profiling only).
    private let helpersWorked = Atomic<Int>(0)
    private let wakeUp = NSCondition()
    /// Helpers beyond the machine's cores never spin: spinning there would take the core a working
    /// thread needs.
    private let spinningHelpers = max(0, ProcessInfo.processInfo.activeProcessorCount - 1)

    /// Spin iterations before a helper parks (about 100 µs; each iteration is one atomic load).
    private static let spinLimit = 200_000

    /// Runs `body(chunk)` for every chunk on `workers` participants, the caller being one of them.
    /// Returns when every chunk has finished.
    func run(chunks: Int, workers: Int, _ body: Parallel.SharedBody) {
        guard workers > 1,
              regionActive.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for chunk in 0..<chunks { body.run(chunk) }
            return
        }
        defer { regionActive.store(false, ordering: .releasing) }
        ensureHelpers(workers - 1)
        let profiling = Profiler.isEnabled
        let regionStart = profiling ? MonotonicClock.seconds() : 0
        withUnsafePointer(to: body) { bodyPointer in
            let next = generation.load(ordering: .relaxed) + 1
            job.withLock {
                $0 = Job(body: UInt(bitPattern: bodyPointer), chunks: chunks, workers: workers, generation: next,
                         profiling: profiling)
            }
            finished.store(0, ordering: .relaxed)
            helpersWorked.store(0, ordering: .relaxed)
            generation.store(next, ordering: .sequentiallyConsistent)
            if parked.load(ordering: .sequentiallyConsistent) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            Self.runShare(participant: 0, chunks: chunks, workers: workers, bodyPointer)
            let ownWork = profiling ? MonotonicClock.seconds() - regionStart : 0
            var spins = 0
            while finished.load(ordering: .acquiring) < workers - 1 {
                spins += 1
                if spins & 1023 == 0 { sched_yield() }
            }
            job.withLock { $0.body = 0 }
            if profiling {
                let worked = ownWork + Double(helpersWorked.load(ordering: .acquiring)) * 1e-9
                Profiler.addRegion(wall: MonotonicClock.seconds() - regionStart, participants: workers, worked: worked)
            }
        }
    }

    private static func runShare(participant: Int, chunks: Int, workers: Int,
                                 _ body: UnsafePointer<Parallel.SharedBody>) {
        var chunk = participant
        while chunk < chunks {
            body.pointee.run(chunk)
            chunk += workers
        }
    }

    /// Starts helpers until there are at least `count`. Called only by the region's owner.
    private func ensureHelpers(_ count: Int) {
        while helperCount.load(ordering: .relaxed) < count {
            let index = helperCount.add(1, ordering: .relaxed).newValue
            let seen = generation.load(ordering: .acquiring)
            let thread = Thread { [self] in helperLoop(participant: index, seen: seen) }
            thread.name = "quill-worker-\(index)"
            thread.start()
        }
    }

    private func helperLoop(participant: Int, seen start: Int) {
        var handled = start
        let spinLimit = participant <= spinningHelpers ? Self.spinLimit : 0
        while true {
            _ = waitForGeneration(after: handled, spinLimit: spinLimit)
            // The job is published before its generation, so it is at least as new as what was seen;
            // a helper that was slow to look may skip regions it has no part in, never run one twice.
            let current = job.withLock { $0 }
            guard current.generation != handled else { continue }
            handled = current.generation
            guard participant < current.workers,
                  let body = UnsafePointer<Parallel.SharedBody>(bitPattern: current.body) else { continue }
            let start = current.profiling ? MonotonicClock.seconds() : 0
            Self.runShare(participant: participant, chunks: current.chunks, workers: current.workers, body)
            if current.profiling {
                helpersWorked.add(Int((MonotonicClock.seconds() - start) * 1e9), ordering: .relaxed)
            }
            finished.add(1, ordering: .releasing)
        }
    }

    /// Spins, then parks, until `generation` moves past `seen`; returns the new generation.
    private func waitForGeneration(after seen: Int, spinLimit: Int) -> Int {
        for _ in 0..<spinLimit {
            let now = generation.load(ordering: .acquiring)
            if now != seen { return now }
        }
        wakeUp.lock()
        defer { wakeUp.unlock() }
        parked.add(1, ordering: .sequentiallyConsistent)
        defer { parked.subtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let now = generation.load(ordering: .sequentiallyConsistent)
            if now != seen { return now }
            wakeUp.wait()
        }
    }
}
