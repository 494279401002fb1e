/// Lookaside use-after-free: with special pool or pool tracking on for the current driver, an
/// entry given back to a lookaside list is filled with a pattern (0xD5) that is checked when the
/// list hands it out again. A byte changed in between stops with 0xC1
/// `SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION` (p1 the entry, p2 its size, p3 the first changed
/// byte, p4 0x31: this library's subclass for a freed lookaside entry written), naming where it
/// was freed and (the `at` line) where it is handed out again. Entries that go back to the pool
/// are forgotten.
enum LookasideReuse {
    static let pattern: UInt8 = 0xD5

    private struct Freed {
        var stack: CallStack
        var byteCount: Int
    }

    private static let freed = KernelLock<[UInt: Freed]>([:])

    private static var applies: Bool {
        guard let driver = DriverVerifier.current() else { return false }
        return !driver.settings.level.isDisjoint(with: [.specialPool, .poolTracking])
    }

    /// An entry given back to its list.
    static func takeBack(_ entry: UnsafeMutableRawPointer, byteCount: Int) {
        guard applies, byteCount > 0 else { return }
        entry.initializeMemory(as: UInt8.self, repeating: pattern, count: byteCount)
        let record = Freed(stack: CallStack.capture(), byteCount: byteCount)
        freed.withLock { $0[UInt(bitPattern: entry)] = record }
    }

    /// An entry handed out by its list: checked when it was given back with the pattern.
    static func handOut(_ entry: UnsafeMutableRawPointer, byteCount: Int, routine: StaticString) {
        guard let record = freed.withLock({ $0.removeValue(forKey: UInt(bitPattern: entry)) }) else { return }
        let bytes = entry.assumingMemoryBound(to: UInt8.self)
        for offset in 0..<min(record.byteCount, byteCount) where bytes[offset] != pattern {
            BugCheck.raise(
                .specialPoolDetectedMemoryCorruption, UInt(bitPattern: entry), UInt(record.byteCount),
                UInt(bitPattern: entry + offset), 0x31,
                "\(routine): the \(record.byteCount)-byte lookaside entry at \(entry) was written at offset \(offset) after it was freed at \(record.stack.site); it is being handed out again")
        }
    }

    /// An entry (or any block) that goes back to the pool: no longer a freed entry.
    static func forget(_ block: UnsafeMutableRawPointer) {
        freed.withLock { _ = $0.removeValue(forKey: UInt(bitPattern: block)) }
    }
}
