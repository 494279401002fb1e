// C exports: executive resources (NtKernel's ExecutiveResource). Each converts its arguments and
// calls the Swift layer.
public import CWdf
import NtKernel

@inline(__always)
private func raw(_ resource: PERESOURCE!, _ routine: StaticString) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(required(resource, routine))
}

@c @implementation
public func ExInitializeResourceLite(_ Resource: PERESOURCE!) -> NTSTATUS {
    ExecutiveResource.initialize(raw(Resource, "ExInitializeResourceLite"))
    return STATUS_SUCCESS
}

@c @implementation
public func ExReinitializeResourceLite(_ Resource: PERESOURCE!) -> NTSTATUS {
    ExecutiveResource.reinitialize(raw(Resource, "ExReinitializeResourceLite"))
    return STATUS_SUCCESS
}

@c @implementation
public func ExDeleteResourceLite(_ Resource: PERESOURCE!) -> NTSTATUS {
    ExecutiveResource.delete(raw(Resource, "ExDeleteResourceLite"))
    return STATUS_SUCCESS
}

@c @implementation
public func ExAcquireResourceExclusiveLite(_ Resource: PERESOURCE!, _ Wait: BOOLEAN) -> BOOLEAN {
    ExecutiveResource.acquireExclusive(
        raw(Resource, "ExAcquireResourceExclusiveLite"), wait: Wait != 0, routine: "ExAcquireResourceExclusiveLite") ? 1 : 0
}

@c @implementation
public func ExTryToAcquireResourceExclusiveLite(_ Resource: PERESOURCE!) -> BOOLEAN {
    ExecutiveResource.acquireExclusive(
        raw(Resource, "ExTryToAcquireResourceExclusiveLite"), wait: false, routine: "ExTryToAcquireResourceExclusiveLite") ? 1 : 0
}

@c @implementation
public func ExAcquireResourceSharedLite(_ Resource: PERESOURCE!, _ Wait: BOOLEAN) -> BOOLEAN {
    ExecutiveResource.acquireShared(
        raw(Resource, "ExAcquireResourceSharedLite"), wait: Wait != 0, policy: .normal, routine: "ExAcquireResourceSharedLite") ? 1 : 0
}

@c @implementation
public func ExAcquireSharedStarveExclusive(_ Resource: PERESOURCE!, _ Wait: BOOLEAN) -> BOOLEAN {
    ExecutiveResource.acquireShared(
        raw(Resource, "ExAcquireSharedStarveExclusive"), wait: Wait != 0, policy: .starveExclusive,
        routine: "ExAcquireSharedStarveExclusive") ? 1 : 0
}

@c @implementation
public func ExAcquireSharedWaitForExclusive(_ Resource: PERESOURCE!, _ Wait: BOOLEAN) -> BOOLEAN {
    ExecutiveResource.acquireShared(
        raw(Resource, "ExAcquireSharedWaitForExclusive"), wait: Wait != 0, policy: .waitForExclusive,
        routine: "ExAcquireSharedWaitForExclusive") ? 1 : 0
}

@c @implementation
public func ExReleaseResourceLite(_ Resource: PERESOURCE!) {
    ExecutiveResource.release(raw(Resource, "ExReleaseResourceLite"), routine: "ExReleaseResourceLite")
}

@c @implementation
public func ExReleaseResourceForThreadLite(_ Resource: PERESOURCE!, _ ResourceThreadId: ERESOURCE_THREAD) {
    ExecutiveResource.release(
        raw(Resource, "ExReleaseResourceForThreadLite"), thread: ResourceThreadId, routine: "ExReleaseResourceForThreadLite")
}

@c @implementation
public func ExIsResourceAcquiredExclusiveLite(_ Resource: PERESOURCE!) -> BOOLEAN {
    ExecutiveResource.isAcquiredExclusive(
        raw(Resource, "ExIsResourceAcquiredExclusiveLite"), routine: "ExIsResourceAcquiredExclusiveLite") ? 1 : 0
}

@c @implementation
public func ExIsResourceAcquiredSharedLite(_ Resource: PERESOURCE!) -> ULONG {
    ExecutiveResource.acquiredCount(raw(Resource, "ExIsResourceAcquiredSharedLite"), routine: "ExIsResourceAcquiredSharedLite")
}

@c @implementation
public func ExGetExclusiveWaiterCount(_ Resource: PERESOURCE!) -> ULONG {
    ExecutiveResource.waiterCount(raw(Resource, "ExGetExclusiveWaiterCount"), exclusive: true, routine: "ExGetExclusiveWaiterCount")
}

@c @implementation
public func ExGetSharedWaiterCount(_ Resource: PERESOURCE!) -> ULONG {
    ExecutiveResource.waiterCount(raw(Resource, "ExGetSharedWaiterCount"), exclusive: false, routine: "ExGetSharedWaiterCount")
}

@c @implementation
public func ExEnterCriticalRegionAndAcquireResourceExclusive(_ Resource: PERESOURCE!) -> PVOID? {
    KernelThread.enterCriticalRegion(routine: "ExEnterCriticalRegionAndAcquireResourceExclusive")
    _ = ExecutiveResource.acquireExclusive(
        raw(Resource, "ExEnterCriticalRegionAndAcquireResourceExclusive"), wait: true,
        routine: "ExEnterCriticalRegionAndAcquireResourceExclusive")
    return nil
}

@c @implementation
public func ExEnterCriticalRegionAndAcquireResourceShared(_ Resource: PERESOURCE!) -> PVOID? {
    KernelThread.enterCriticalRegion(routine: "ExEnterCriticalRegionAndAcquireResourceShared")
    _ = ExecutiveResource.acquireShared(
        raw(Resource, "ExEnterCriticalRegionAndAcquireResourceShared"), wait: true, policy: .normal,
        routine: "ExEnterCriticalRegionAndAcquireResourceShared")
    return nil
}

@c @implementation
public func ExReleaseResourceAndLeaveCriticalRegion(_ Resource: PERESOURCE!) {
    ExecutiveResource.release(raw(Resource, "ExReleaseResourceAndLeaveCriticalRegion"), routine: "ExReleaseResourceAndLeaveCriticalRegion")
    KernelThread.leaveCriticalRegion(routine: "ExReleaseResourceAndLeaveCriticalRegion")
}
