import Foundation

/// Unbuffered writes to stdout, so generated text appears as it is produced.
struct StandardOutput {
    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
