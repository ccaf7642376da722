import Foundation

/// The factor `DecayShape` gives the learning rate at one step.
package struct BudgetSchedule: Sendable, Equatable {
    /// How the rate decays after the warm-up.
    package let shape: DecayShape
    /// Steps of linear warmup (from 1/warmup of the rate up to all of it).
    public let warmupSteps: Int
    /// The factor at the end of the budget, as a fraction of the rate.
    public let floor: Double

    /// A schedule of `shape` with `warmupSteps` of warm-up, decaying to `floor` times the rate.
    package init(shape: DecayShape, warmupSteps: Int, floor: Double) {
        self.shape = shape
        self.warmupSteps = warmupSteps
        self.floor = floor
    }

    /// The factor for the step that follows `step` steps taken, when the run has used
    /// `budgetFraction` (0…1) of its budget.
    public func factor(step: Int, budgetFraction: Double) -> Double {
        if step < warmupSteps { return Double(step + 1) / Double(warmupSteps) }
        let p = min(1, max(0, budgetFraction))
        switch shape {
        case .constant: return 1
        case .cosine: return floor + (1 - floor) * 0.5 * (1 + Foundation.cos(Double.pi * p))
        case .linear: return floor + (1 - floor) * (1 - p)
        }
    }

    /// The share of a budget used: the larger of the steps' share after the warmup and, when the
    /// run has a time limit, the time's share.
    public static func fraction(step: Int, warmupSteps: Int, plannedSteps: Int, seconds: Double, timeBudget: Double?) -> Double {
        let bySteps = Double(step - warmupSteps) / Double(max(1, plannedSteps - warmupSteps))
        guard let timeBudget, timeBudget > 0 else { return bySteps }
        return max(bySteps, seconds / timeBudget)
    }
}
