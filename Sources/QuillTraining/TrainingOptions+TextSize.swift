import Foundation

extension TrainingOptions {
    /// The training text's length in characters, estimated before the text is read (the time-budget
    /// recipe's input): the corpus file's size, scaled by the characters per byte of its first
    /// 64 KB (UTF-8 text of other scripts takes two to four bytes a character), less the held-out
    /// `validationFraction` when there is no validation file. Nil when the corpus is not a regular
    /// file that can be read (reading it then says why).
    public func estimatedTrainingCharacters() -> Int? {
        let path = URL(fileURLWithPath: corpus).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let size = attributes[.size] as? Int, let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        let sample = (try? file.read(upToCount: 65_536)) ?? Data()
        // Every UTF-8 character has one byte outside 0x80...0xBF, its continuation bytes.
        let starts = sample.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        let perByte = sample.isEmpty ? 1 : Double(starts) / Double(sample.count)
        let characters = Double(size) * perByte
        return Int(validationFile == nil ? characters * (1 - validationFraction) : characters)
    }
}
