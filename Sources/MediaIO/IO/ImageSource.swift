import CStoryForgeCodecs
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes a decoder reads: memory that stays valid for the decoder's life, or an open file.
final class ImageSource {
    let byteCount: Int
    let format: ImageFormat
    private let memory: UnsafeRawBufferPointer?
    private let ownsMemory: Bool
    private let file: UnsafeMutablePointer<FILE>?
    private let path: String?

    /// Copies `data`, so the source outlives the caller's `Data`.
    convenience init(copying data: Data) throws {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        if !data.isEmpty { _ = data.copyBytes(to: copy.bindMemory(to: UInt8.self)) }
        try self.init(memory: UnsafeRawBufferPointer(rebasing: copy[0..<data.count]), owned: true, base: copy)
    }

    /// Uses `bytes` in place; the caller keeps them alive for the source's whole life.
    convenience init(borrowing bytes: UnsafeRawBufferPointer) throws {
        try self.init(memory: bytes, owned: false, base: nil)
    }

    private init(memory: UnsafeRawBufferPointer, owned: Bool, base: UnsafeMutableRawBufferPointer?) throws {
        guard let format = ImageFormat.sniff(memory) else {
            let message = Self.unrecognised(Array(memory.prefix(8)), name: nil)
            base?.deallocate()  // only after the message has read the first bytes
            throw ImageCodecError.unsupported(message)
        }
        self.memory = memory
        self.ownsMemory = owned
        self.byteCount = memory.count
        self.format = format
        self.file = nil
        self.path = nil
    }

    /// Opens the file at `url` for reading; a FIFO, device or directory is refused before it is
    /// opened (see ``InputFile``), so it cannot hang the decoder.
    init(contentsOf url: URL) throws {
        let path = url.path
        let opened: (descriptor: Int32, size: Int)
        do {
            opened = try InputFile.open(path)
        } catch {
            throw ImageCodecError.io(error.message)
        }
        guard let file = fdopen(opened.descriptor, "rb") else {
            let reason = String(cString: strerror(errno))
            close(opened.descriptor)
            throw ImageCodecError.io("cannot open \(path): \(reason)")
        }
        var head = [UInt8](repeating: 0, count: 8)
        let got = fread(&head, 1, 8, file)
        guard let format = ImageFormat.sniff(head.prefix(got)) else {
            fclose(file)
            throw ImageCodecError.unsupported(Self.unrecognised(Array(head.prefix(got)), name: path))
        }
        rewind(file)
        self.file = file
        self.path = path
        self.byteCount = opened.size
        self.format = format
        self.memory = nil
        self.ownsMemory = false
    }

    deinit {
        if ownsMemory, let memory { UnsafeMutableRawPointer(mutating: memory.baseAddress)?.deallocate() }
        if let file { fclose(file) }
    }

    var cSource: sf_source {
        if let file { return sf_source(data: nil, size: 0, file: file) }
        return sf_source(
            data: memory?.baseAddress?.assumingMemoryBound(to: UInt8.self), size: memory?.count ?? 0, file: nil)
    }

    /// A name for error messages: the file path, or "data".
    var name: String { path ?? "data" }

    private static func unrecognised(_ head: [UInt8], name: String?) -> String {
        let location = name.map { " in \($0)" } ?? ""
        if head.isEmpty { return "no image data\(location): the input is empty" }
        let hex = head.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
        return
            "not a PNG or JPEG image\(location) (first bytes \(hex)); the format is recognised from content, not the name"
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
