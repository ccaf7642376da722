import QuillText

/// The training loss between validations: one point every `TrainingOptions.logEvery` steps, each
/// the mean loss over the steps since the previous point (the smoothing), with the learning rate
/// in force. Saved with a run's progress, so `metrics.csv` and `loss.svg` stay whole after a resume.
package struct TrainingCurve: Codable, Equatable, Sendable {
    /// One point of the curve.
    public struct Point: Codable, Equatable, Sendable {
        /// Optimizer steps taken.
        public var step: Int
        /// Fractional epoch.
        public var epoch: Double
        /// Mean training loss (nats per token) since the previous point.
        public var loss: Double
        /// The learning rate of the point's last step.
        public var learningRate: Double
        /// Training seconds since the run began.
        public var seconds: Double
    }

    /// The points so far, in step order.
    public var points: [Point] = []
    /// Loss summed since the last point, and the positions it covers.
    var lossSum = 0.0
    var tokens = 0

    /// An empty curve.
    public init() {}

    /// Adds one step's summed loss over `count` positions; closes a point when `step` is a
    /// multiple of `every`.
    mutating func add(sum: Double, count: Int, step: Int, every: Int, epoch: Double, learningRate: Double, seconds: Double) {
        lossSum += sum
        tokens += count
        guard step % every == 0 else { return }
        points.append(Point(step: step, epoch: epoch, loss: lossSum / Double(max(1, tokens)), learningRate: learningRate, seconds: seconds))
        lossSum = 0
        tokens = 0
    }
}
