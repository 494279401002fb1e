import Testing
import TestSupport
import NtKernel
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A 16-byte aligned SLIST header and `count` 16-byte aligned entries, freed at the end.
private struct SListFixture: ~Copyable {
    let header = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    let entries: UnsafeMutableRawPointer
    let count: Int
    init(count: Int) {
        self.count = count
        header.initializeMemory(as: UInt.self, repeating: 0, count: 2)
        entries = .allocate(byteCount: 16 * count, alignment: 16)
        entries.initializeMemory(as: UInt.self, repeating: 0, count: 2 * count)
    }
    func entry(_ index: Int) -> UnsafeMutableRawPointer { entries + 16 * index }
    var depth: Int { Int(header.load(as: UInt.self) & 0xFFFF) }
    deinit {
        header.deallocate()
        entries.deallocate()
    }
}

private struct SendablePointer: @unchecked Sendable { let raw: UnsafeMutableRawPointer }

@Suite("Interlocked SLIST")
struct InterlockedSListTests {
    @Test("push and pop are LIFO, count the depth and return the previous first entry")
    func lifo() {
        let list = SListFixture(count: 3)
        #expect(InterlockedSList.pop(list.header) == nil)
        #expect(InterlockedSList.push(list.header, first: list.entry(0), last: list.entry(0), count: 1, routine: "t") == nil)
        #expect(InterlockedSList.push(list.header, first: list.entry(1), last: list.entry(1), count: 1, routine: "t") == list.entry(0))
        #expect(list.depth == 2)
        #expect(InterlockedSList.pop(list.header) == list.entry(1))
        #expect(InterlockedSList.pop(list.header) == list.entry(0))
        #expect(InterlockedSList.pop(list.header) == nil)
        #expect(list.depth == 0)
    }

    @Test("a chain pushed at once and a flush keep the links")
    func chainAndFlush() {
        let list = SListFixture(count: 3)
        list.entry(0).storeBytes(of: UInt(bitPattern: list.entry(1)), as: UInt.self)
        list.entry(1).storeBytes(of: UInt(bitPattern: list.entry(2)), as: UInt.self)
        _ = InterlockedSList.push(list.header, first: list.entry(0), last: list.entry(2), count: 3, routine: "t")
        #expect(list.depth == 3)
        let first = InterlockedSList.flush(list.header)
        #expect(first == list.entry(0))
        #expect(list.depth == 0)
        #expect(InterlockedSList.flush(list.header) == nil)
        #expect(list.entry(1).load(as: UInt.self) == UInt(bitPattern: list.entry(2)))
        #expect(list.entry(2).load(as: UInt.self) == 0)
    }

    @Test("two threads pushing and popping lose and duplicate nothing")
    func concurrent() {
        let count = 64
        let list = SListFixture(count: count)
        for index in 0..<count {
            _ = InterlockedSList.push(list.header, first: list.entry(index), last: list.entry(index), count: 1, routine: "t")
        }
        let header = SendablePointer(raw: list.header)
        let work: @Sendable () -> Int = {
            var moved = 0
            for _ in 0..<50_000 {
                if let entry = InterlockedSList.pop(header.raw) {
                    _ = InterlockedSList.push(header.raw, first: entry, last: entry, count: 1, routine: "t")
                    moved += 1
                }
            }
            return moved
        }
        let other = Thread2.start(work)
        let here = work()
        let there = other.join()
        #expect(here + there > 0)
        #expect(list.depth == count)
        var seen = Set<UInt>()
        while let entry = InterlockedSList.pop(list.header) { seen.insert(UInt(bitPattern: entry)) }
        #expect(seen.count == count)
    }

    @Test("a misaligned header stops with KMODE_EXCEPTION_NOT_HANDLED and STATUS_DATATYPE_MISALIGNMENT")
    func misaligned() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 16)
            _ = InterlockedSList.pop(raw + 8)
        }
        expectStop(result, code: 0x1E, parameter1: 0x8000_0002)
        #expect(stopText(result).contains("InterlockedPopEntrySList"))
    }
}

/// A thread started now and joined later (OtherThread runs to completion at once).
final class Thread2: @unchecked Sendable {
    private let done = Mutex<Int?>(nil)
    private let body: @Sendable () -> Int
    private var thread = pthread_t()
    private init(_ body: @escaping @Sendable () -> Int) { self.body = body }

    static func start(_ body: @escaping @Sendable () -> Int) -> Thread2 {
        let job = Thread2(body)
        let context = Unmanaged.passRetained(job).toOpaque()
        pthread_create(&job.thread, nil, { raw in
            let job = Unmanaged<Thread2>.fromOpaque(raw!).takeRetainedValue()
            let value = job.body()
            job.done.withLock { $0 = value }
            return nil
        }, context)
        return job
    }

    func join() -> Int {
        pthread_join(thread, nil)
        return done.withLock { $0 ?? 0 }
    }
}

@Suite("Rtl counted strings")
struct CountedStringTests {
    @discardableResult
    private func withWide<R>(_ text: String, capacity: Int? = nil, _ body: (inout CountedString<UInt16>) throws -> R) rethrows -> R {
        let units = Array(text.utf16)
        let capacity = capacity ?? units.count + 1
        let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: max(capacity, 1))
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0xFFFF, count: max(capacity, 1))
        for (index, unit) in units.prefix(capacity).enumerated() { buffer[index] = unit }
        var string = CountedString<UInt16>(
            length: UInt16(min(units.count, capacity) * 2), maximumLength: UInt16(capacity * 2), buffer: buffer)
        return try body(&string)
    }

    private func text(_ string: CountedString<UInt16>) -> String { String(decoding: string.units, as: UTF16.self) }

    @Test("compare: code-unit order, case folding on request, then the length")
    func compare() {
        withWide("\\Device\\Abc") { a in
            withWide("\\DEVICE\\ABC") { b in
                #expect(CountedString.compare(a, b, caseInsensitive: false) > 0)
                #expect(CountedString.compare(a, b, caseInsensitive: true) == 0)
            }
            withWide("\\Device\\Ab") { shorter in
                #expect(CountedString.compare(a, shorter, caseInsensitive: false) == 2)
                #expect(CountedString.hasPrefix(a, shorter, caseInsensitive: false))
                #expect(!CountedString.hasPrefix(shorter, a, caseInsensitive: false))
            }
        }
        withWide("ä") { a in withWide("Ä") { b in #expect(CountedString.compare(a, b, caseInsensitive: true) == 0) } }
    }

    @Test("copy cuts to the capacity and terminates only when there is room")
    func copy() {
        withWide("abcdef") { source in
            withWide("", capacity: 4) { destination in
                destination.copy(from: source)
                #expect(text(destination) == "abcd")
                #expect(destination.buffer![3] == 0x64)
            }
            withWide("", capacity: 10) { destination in
                destination.copy(from: source)
                #expect(text(destination) == "abcdef")
                #expect(destination.buffer![6] == 0)
                destination.copy(from: nil)
                #expect(destination.length == 0)
            }
        }
    }

    @Test("append fails whole with STATUS_BUFFER_TOO_SMALL")
    func append() throws {
        try withWide("ab", capacity: 4) { destination in
            try withWide("cd") { more in try destination.append(more.units) }
            #expect(text(destination) == "abcd")
            withWide("e") { more in
                #expect(throws: NTStatus.bufferTooSmall) { try destination.append(more.units) }
            }
            #expect(text(destination) == "abcd")
        }
    }

    @Test("conversion into the caller's buffer reports STATUS_BUFFER_OVERFLOW with what fits; allocation uses tag StrG")
    func convert() throws {
        try withWide("Grüße, Ω") { source in
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
            defer { bytes.deallocate() }
            var narrow = CountedString<UInt8>(length: 0, maximumLength: 4, buffer: bytes)
            #expect(throws: NTStatus(code: 0x8000_0005)) {
                try CountedString.convert(source, into: &narrow, allocate: false) { $0 <= 0xFF ? $0 : 0x3F }
            }
            #expect(Array(narrow.units) == Array("Grü".unicodeScalars.map { UInt8($0.value) }) + [0xDF])
            var allocated = CountedString<UInt8>(length: 0, maximumLength: 0, buffer: nil)
            try CountedString.convert(source, into: &allocated, allocate: true) { $0 <= 0xFF ? $0 : 0x3F }
            #expect(allocated.units.last == 0x3F)
            #expect(allocated.buffer![allocated.units.count] == 0)
            #expect(Pool.blockInfo(allocated.buffer!)?.tag == rtlStringTag)
            allocated.free()
            #expect(allocated.buffer == nil)
        }
    }

    @Test("integers: bases, prefixes, signs, overflow of the buffer")
    func integers() throws {
        try withWide("", capacity: 8) { string in
            try string.setInteger(0xBEEF, base: 16)
            #expect(text(string) == "BEEF")
            #expect(try string.integerValue(base: 16) == 0xBEEF)
            #expect(throws: NTStatus(code: 0x8000_0005)) { try string.setInteger(0xFFFF_FFFF, base: 2) }
            #expect(throws: NTStatus.invalidParameter) { try string.setInteger(1, base: 7) }
        }
        withWide("  -0x10z") { string in #expect((try? string.integerValue(base: 0)) == 0 &- 16) }
        withWide("0b101") { string in #expect((try? string.integerValue(base: 0)) == 5) }
        withWide("123") { string in #expect(throws: NTStatus.invalidParameter) { try string.integerValue(base: 3) } }
    }
}

@Suite("RtlAssert")
struct AssertionTests {
    @Test("a failed assertion stops with 0x1E / STATUS_BREAKPOINT naming expression, message, file and line")
    func failed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            BugCheck.assertionFailed(expression: "Count != 0", file: "driver.c", line: 42, message: "no items")
        }
        expectStop(result, code: 0x1E, parameter1: 0x8000_0003)
        #expect(stopText(result).contains("RtlAssert: assertion failed: Count != 0 (no items), file driver.c, line 42"))
    }
}
