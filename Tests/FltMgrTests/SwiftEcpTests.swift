import Testing
import TestSupport
import Synchronization
import NtKernel
import FltMgr

/// The Swift API of ECPs: owners freed when they end, lists that take their ECPs, filters kept
/// alive by what was made for them.
@Suite("Swift ECPs")
struct SwiftEcpTests {
    static let openType = EcpType(0x5AE1_C9D4, 0x7F0B, 0x4C8A, (0x9E, 0x21, 0x3B, 0x6D, 0x0F, 0x4A, 0x8C, 0x11))
    static let otherType = EcpType(0x1234_5678, 0x9ABC, 0xDEF0, (1, 2, 3, 4, 5, 6, 7, 8))

    @Test func listsOwnWhatIsInsertedAndFreeIt() throws {
        let filter = try Minifilter()
        let cleaned = Atomic<Int>(0)
        let lookaside = try EcpLookasideList(filter: filter, contextSize: 64, tag: "SeLk")
        do {
            let ecps = try ExtraCreateParameterList(filter: filter)
            let parameter = try lookaside.allocate(Self.openType, cleanup: { _ in cleaned.wrappingAdd(1, ordering: .relaxed) })
            try parameter.copy(from: [1, 2, 3])
            try ecps.insert(parameter)
            let pooled = try ExtraCreateParameter(filter: filter, type: Self.otherType, size: 8, tag: "SePl")
            try ecps.insert(pooled)
            #expect(ecps.count == 2)
            #expect(ecps.types == [Self.openType, Self.otherType])
            #expect(ecps.context(of: Self.openType)?.prefix(3) == [1, 2, 3])
            #expect(ecps.isAcknowledged(Self.openType) == false)
            try ecps.acknowledge(Self.openType)
            #expect(ecps.isAcknowledged(Self.openType) == true)
            #expect(filter.outstandingParameters == 2)
        }
        #expect(cleaned.load(ordering: .relaxed) == 1)
        #expect(filter.outstandingParameters == 0)
        do {
            let alone = try lookaside.allocate(Self.openType, cleanup: { _ in cleaned.wrappingAdd(1, ordering: .relaxed) })
            #expect(alone.byteCount == 64)
        }
        #expect(cleaned.load(ordering: .relaxed) == 2)
    }

    @Test func aDuplicateTypeIsAStatusAndTheParameterIsFreed() throws {
        let filter = try Minifilter()
        let ecps = try ExtraCreateParameterList(filter: filter)
        try ecps.insert(try ExtraCreateParameter(filter: filter, type: Self.openType, size: 4, tag: "SeDp"))
        #expect(throws: NTStatus.invalidParameter) { try ecps.insert(try ExtraCreateParameter(filter: filter, type: Self.openType, size: 4, tag: "SeDp")) }
        #expect(filter.outstandingParameters == 1)
        #expect(throws: NTStatus.notFound) { try ecps.acknowledge(Self.otherType) }
    }

    /// The README's old snippet stopped with 0xC4/0xE5 inside a function (the list outlived the
    /// filter): now what was made for a filter keeps it registered.
    @Test func nothingOutlivesItsFilter() async {
        await #expect(processExitsWith: .success) {
            func make() throws -> EcpLookasideList {
                let filter = try Minifilter()
                return try EcpLookasideList(filter: filter, contextSize: 32, tag: "SeOl")
            }
            let lookaside = try! make()
            let parameter = try! lookaside.allocate(SwiftEcpTests.openType)
            try! parameter.store(UInt64(7))
            _ = try? EcpLookasideList(filter: try! Minifilter(), contextSize: 0, tag: "SeOl")
            _ = try? ExtraCreateParameter(filter: try! Minifilter(), type: SwiftEcpTests.openType, size: 0, tag: "SeOl")
        }
    }
}
