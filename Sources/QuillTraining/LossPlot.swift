import Foundation
import QuillCheckpoint
import QuillCore
import QuillModel

/// A self-contained SVG chart of a run: the training loss (the curve's points, or the loss between
/// validations), validation points joined by a line, the best validation marked, and the learning
/// rate on a second axis at the right. Opens in any browser.
package enum LossPlot {
    /// The smallest 1, 2 or 5 × 10^k at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for factor in [1.0, 2, 5, 10] where factor * power >= rough { return factor * power }
        return 10 * power
    }

    static let trainColor = "#1f77b4", validationColor = "#d62728", rateColor = "#7f7f7f"

    /// An SVG chart of training and validation loss over steps, with the learning rate.
    public static func svg(_ history: [TrainingRecord], curve: [TrainingCurve.Point] = [],
                           width: Double = 760, height: Double = 440) -> String {
        // The training line: the curve when there is one, else the loss between validations.
        let train: [(Double, Double)] = curve.isEmpty ? history.map { (Double($0.step), $0.trainLoss) }
            : curve.map { (Double($0.step), $0.loss) }
        let validation = history.map { (Double($0.step), $0.validationLoss) }
        let rates: [(Double, Double)] = curve.isEmpty ? history.map { (Double($0.step), $0.learningRate) }
            : curve.map { (Double($0.step), $0.learningRate) }
        let chart = Chart(width: width, height: height, losses: train + validation, rates: rates)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(chart.f(chart.left + chart.plotW / 2))" y="22" text-anchor="middle" font-size="15">Quill training loss</text>

        """
        out += chart.axes()
        out += chart.polyline(rates, rateColor, chart.yRate, extra: " stroke-dasharray=\"5 4\" stroke-width=\"1.5\"")
        out += chart.polyline(train, trainColor, chart.y)
        out += chart.polyline(validation, validationColor, chart.y)
        out += chart.validationPoints(validation)
        return out + chart.legend() + "</svg>\n"
    }

    /// The chart's geometry and scales: where a step, a loss and a rate land.
    private struct Chart {
        let width: Double, height: Double
        let left = 70.0, right = 75.0, top = 40.0, bottom = 55.0
        let plotW: Double, plotH: Double
        let xMax: Double, yMin: Double, yMax: Double, rateMax: Double

        /// Scales fitting `losses` (step, loss) and `rates` (step, rate), the loss axis padded by 5%.
        init(width: Double, height: Double, losses points: [(Double, Double)], rates: [(Double, Double)]) {
            self.width = width
            self.height = height
            plotW = width - left - right
            plotH = height - top - bottom
            let losses = points.map(\.1).filter(\.isFinite)
            xMax = max(1, points.map(\.0).max() ?? 1)
            var yMin = losses.min() ?? 0, yMax = losses.max() ?? 1
            if yMax - yMin < 1e-6 { yMin -= 0.5; yMax += 0.5 }
            let pad = (yMax - yMin) * 0.05
            self.yMin = max(0, yMin - pad)
            self.yMax = yMax + pad
            rateMax = max(1e-12, rates.map(\.1).filter(\.isFinite).max() ?? 1) * 1.05
        }

        func x(_ v: Double) -> Double { left + v / xMax * plotW }
        func y(_ v: Double) -> Double { top + (1 - (v - yMin) / (yMax - yMin)) * plotH }
        func yRate(_ v: Double) -> Double { top + (1 - v / rateMax) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        func polyline(_ points: [(Double, Double)], _ color: String, _ yOf: (Double) -> Double, extra: String = "") -> String {
            let text = points.filter { $0.1.isFinite }.map { "\(f(x($0.0))),\(f(yOf($0.1)))" }
            guard text.count > 1 else { return "" }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(extra) points=\"\(text.joined(separator: " "))\"/>\n"
        }

        /// Grid lines, ticks at round values (1, 2 or 5 times a power of ten), the frame and the axis titles.
        func axes() -> String {
            var out = ""
            let yStep = niceStep((yMax - yMin) / 8)
            var v = (yMin / yStep).rounded(.up) * yStep
            while v <= yMax + 1e-9 {
                out += "<line x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(v)))\" stroke=\"#e5e5e5\"/>\n"
                out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: yStep < 0.1 ? "%.2f" : "%.1f", v))</text>\n"
                v += yStep
            }
            let rateStep = niceStep(rateMax / 5)
            var r = 0.0
            while r <= rateMax + 1e-15 {
                out += "<text x=\"\(f(left + plotW + 6))\" y=\"\(f(yRate(r) + 4))\" fill=\"\(rateColor)\">\(String(format: "%.2g", r))</text>\n"
                r += rateStep
            }
            let xStep = max(1, niceStep(xMax / 8))
            var s = 0.0
            while s <= xMax + 1e-9 {
                out += "<text x=\"\(f(x(s)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Int(s))</text>\n"
                s += xStep
            }
            out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">step</text>\n"
            out += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">loss (nats per token)</text>\n"
            out += "<text transform=\"translate(\(f(width - 12)) \(f(top + plotH / 2))) rotate(90)\" text-anchor=\"middle\" fill=\"\(rateColor)\">learning rate</text>\n"
            return out
        }

        /// A dot per validation, and the best one circled and labelled.
        func validationPoints(_ validation: [(Double, Double)]) -> String {
            var out = ""
            for (step, loss) in validation where loss.isFinite {
                out += "<circle cx=\"\(f(x(step)))\" cy=\"\(f(y(loss)))\" r=\"2.5\" fill=\"\(validationColor)\"/>\n"
            }
            if let best = validation.filter({ $0.1.isFinite }).min(by: { $0.1 < $1.1 }) {
                let (bx, by) = (x(best.0), y(best.1))
                out += "<circle cx=\"\(f(bx))\" cy=\"\(f(by))\" r=\"6\" fill=\"none\" stroke=\"\(validationColor)\" stroke-width=\"2\"/>\n"
                let anchor = bx > left + plotW * 0.7 ? "end" : "start", dx = anchor == "end" ? -9.0 : 9.0
                out += "<text x=\"\(f(bx + dx))\" y=\"\(f(by - 9))\" text-anchor=\"\(anchor)\" fill=\"\(validationColor)\">best \(String(format: "%.4f", best.1)) at step \(Int(best.0))</text>\n"
            }
            return out
        }

        /// The legend box at the top right.
        func legend() -> String {
            let legendX = left + plotW - 140
            let legend = [("train", trainColor, ""), ("validation", validationColor, ""), ("learning rate", rateColor, " stroke-dasharray=\"5 4\"")]
            var out = "<rect x=\"\(f(legendX))\" y=\"\(f(top + 8))\" width=\"130\" height=\"62\" fill=\"white\" stroke=\"#999\"/>\n"
            for (i, (name, color, dash)) in legend.enumerated() {
                let ly = top + 22 + Double(i) * 18
                out += "<line x1=\"\(f(legendX + 8))\" y1=\"\(f(ly))\" x2=\"\(f(legendX + 30))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
                out += "<text x=\"\(f(legendX + 36))\" y=\"\(f(ly + 4))\">\(name)</text>\n"
            }
            return out
        }
    }
}
