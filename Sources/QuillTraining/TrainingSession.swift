import QuillKernels
import QuillText

/// One call of `Trainer.run`: when it began and what it has done, which its reports, records and
/// time budget measure. A resumed run is a new session that continues the saved seconds.
struct TrainingSession {
    /// The monotonic clock when the session began.
    let start: Double
    /// Training seconds of the sessions before this one.
    let secondsBefore: Double
    /// Steps taken before this session.
    let startStep: Int
    /// Seconds (over all sessions) at which a time-limited budget ends: a time limit is the
    /// session's, so the schedule's budget ends when it does.
    let timeBudget: Double?
    /// Tokens trained on in this session.
    var tokens = 0
    /// The step of the latest validation recorded (-1: none).
    var lastValidationStep: Int
    /// Seconds this session's validations took, and the latest one's: what the next would cost.
    var validationSeconds = 0.0, lastValidationSeconds: Double?

    /// A session beginning now, at `progress`, limited to `maxTime` seconds if given.
    init(progress: TrainingProgress, maxTime: Double?) {
        start = MonotonicClock.seconds()
        secondsBefore = progress.seconds
        startStep = progress.step
        timeBudget = maxTime.map { progress.seconds + $0 }
        lastValidationStep = progress.history.last?.step ?? -1
    }

    /// Seconds since the session began.
    func elapsed() -> Double { MonotonicClock.seconds() - start }

    /// Training seconds over all sessions, now.
    func totalSeconds() -> Double { secondsBefore + elapsed() }

    /// This session's training speed, `elapsed` seconds in.
    func tokensPerSecond(elapsed: Double) -> Double { Double(tokens) / max(1e-9, elapsed) }
}
