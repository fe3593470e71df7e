extension ImageOrientation {
    /// Reads the Orientation tag (0x0112) of IFD0 from an EXIF payload that starts at its TIFF
    /// header (`II*\0` or `MM\0*`). Returns `nil` when there is no valid tag; never reads out of
    /// bounds, whatever the bytes.
    init?(exif: UnsafeRawBufferPointer) {
        guard exif.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (exif[0], exif[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= exif.count else { return nil }
            let a = Int(exif[offset])
            let b = Int(exif[offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ offset: Int) -> Int? {
            guard let low = u16(littleEndian ? offset : offset + 2), let high = u16(littleEndian ? offset + 2 : offset)
            else { return nil }
            return low | high << 16
        }
        guard u16(2) == 42, let ifd = u32(4), let entries = u16(ifd) else { return nil }
        for index in 0..<entries {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            guard tag == 0x0112 else { continue }
            // Type 3 is SHORT; the value sits in the first two bytes of the value field.
            guard u16(entry + 2) == 3, u32(entry + 4) == 1, let value = u16(entry + 8) else { return nil }
            self.init(rawValue: value)
            return
        }
        return nil
    }
}
