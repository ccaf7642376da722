import Foundation

extension TrainingOptions {
    /// The training text's length in characters, estimated before the text is read (the time-budget
    /// recipe's input): the corpus file's size, scaled by the characters per byte of its first
    /// 64 KB as the reader counts them (UTF-8 text of other scripts takes two to four bytes a
    /// character; CR LF is one), less the held-out `validationFraction` when there is no
    /// validation file. Nil when the corpus is not a regular file that can be read, or the
    /// fraction is out of range (validating the options or reading the text then says why).
    public func estimatedTrainingCharacters() -> Int? {
        guard validationFile != nil || (validationFraction > 0 && validationFraction < 1) else { return nil }
        let path = URL(fileURLWithPath: corpus).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        let sample = [UInt8]((try? file.read(upToCount: 65_536)) ?? Data())
        // Every UTF-8 character has one byte outside 0x80...0xBF (the others continue it); the
        // reader drops a byte-order mark and reads CR LF as one line end.
        var characters = sample.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        characters -= zip(sample, sample.dropFirst()).reduce(0) { $0 + ($1 == (0x0D, 0x0A) ? 1 : 0) }
        if sample.starts(with: [0xEF, 0xBB, 0xBF]) { characters -= 1 }
        let perByte = sample.isEmpty ? 1 : Double(characters) / Double(sample.count)
        let estimate = Double(size) * perByte * (validationFile == nil ? 1 - validationFraction : 1)
        return Int(estimate.rounded())
    }
}
