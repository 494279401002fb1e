// The defects of issue 14, each reproduced through the C API in a child process. Every test here
// failed (or crashed) before its fix.
import Testing
import TestSupport
import CWdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Callback events recorded in a child process: "cleanup <handle>" / "destroy <handle>".
nonisolated(unsafe) var callbackEvents: [String] = []

let recordCleanup: PFN_WDF_OBJECT_CONTEXT_CLEANUP = { object in callbackEvents.append("cleanup \(raw(object))") }
let recordDestroy: PFN_WDF_OBJECT_CONTEXT_DESTROY = { object in callbackEvents.append("destroy \(raw(object))") }

/// A handle value no live object has, put in out-parameters to see that failures clear them.
var poison: OpaquePointer? { OpaquePointer(bitPattern: 0xDEAD_BEE0) }

@Suite("Issue 14 defects (C API)")
struct DefectTests {
    // MARK: 1. size_t meets Int

    @Test func copyRangesAreCheckedUnsigned() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            var memory: WDFMEMORY?
            var bufferPointer: PVOID?
            Child.check(WdfMemoryCreate(nil, NonPagedPool, tag("oper"), 64, &memory, &bufferPointer) == STATUS_SUCCESS, "create")
            let buffer = bufferPointer!.assumingMemoryBound(to: UInt8.self)
            for index in 0..<64 { buffer[index] = UInt8(index) }
            // Guard bytes around the object's buffer: the pool block's header before it and the
            // next block after it must not be touched (the pool checks its header at free).
            var outside = [UInt8](repeating: 0xA5, count: 16)
            let minus8 = Int(bitPattern: UInt.max - 7)
            let big = Int(bitPattern: UInt(1) << 63)
            let sizeMax = Int(bitPattern: UInt.max)
            Child.check(WdfMemoryCopyFromBuffer(memory, minus8, &outside, 8) == STATUS_INVALID_BUFFER_SIZE, "from, offset -8")
            Child.check(WdfMemoryCopyToBuffer(memory, minus8, &outside, 8) == STATUS_BUFFER_TOO_SMALL, "to, offset -8")
            Child.check(outside.allSatisfy { $0 == 0xA5 }, "nothing read out of bounds")
            Child.check(WdfMemoryCopyToBuffer(memory, big, &outside, 1) == STATUS_BUFFER_TOO_SMALL, "to, offset 2^63")
            Child.check(WdfMemoryCopyFromBuffer(memory, big, &outside, 1) == STATUS_INVALID_BUFFER_SIZE, "from, offset 2^63")
            Child.check(WdfMemoryCopyToBuffer(memory, 8, &outside, sizeMax) == STATUS_BUFFER_TOO_SMALL, "to, count SIZE_MAX")
            Child.check(WdfMemoryCopyFromBuffer(memory, 8, &outside, sizeMax) == STATUS_INVALID_BUFFER_SIZE, "from, count SIZE_MAX")
            Child.check(WdfMemoryCopyToBuffer(memory, 0, &outside, big) == STATUS_BUFFER_TOO_SMALL, "to, count 2^63")
            Child.check(WdfMemoryCopyToBuffer(memory, sizeMax, &outside, sizeMax) == STATUS_BUFFER_TOO_SMALL, "to, both SIZE_MAX")
            Child.check(WdfMemoryCopyToBuffer(memory, 63, &outside, 2) == STATUS_BUFFER_TOO_SMALL, "to, one past the end")
            Child.check(WdfMemoryCopyToBuffer(memory, 64, &outside, 1) == STATUS_BUFFER_TOO_SMALL, "to, offset == size")
            Child.check(WdfMemoryCopyToBuffer(memory, 0, &outside, 0) == STATUS_INVALID_PARAMETER, "count 0")
            // The edges that fit still work.
            Child.check(WdfMemoryCopyToBuffer(memory, 63, &outside, 1) == STATUS_SUCCESS && outside[0] == 63, "last byte")
            Child.check(WdfMemoryCopyFromBuffer(memory, 56, &outside, 8) == STATUS_SUCCESS, "last 8 bytes")
            Child.check((0..<56).allSatisfy { buffer[$0] == UInt8($0) }, "bytes before the copy kept")
            WdfObjectDelete(memory)  // frees the pool block: its header is intact
            Child.finish()
        }
        reportChild(result)
    }

    @Test func hugeSizesFailWithTheirStatus() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let big = Int(bitPattern: UInt(1) << 63)
            let sizeMax = Int(bitPattern: UInt.max)
            for size in [big, sizeMax, Int.max] {
                var memory: WDFMEMORY? = poison
                var buffer: PVOID? = UnsafeMutableRawPointer(bitPattern: 0x1000)
                let status = WdfMemoryCreate(nil, NonPagedPool, tag("Huge"), size, &memory, &buffer)
                Child.check(status == STATUS_INSUFFICIENT_RESOURCES, "WdfMemoryCreate(\(UInt(bitPattern: size))): \(status)")
                Child.check(memory == nil, "WdfMemoryCreate clears *Memory")
                var list: WDFLOOKASIDE? = poison
                let listStatus = WdfLookasideListCreate(nil, size, NonPagedPool, nil, tag("Huge"), &list)
                Child.check(listStatus == STATUS_INTEGER_OVERFLOW, "WdfLookasideListCreate(\(UInt(bitPattern: size))): \(listStatus)")
                Child.check(list == nil, "WdfLookasideListCreate clears *Lookaside")
                if size < 0 {  // 2^63 and more: no buffer is that big
                    var preallocated: WDFMEMORY? = poison
                    var storage = [UInt8](repeating: 0, count: 8)
                    Child.check(
                        WdfMemoryCreatePreallocated(nil, &storage, size, &preallocated) == STATUS_INVALID_PARAMETER && preallocated == nil,
                        "WdfMemoryCreatePreallocated(\(UInt(bitPattern: size)))")
                }
                Child.check(ExAllocatePoolWithTag(NonPagedPool, size, tag("Huge")) == nil, "ExAllocatePoolWithTag")
                Child.check(ExAllocatePool2(POOL_FLAGS(POOL_FLAG_NON_PAGED), size, tag("Huge")) == nil, "ExAllocatePool2")
            }
            var list32: WDFLOOKASIDE?
            Child.check(WdfLookasideListCreate(nil, Int(UInt32.max), NonPagedPool, nil, tag("Huge"), &list32) == STATUS_INTEGER_OVERFLOW,
                "WdfLookasideListCreate(ULONG max)")
            var storage = [UInt8](repeating: 0, count: 8)
            var preallocated: WDFMEMORY?
            Child.check(WdfMemoryCreatePreallocated(nil, &storage, 8, &preallocated) == STATUS_SUCCESS, "preallocated")
            Child.check(WdfMemoryAssignBuffer(preallocated, &storage, sizeMax) == STATUS_INVALID_PARAMETER, "assign SIZE_MAX")
            var size = 0
            _ = WdfMemoryGetBuffer(preallocated, &size)
            Child.check(size == 8, "a refused assignment keeps the size")
            WdfObjectDelete(preallocated)
            // Context sizes: a type's size or an override of 2^63 and more cannot be allocated.
            let hugeType = makeContextType(name: "HUGE", size: sizeMax)
            var withType = attributes()
            withType.ContextTypeInfo = UnsafePointer(hugeType)
            var object: WDFOBJECT? = UnsafeMutableRawPointer(bitPattern: 0x1000)
            var status = WdfObjectCreate(&withType, &object)
            Child.check(status == STATUS_INTEGER_OVERFLOW && object == nil, "context type of SIZE_MAX: \(status)")
            let smallType = makeContextType(name: "SMALL", size: 16)
            var withOverride = attributes()
            withOverride.ContextTypeInfo = UnsafePointer(smallType)
            withOverride.ContextSizeOverride = big
            status = WdfObjectCreate(&withOverride, &object)
            Child.check(status == STATUS_INTEGER_OVERFLOW && object == nil, "override of 2^63: \(status)")
            // A big but representable size is an allocation that fails.
            withOverride.ContextSizeOverride = 1 << 50
            status = WdfObjectCreate(&withOverride, &object)
            Child.check(status == STATUS_INSUFFICIENT_RESOURCES && object == nil, "override of 2^50: \(status)")
            // An executive list of SIZE_MAX-byte entries: its allocations fail, its Size saturates.
            let list = UnsafeMutablePointer<LOOKASIDE_LIST_EX>.allocate(capacity: 1)
            Child.check(ExInitializeLookasideListEx(list, nil, nil, NonPagedPool, 0, sizeMax, tag("Huge"), 0) == STATUS_SUCCESS, "ExInit")
            Child.check(list.pointee.L.Size == ULONG.max, "Size saturates at ULONG max")
            Child.check(ExAllocateFromLookasideListEx(list) == nil, "no entry of SIZE_MAX bytes")
            ExDeleteLookasideListEx(list)
            Child.finish()
        }
        reportChild(result)
    }

    // MARK: 2. Callbacks of lookaside memory that gets a context

    @Test func lookasideMemoryWithALateContextRunsItsListsCallbacks() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            var memoryAttributes = attributes()
            memoryAttributes.EvtCleanupCallback = recordCleanup
            memoryAttributes.EvtDestroyCallback = recordDestroy
            var list: WDFLOOKASIDE?
            Child.check(WdfLookasideListCreate(nil, 128, NonPagedPool, &memoryAttributes, tag("LkCb"), &list) == STATUS_SUCCESS, "list")
            var memory: WDFMEMORY?
            Child.check(WdfMemoryCreateFromLookaside(list, &memory) == STATUS_SUCCESS, "memory")
            var contextAttributes = attributes()
            contextAttributes.ContextTypeInfo = UnsafePointer(makeContextType(name: "CTX", size: 24))
            var context: PVOID?
            Child.check(WdfObjectAllocateContext(UnsafeMutableRawPointer(memory), &contextAttributes, &context) == STATUS_SUCCESS, "context")
            WdfObjectDelete(memory)
            let handle = raw(memory)
            Child.check(callbackEvents == ["cleanup \(handle)", "destroy \(handle)"], "callbacks once each, in order: \(callbackEvents)")
            // A context's own callbacks run after the list's.
            callbackEvents = []
            Child.check(WdfMemoryCreateFromLookaside(list, &memory) == STATUS_SUCCESS, "memory 2")
            contextAttributes.EvtCleanupCallback = { _ in callbackEvents.append("context cleanup") }
            Child.check(WdfObjectAllocateContext(UnsafeMutableRawPointer(memory), &contextAttributes, &context) == STATUS_SUCCESS, "context 2")
            WdfObjectDelete(memory)
            let second = raw(memory)
            Child.check(
                callbackEvents == ["cleanup \(second)", "context cleanup", "destroy \(second)"], "list's callbacks, then the context's: \(callbackEvents)")
            WdfObjectDelete(list)
            Child.finish()
        }
        reportChild(result)
    }

    // MARK: 3. A list's memory parent deleted

    @Test func deletedMemoryParentWhoseSlotWasReusedStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var parent: WDFOBJECT?
            _ = WdfObjectCreate(nil, &parent)
            var memoryAttributes = attributes(parent: parent)
            var list: WDFLOOKASIDE?
            _ = WdfLookasideListCreate(nil, 64, NonPagedPool, &memoryAttributes, tag("LkSt"), &list)
            WdfObjectDelete(parent)
            var other: WDFOBJECT?
            _ = WdfObjectCreate(nil, &other)
            Child.note("stale \(hex16(raw(parent))) other \(hex16(raw(other)))")
            var memory: WDFMEMORY?
            _ = WdfMemoryCreateFromLookaside(list, &memory)
            Child.note("returned: memory adopted by another object")
            exit(0)  // must not get here
        }
        expectStop(result, code: 0x10D, parameter1: 5)
        let text = stopText(result)
        let staleText = text.split(separator: "\n").first { $0.hasPrefix("stale ") }.map { String($0.split(separator: " ")[1]) }
        let stop = StopLine(standardError: result?.standardErrorContent ?? [])
        #expect(staleText != nil && stop.map { hex16(UInt($0.parameters[1])) } == staleText, "\(text)")
        #expect(text.contains("other ") && !text.contains("returned:"))
    }

    @Test func deletedMemoryParentStopsAlsoWithContextsAndTracking() async {
        // The general path (memory with a context, or VerifierOn) checks the parent too.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var parent: WDFOBJECT?
            _ = WdfObjectCreate(nil, &parent)
            var memoryAttributes = attributes(parent: parent)
            memoryAttributes.ContextTypeInfo = UnsafePointer(makeContextType(name: "CTX", size: 8))
            var list: WDFLOOKASIDE?
            _ = WdfLookasideListCreate(nil, 64, NonPagedPool, &memoryAttributes, tag("LkSt"), &list)
            WdfObjectDelete(parent)
            var memory: WDFMEMORY?
            _ = WdfMemoryCreateFromLookaside(list, &memory)
            exit(0)
        }
        expectStop(result, code: 0x10D, parameter1: 5)
    }

    // MARK: 4. Last release above PASSIVE_LEVEL

    @Test func lastReleaseOfPagedLookasideMemoryAtDispatchIsDeferred() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let loaded = loadDriver("Defer1") else { Child.check(false, "load"); Child.finish() }
            var memoryAttributes = attributes()
            memoryAttributes.EvtDestroyCallback = recordDestroy
            var list: WDFLOOKASIDE?
            Child.check(WdfLookasideListCreate(nil, 256, PagedPool, &memoryAttributes, tag("DfPg"), &list) == STATUS_SUCCESS, "list")
            var memory: WDFMEMORY?
            Child.check(WdfMemoryCreateFromLookaside(list, &memory) == STATUS_SUCCESS, "memory")
            reference(memory)
            WdfObjectDelete(memory)
            var old: KIRQL = 0
            KeRaiseIrql(KIRQL(DISPATCH_LEVEL), &old)
            dereference(memory)  // stopped with 0x0A before
            KeLowerIrql(old)
            WdfObjectDelete(list)
            Child.check(WdfHostUnloadDriver(loaded.object) == STATUS_SUCCESS, "clean unload")
            Child.check(callbackEvents == ["destroy \(raw(memory))"], "destroyed once, later: \(callbackEvents)")
            let usage = poolTagInfo(tag("DfPg"))
            Child.check(usage.map { $0.PagedAllocs == $0.PagedFrees && $0.PagedUsed == 0 } ?? false, "every paged block back")
            Child.finish()
        }
        reportChild(result)
    }

    @Test func lastReleaseOfPagedPoolMemoryAtDispatchIsDeferred() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let loaded = loadDriver("Defer2") else { Child.check(false, "load"); Child.finish() }
            var memory: WDFMEMORY?
            Child.check(WdfMemoryCreate(nil, PagedPool, tag("DfPp"), 100, &memory, nil) == STATUS_SUCCESS, "memory")
            reference(memory)
            WdfObjectDelete(memory)
            var old: KIRQL = 0
            KeRaiseIrql(KIRQL(DISPATCH_LEVEL), &old)
            dereference(memory)  // stopped with 0xC2/9 before
            KeLowerIrql(old)
            Child.check(WdfHostUnloadDriver(loaded.object) == STATUS_SUCCESS, "clean unload")
            let usage = poolTagInfo(tag("DfPp"))
            Child.check(usage.map { $0.PagedAllocs == 1 && $0.PagedFrees == 1 } ?? false, "the paged block was freed")
            Child.finish()
        }
        reportChild(result)
    }

    @Test func nonPagedParentWithPagedChildrenDeletedAtDispatch() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            guard let loaded = loadDriver("Defer3") else { Child.check(false, "load"); Child.finish() }
            var parentAttributes = attributes()
            parentAttributes.EvtCleanupCallback = recordCleanup
            var parent: WDFOBJECT?
            Child.check(WdfObjectCreate(&parentAttributes, &parent) == STATUS_SUCCESS, "parent")
            var middleAttributes = attributes(parent: parent)
            middleAttributes.EvtCleanupCallback = recordCleanup
            var middle: WDFMEMORY?
            Child.check(WdfMemoryCreate(&middleAttributes, NonPagedPool, tag("DfNp"), 32, &middle, nil) == STATUS_SUCCESS, "middle")
            var childAttributes = attributes(parent: UnsafeMutableRawPointer(middle))
            childAttributes.EvtCleanupCallback = recordCleanup
            var child: WDFMEMORY?
            Child.check(WdfMemoryCreate(&childAttributes, PagedPool, tag("DfPc"), 64, &child, nil) == STATUS_SUCCESS, "paged child")
            var pagedList: WDFLOOKASIDE?
            var listAttributes = attributes(parent: parent)
            listAttributes.EvtCleanupCallback = recordCleanup
            Child.check(WdfLookasideListCreate(&listAttributes, 64, PagedPool, nil, tag("DfPl"), &pagedList) == STATUS_SUCCESS, "list")
            var old: KIRQL = 0
            KeRaiseIrql(KIRQL(DISPATCH_LEVEL), &old)
            WdfObjectDelete(parent)  // paged grandchild and child: stopped with 0xC2 before
            KeLowerIrql(old)
            Child.check(WdfHostUnloadDriver(loaded.object) == STATUS_SUCCESS, "clean unload")
            let expected = ["cleanup \(raw(child))", "cleanup \(raw(middle))", "cleanup \(raw(pagedList))", "cleanup \(raw(parent))"]
            Child.check(callbackEvents == expected, "children first, once each: \(callbackEvents)")
            for name in ["DfPc", "DfPl"] {
                let usage = poolTagInfo(tag(name))
                Child.check(usage.map { $0.PagedAllocs == $0.PagedFrees && $0.PagedUsed == 0 } ?? true, "\(name) all freed")
            }
            Child.finish()
        }
        reportChild(result)
    }

    // MARK: 5. VerifierAllocateFailCount

    @Test func allocateFailCountCountsEveryFrameworkAllocation() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            // Two allocations succeed: a generic object and a lookaside list. Everything after
            // fails cleanly, except memory from the list (not a framework allocation).
            deviceAddRoutine = { _, deviceInit in
                var deviceInit = deviceInit
                var device: WDFDEVICE?
                var deviceAttributes = attributes()
                deviceAttributes.EvtCleanupCallback = recordCleanup
                return WdfDeviceCreate(&deviceInit, &deviceAttributes, &device)
            }
            guard let loaded = loadDriver("FailCount", parameters: [("VerifierAllocateFailCount", 2)]) else {
                Child.check(false, "load"); Child.finish()
            }
            var object: WDFOBJECT?
            Child.check(WdfObjectCreate(nil, &object) == STATUS_SUCCESS, "1st allocation")
            var list: WDFLOOKASIDE?
            Child.check(WdfLookasideListCreate(nil, 64, NonPagedPool, nil, tag("FcLk"), &list) == STATUS_SUCCESS, "2nd allocation")

            var withCallbacks = attributes()
            withCallbacks.EvtCleanupCallback = recordCleanup
            withCallbacks.EvtDestroyCallback = recordDestroy
            var failed: WDFOBJECT? = UnsafeMutableRawPointer(bitPattern: 0x1000)
            Child.check(WdfObjectCreate(&withCallbacks, &failed) == STATUS_INSUFFICIENT_RESOURCES && failed == nil, "WdfObjectCreate")
            failed = UnsafeMutableRawPointer(bitPattern: 0x1000)
            Child.check(WdfObjectCreate(nil, &failed) == STATUS_INSUFFICIENT_RESOURCES && failed == nil, "WdfObjectCreate, no attributes")
            var withContext = withCallbacks
            withContext.ContextTypeInfo = UnsafePointer(makeContextType(name: "FC", size: 16))
            failed = UnsafeMutableRawPointer(bitPattern: 0x1000)
            Child.check(WdfObjectCreate(&withContext, &failed) == STATUS_INSUFFICIENT_RESOURCES && failed == nil, "WdfObjectCreate, context")
            var context: PVOID? = UnsafeMutableRawPointer(bitPattern: 0x1000)
            Child.check(
                WdfObjectAllocateContext(object, &withContext, &context) == STATUS_INSUFFICIENT_RESOURCES && context == nil,
                "WdfObjectAllocateContext")
            var request: WDFREQUEST? = poison
            Child.check(WdfRequestCreate(&withCallbacks, nil, &request) == STATUS_INSUFFICIENT_RESOURCES && request == nil, "WdfRequestCreate")
            var storage = [UInt8](repeating: 0, count: 32)
            var preallocated: WDFMEMORY? = poison
            Child.check(
                WdfMemoryCreatePreallocated(&withCallbacks, &storage, 32, &preallocated) == STATUS_INSUFFICIENT_RESOURCES
                    && preallocated == nil, "WdfMemoryCreatePreallocated")
            var memory: WDFMEMORY? = poison
            Child.check(
                WdfMemoryCreate(&withCallbacks, NonPagedPool, tag("FcMm"), 32, &memory, nil) == STATUS_INSUFFICIENT_RESOURCES
                    && memory == nil, "WdfMemoryCreate")
            var secondList: WDFLOOKASIDE? = poison
            Child.check(
                WdfLookasideListCreate(nil, 64, NonPagedPool, nil, tag("FcLk"), &secondList) == STATUS_INSUFFICIENT_RESOURCES
                    && secondList == nil, "WdfLookasideListCreate")
            var device: WDFDEVICE? = poison
            Child.check(WdfHostAddDevice(loaded.object, &device) == STATUS_INSUFFICIENT_RESOURCES && device == nil, "WdfDeviceCreate")
            // Memory from a list is not a framework allocation.
            var fromList: WDFMEMORY?
            Child.check(WdfMemoryCreateFromLookaside(list, &fromList) == STATUS_SUCCESS, "WdfMemoryCreateFromLookaside still works")
            WdfObjectDelete(fromList)
            Child.check(callbackEvents.isEmpty, "no callback of an object never created: \(callbackEvents)")
            Child.check(poolTagInfo(tag("FcMm")).map { $0.NonPagedAllocs == 0 } ?? true, "no buffer allocated for a failed memory")
            Child.check(WdfHostUnloadDriver(loaded.object) == STATUS_SUCCESS, "clean unload")
            Child.finish()
        }
        reportChild(result)
    }
}
