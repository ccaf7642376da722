import Foundation

/// Where a training step's time goes, section by section (`quill-bench train --profile`).
///
/// Off by default, and then each `measure` costs one predictable branch. When on, the thread that
/// drives training times each leaf section with the monotonic clock, and the worker pool records,
/// for every parallel region, its wall time and how long each participant actually worked, so the
/// time cores spent waiting on each other (idle/sync) is visible too. Sections must not nest.
/// Turn it on and read it from the driving thread only, between steps.
public enum Profiler {
    /// The leaf sections of a training step, in the order a step runs them.
    public enum Section: Int, CaseIterable, Sendable {
        case embedding, dropout, inputGEMM, recurrentGEMM, gates, headGEMM, softmaxLoss
        case headBackward, gatesBackward, recurrentBackwardGEMM, weightGradients, inputGradients
        case embeddingBackward, clip, optimizer, attention, attentionBackward

        /// The section's name in reports.
        public var label: String {
            switch self {
            case .embedding: "embedding lookup"
            case .dropout: "dropout (masks, apply)"
            case .inputGEMM: "input GEMM (X·W_ihᵀ)"
            case .recurrentGEMM: "recurrent GEMMs (h·W_hhᵀ)"
            case .gates: "gates (forward)"
            case .headGEMM: "head GEMM (logits)"
            case .softmaxLoss: "softmax + loss + dlogits"
            case .headBackward: "head backward (dW, dY)"
            case .gatesBackward: "gates (backward)"
            case .recurrentBackwardGEMM: "recurrent backward GEMMs (dG·W_hh)"
            case .weightGradients: "weight gradients (dGᵀ·X, dGᵀ·H)"
            case .inputGradients: "input gradients (dG·W_ih)"
            case .embeddingBackward: "embedding backward"
            case .clip: "gradient clipping"
            case .optimizer: "optimizer"
            case .attention: "attention head (forward)"
            case .attentionBackward: "attention head (backward)"
            }
        }
    }

    /// Totals since profiling was last turned on with `enable`.
    public struct Totals: Sendable {
        /// Wall seconds per section, indexed by `Section.rawValue`.
        public var seconds = [Double](repeating: 0, count: Section.allCases.count)
        /// Wall seconds spent inside parallel regions.
        public var parallelSeconds = 0.0
        /// Core seconds lost inside parallel regions: participants × region time − time worked.
        public var idleCoreSeconds = 0.0
        /// Parallel regions run.
        public var regions = 0
        /// Idle core seconds inside parallel regions, by the section they ran in (the last entry:
        /// regions outside every section).
        public var idleBySection = [Double](repeating: 0, count: Section.allCases.count + 1)
    }

    nonisolated(unsafe) public private(set) static var isEnabled = false
    /// The thread that turned profiling on; sections timed on other threads (workers running their
    /// share of a time loop) are not recorded, so the totals are the driving thread's view.
    @usableFromInline nonisolated(unsafe) static var owner = pthread_self()
    nonisolated(unsafe) public private(set) static var totals = Totals()
    @usableFromInline nonisolated(unsafe) static var current = Section.allCases.count

    /// Turns profiling on or off and clears the totals.
    public static func enable(_ on: Bool) {
        isEnabled = on
        owner = pthread_self()
        totals = Totals()
    }

    /// Runs `body`, adding its wall time to `section` when profiling is on.
    @inlinable @inline(__always)
    public static func measure<R>(_ section: Section, _ body: () throws -> R) rethrows -> R {
        guard isEnabled, pthread_equal(pthread_self(), owner) != 0 else { return try body() }
        let start = MonotonicClock.seconds()
        current = section.rawValue
        defer {
            add(section, MonotonicClock.seconds() - start)
            current = Section.allCases.count
        }
        return try body()
    }

    @usableFromInline
    static func add(_ section: Section, _ seconds: Double) {
        totals.seconds[section.rawValue] += seconds
    }

    /// Called by the worker pool after each parallel region.
    static func addRegion(wall: Double, participants: Int, worked: Double) {
        guard pthread_equal(pthread_self(), owner) != 0 else { return }
        let idle = max(0, Double(participants) * wall - worked)
        totals.parallelSeconds += wall
        totals.idleCoreSeconds += idle
        totals.idleBySection[current] += idle
        totals.regions += 1
    }
}
