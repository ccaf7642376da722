import Foundation
@testable import QuillInference
import Quill
import QuillKernels
import QuillModel
import QuillServer
import XCTest

/// Long prompts run through the network in windows: the same bits as one pass, in the memory of
/// one window.
final class PromptWindowTests: XCTestCase {
    let tokens = ["<pad>", "<unk>", "\n"] + "abcdefghijklm".map(String.init)

    func generator(cell: ModelConfig.Cell, samples: Int = 1) throws -> Generator {
        let network = try Network(config: ModelConfig(vocabularySize: tokens.count, embeddingSize: 12, hiddenSize: 20,
                                                      layers: 2, cell: cell))
        var rng = SeededGenerator(seed: 9)
        network.initialize(rng: &rng)
        let loaded = LoadedModel(model: network.snapshot(), vocabulary: try Vocabulary(tokens: tokens, specialCount: 2), level: .char)
        return Generator(loaded: loaded, sampler: try Sampler(temperature: 1))
    }

    /// A prompt of `count` ids (no specials) drawn from `seed`.
    func prompt(_ count: Int, seed: UInt64 = 4) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in 3 + Int(rng.nextUniform() * 13) % 13 }
    }

    func testWindowedPrimingIsBitIdenticalToOnePass() throws {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for cell in [ModelConfig.Cell.lstm, .gru] {
            let model = try generator(cell: cell).loaded.model
            // 1,000 tokens: windows of 256 leave 232; 257 would leave one token, which the window
            // before it gives one to; rows 3 is the batched generator's case; windows of 3 over
            // short prompts meet every remainder.
            let small = (2...10).map { ($0, 1, 1, 3) }
            for (count, rows, threads, window) in [(1_000, 1, 2, nil), (257, 1, 1, nil), (600, 3, 2, nil)] + small {
                Parallel.threadCount = threads
                let ids = prompt(count)
                var wholeState = RecurrentState(config: model.config, batchSize: rows)
                var windowState = wholeState
                let v = model.config.vocabularySize
                // The logits live in their network's buffer, so each network outlives its read.
                let one = Network(model: model), windows = Network(model: model)
                let whole = Array(UnsafeBufferPointer(start: one.prime(ids, rows: rows, window: Int.max, state: &wholeState),
                                                      count: rows * v))
                let windowed = Array(UnsafeBufferPointer(start: windows.prime(ids, rows: rows, window: window, state: &windowState),
                                                         count: rows * v))
                withExtendedLifetime((one, windows)) {}
                XCTAssertEqual(whole.map(\.bitPattern), windowed.map(\.bitPattern), "\(cell) \(count)×\(rows): logits")
                XCTAssertEqual(wholeState, windowState, "\(cell) \(count)×\(rows): state")
            }
        }
    }

    func testLongPromptsContinueAsInOnePassWithinOneWindow() throws {
        for cell in [ModelConfig.Cell.lstm, .gru] {
            let generator = try generator(cell: cell)
            let ids = prompt(5_000)
            let whole = GenerationSession(generator: generator, seed: 7)
            whole.promptWindow = Int.max
            try whole.feed(ids)
            let windowed = GenerationSession(generator: generator, seed: 7)
            try windowed.feed(ids)
            XCTAssertEqual(whole.largestPass, 5_001, "the start token and the prompt in one pass")
            XCTAssertEqual(windowed.largestPass, Network.promptWindow, "\(cell): buffers sized by one window")
            let expected = try whole.generate(length: 200).text
            XCTAssertEqual(try windowed.generate(length: 200).text, expected, "\(cell)")
            // A second long prompt in the same session continues from the first in windows too.
            let more = prompt(3_000, seed: 5)
            try whole.feed(more)
            try windowed.feed(more)
            XCTAssertEqual(try windowed.generate(length: 100).text, try whole.generate(length: 100).text, "\(cell)")
            XCTAssertEqual(windowed.largestPass, Network.promptWindow)
        }
    }

    func testBatchedGenerationRunsALongPromptInWindows() throws {
        let generator = try generator(cell: .gru)
        let samples = try generator.generate(prompt: prompt(20_000), samples: 3, length: 30, seed: 2)
        XCTAssertEqual(samples.map(\.tokens), [30, 30, 30])
        XCTAssertEqual(Set(samples.map(\.text)).count, 3, "each sample draws from its own generator")
    }

    /// Asked between windows, `shouldStop` abandons a long prompt: the feed answers false after
    /// the first window and the session is as fresh (the same draws as a new session's).
    func testAnInterruptedPromptStopsBetweenWindowsAndResetsTheSession() throws {
        let generator = try generator(cell: .lstm)
        let session = GenerationSession(generator: generator, seed: 7)
        var asked = 0
        XCTAssertFalse(try session.feed(prompt(5_000)) { asked += 1; return true })
        XCTAssertEqual(asked, 1, "asked once, before the second window")
        try session.feed(prompt(40, seed: 6))
        let fresh = GenerationSession(generator: generator, seed: 7)
        try fresh.feed(prompt(40, seed: 6))
        XCTAssertEqual(try session.generate(length: 50).text, try fresh.generate(length: 50).text)
        // Never stopped: asked before each window after the first (5,001 tokens: 20 windows).
        asked = 0
        XCTAssertTrue(try GenerationSession(generator: generator, seed: 7).feed(prompt(5_000)) { asked += 1; return false })
        XCTAssertEqual(asked, (5_001 + Network.promptWindow - 1) / Network.promptWindow - 1)
    }

    /// A client that hangs up during a long prompt frees its slot between windows; a prompt of one
    /// window never asks.
    func testTheServerGivesUpALongPromptWhoseClientHasGone() throws {
        let service = CompletionService(generator: try generator(cell: .gru), modelName: "test", maximumTokens: 8, capacity: 1)
        let letters = Array("abcdefghijklm")
        let long = String((0..<3_000).map { letters[$0 % 13] })
        var asked = 0
        XCTAssertThrowsError(try service.complete(CompletionRequest(json: Array(#"{"prompt": "\#(long)"}"#.utf8), maximumTokens: 8),
                                                  clientGone: { asked += 1; return true })) { error in
            XCTAssertTrue(error is CompletionService.Abandoned, "\(error)")
        }
        XCTAssertEqual(asked, 1)
        asked = 0
        let short = try service.complete(CompletionRequest(json: Array(#"{"prompt": "abc", "max_tokens": 5}"#.utf8), maximumTokens: 8),
                                         clientGone: { asked += 1; return true })
        XCTAssertEqual(short.completionTokens, 5)
        XCTAssertEqual(asked, 0)
    }
}
