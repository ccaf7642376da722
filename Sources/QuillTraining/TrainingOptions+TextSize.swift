import Foundation
import QuillText

extension TrainingOptions {
    /// The training text's length in characters, estimated before the text is read (the time-budget
    /// recipe's input): the corpus file's size, scaled by the characters per byte of its first
    /// 64 KB as the reader counts them (UTF-8 text of other scripts takes two to four bytes a
    /// character; CR LF is one), less the held-out `validationFraction` when there is no
    /// validation file. Nil when the corpus is not a regular file that can be read, or the
    /// fraction is out of range (validating the options or reading the text then says why).
    public func estimatedTrainingCharacters() -> Int? {
        guard validationFile != nil || (validationFraction > 0 && validationFraction < 1),
              (try? TextFile.checkIsRegularFile(corpus)) != nil,
              let file = FileHandle(forReadingAtPath: corpus) else { return nil }
        defer { try? file.close() }
        var sample = [UInt8]((try? file.read(upToCount: 65_536)) ?? Data())
        guard let size = try? file.seekToEnd() else { return nil }
        let sampled = sample.count
        // As the reader counts: no byte-order mark, CR LF one line end.
        if sample.starts(with: TextFile.byteOrderMark) { sample.removeFirst(TextFile.byteOrderMark.count) }
        let characters = UTF8Scanner.scalarCount(TextFile.normalizingLineEnds(sample).0)
        let perByte = sampled == 0 ? 1 : Double(characters) / Double(sampled)
        let estimate = Double(size) * perByte * (validationFile == nil ? 1 - validationFraction : 1)
        return Int(estimate.rounded())
    }
}
