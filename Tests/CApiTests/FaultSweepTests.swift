// The fault-injection sweep: one workload of creations (every creation routine, with and without
// callbacks, contexts and parents), run under VerifierAllocateFailCount = 0, 1, 2, ... up to one
// past its last framework allocation. Every run: each failure is STATUS_INSUFFICIENT_RESOURCES
// with the out-handle NULL; exactly the first N counted allocations succeed; every object that
// was created runs its cleanup and destroy callbacks once, and no object that failed runs any;
// the unload is clean (STATUS_SUCCESS, with pool tracking on too) and every tag is back to zero.
import Testing
import CWdf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Per handle: how many cleanup and destroy callbacks ran (a sweep run's child process).
nonisolated(unsafe) var sweepCleanups: [UInt: Int] = [:]
nonisolated(unsafe) var sweepDestroys: [UInt: Int] = [:]
let sweepCleanup: PFN_WDF_OBJECT_CONTEXT_CLEANUP = { sweepCleanups[raw($0), default: 0] += 1 }
let sweepDestroy: PFN_WDF_OBJECT_CONTEXT_DESTROY = { sweepDestroys[raw($0), default: 0] += 1 }

enum FaultSweep {
    struct Run {
        /// Counted allocations attempted, and how many succeeded.
        var counted = 0
        var succeeded = 0
        /// Handles created with callbacks (each must see one cleanup and one destroy).
        var watched: [UInt] = []
        var failures = 0
    }

    static let memoryTag = tag("SwMm")
    static let listTag = tag("SwLk")
    nonisolated(unsafe) static let contextType = makeContextType(name: "SWEEP", size: 32)

    static func callbackAttributes(parent: WDFOBJECT?, context: Bool = false) -> WDF_OBJECT_ATTRIBUTES {
        var value = attributes(parent: parent)
        value.EvtCleanupCallback = sweepCleanup
        value.EvtDestroyCallback = sweepDestroy
        if context { value.ContextTypeInfo = UnsafePointer(contextType) }
        return value
    }

    /// One counted creation: its status must be success or a clean failure.
    static func record(_ run: inout Run, _ what: String, _ status: NTSTATUS, handle: UInt, watched: Bool) -> Bool {
        run.counted += 1
        if status == STATUS_SUCCESS {
            Child.check(handle != 0, "\(what): success without a handle")
            run.succeeded += 1
            if watched { run.watched.append(handle) }
            return true
        }
        run.failures += 1
        Child.check(status == STATUS_INSUFFICIENT_RESOURCES, "\(what): status 0x\(String(UInt32(bitPattern: status), radix: 16))")
        Child.check(handle == 0, "\(what): failed but the out-handle is not NULL")
        return false
    }

    /// The workload. Returns what it saw; the driver is loaded with the fail count already.
    static func workload(_ loaded: LoadedTestDriver) -> Run {
        var run = Run()
        var root: WDFOBJECT?
        var value = callbackAttributes(parent: nil)
        let haveRoot = record(&run, "WdfObjectCreate root", WdfObjectCreate(&value, &root), handle: raw(root), watched: true)
        let parent = haveRoot ? root : nil
        var plain: WDFOBJECT?
        _ = record(&run, "WdfObjectCreate plain", WdfObjectCreate(nil, &plain), handle: raw(plain), watched: false)
        var withContext: WDFOBJECT?
        value = callbackAttributes(parent: parent, context: true)
        _ = record(&run, "WdfObjectCreate context", WdfObjectCreate(&value, &withContext), handle: raw(withContext), watched: true)
        if let plain {
            var context: PVOID?
            var contextAttributes = attributes()
            contextAttributes.ContextTypeInfo = UnsafePointer(contextType)
            contextAttributes.EvtCleanupCallback = sweepCleanup
            contextAttributes.EvtDestroyCallback = sweepDestroy
            let status = WdfObjectAllocateContext(plain, &contextAttributes, &context)
            if record(&run, "WdfObjectAllocateContext", status, handle: raw(context), watched: false) {
                run.watched.append(raw(plain))
            }
        }
        var request: WDFREQUEST?
        value = callbackAttributes(parent: parent)
        _ = record(&run, "WdfRequestCreate", WdfRequestCreate(&value, nil, &request), handle: raw(request), watched: true)
        var memory: WDFMEMORY?
        var buffer: PVOID?
        value = callbackAttributes(parent: request.map { UnsafeMutableRawPointer($0) } ?? parent, context: true)
        _ = record(&run, "WdfMemoryCreate", WdfMemoryCreate(&value, NonPagedPool, memoryTag, 300, &memory, &buffer), handle: raw(memory), watched: true)
        var plainMemory: WDFMEMORY?
        _ = record(&run, "WdfMemoryCreate plain", WdfMemoryCreate(nil, PagedPool, memoryTag, 5000, &plainMemory, nil), handle: raw(plainMemory), watched: false)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        var preallocated: WDFMEMORY?
        value = callbackAttributes(parent: parent)
        _ = record(&run, "WdfMemoryCreatePreallocated", WdfMemoryCreatePreallocated(&value, storage, 64, &preallocated), handle: raw(preallocated), watched: true)
        var list: WDFLOOKASIDE?
        var listAttributes = callbackAttributes(parent: parent)
        var memoryAttributes = callbackAttributes(parent: parent)
        _ = record(&run, "WdfLookasideListCreate", WdfLookasideListCreate(&listAttributes, 200, NonPagedPool, &memoryAttributes, listTag, &list), handle: raw(list), watched: true)
        if let list {
            // Not framework allocations: these succeed whatever the count.
            for _ in 0..<3 {
                var fromList: WDFMEMORY?
                let status = WdfMemoryCreateFromLookaside(list, &fromList)
                Child.check(status == STATUS_SUCCESS, "WdfMemoryCreateFromLookaside: 0x\(String(UInt32(bitPattern: status), radix: 16))")
                if status == STATUS_SUCCESS { run.watched.append(raw(fromList)) }
            }
        }
        var device: WDFDEVICE?
        let deviceStatus = WdfHostAddDevice(loaded.object, &device)
        _ = record(&run, "WdfDeviceCreate", deviceStatus, handle: raw(device), watched: true)
        if let memory, !haveRoot {
            WdfObjectDelete(memory)  // some deletes before the unload, too
        }
        storage.deallocate()  // the object over it is gone at unload; nothing reads it after
        return run
    }

    static func sweep(verifierOn: Bool) {
        deviceAddRoutine = { _, deviceInit in
            var deviceInit = deviceInit
            var device: WDFDEVICE?
            var value = FaultSweep.callbackAttributes(parent: nil)
            return WdfDeviceCreate(&deviceInit, &value, &device)
        }
        var limit: ULONG = 0
        var total = -1
        while true {
            sweepCleanups = [:]
            sweepDestroys = [:]
            guard let loaded = loadDriver(
                "Sweep\(verifierOn ? "V" : "P")\(limit)", parameters: [("VerifierAllocateFailCount", limit), ("VerifierOn", verifierOn ? 1 : 0)])
            else {
                Child.check(false, "load with fail count \(limit)")
                return
            }
            let run = workload(loaded)
            let unload = WdfHostUnloadDriver(loaded.object)
            Child.check(unload == STATUS_SUCCESS, "fail count \(limit): unload 0x\(String(UInt32(bitPattern: unload), radix: 16))")
            Child.check(run.succeeded == min(Int(limit), run.counted), "fail count \(limit): \(run.succeeded) of \(run.counted) succeeded")
            for handle in run.watched {
                Child.check(sweepCleanups[handle] == 1 && sweepDestroys[handle] == 1,
                    "fail count \(limit): 0x\(String(handle, radix: 16)) ran cleanup \(sweepCleanups[handle] ?? 0)x, destroy \(sweepDestroys[handle] ?? 0)x")
            }
            let extra = Set(sweepCleanups.keys).union(sweepDestroys.keys).subtracting(run.watched)
            Child.check(extra.isEmpty, "fail count \(limit): callbacks of objects never created: \(extra)")
            for tagValue in [memoryTag, listTag] {
                if let usage = poolTagInfo(tagValue) {
                    Child.check(usage.PagedAllocs == usage.PagedFrees && usage.NonPagedAllocs == usage.NonPagedFrees
                        && usage.PagedUsed == 0 && usage.NonPagedUsed == 0, "fail count \(limit): tag blocks left after unload")
                }
            }
            if total < 0 { total = run.counted }
            if run.failures == 0 {
                Child.check(Int(limit) >= run.counted, "fail count \(limit): no failure below the allocation count \(run.counted)")
                writeError("SWEEP verifier=\(verifierOn) fail counts 0...\(limit): \(run.counted) framework allocations per run, \(limit + 1) runs")
                return
            }
            limit += 1
            if limit > 100 {
                Child.check(false, "the sweep never ran out of failures")
                return
            }
        }
    }
}

@Suite("Fault-injection sweep (C API)")
struct FaultSweepTests {
    @Test(arguments: [false, true])
    func everyFailCountFailsCleanly(verifierOn: Bool) async {
        let result: ExitTest.Result?
        if verifierOn {
            result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
                FaultSweep.sweep(verifierOn: true)
                Child.finish()
            }
        } else {
            result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
                FaultSweep.sweep(verifierOn: false)
                Child.finish()
            }
        }
        reportChild(result)
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("SWEEP") { print(line) }
    }
}
