/*
 * wdm_sync.h - executive spin locks with IRQL semantics. Included at the end of wdm.h; not meant
 * to be included on its own.
 *
 * A KSPIN_LOCK really excludes other threads. Acquiring one raises the thread's IRQL to
 * DISPATCH_LEVEL (the AtDpcLevel forms require it already), so what may not run at DISPATCH_LEVEL
 * while a lock is held (paged pool, for one) stops with the IRQL rules' bug check. A thread that
 * acquires a lock it holds stops with DRIVER_VERIFIER_DETECTED_VIOLATION 0xC4/0x1000 (on Windows
 * it would spin forever); releasing a lock the thread does not hold stops with
 * SPIN_LOCK_NOT_OWNED (0x10).
 */
#ifndef _WDM_SYNC_H_
#define _WDM_SYNC_H_

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Time, processors, the current thread and process, critical regions.
 *
 * Clocks: system time is the host's wall clock as 100-ns intervals since 1601-01-01 UTC;
 * interrupt time is the host's monotonic clock in 100-ns units; the performance counter counts
 * that clock at 10 MHz (the frequency it reports); the tick count is interrupt time divided by
 * KeQueryTimeIncrement() (156250, a 15.625 ms tick), so TickCount * KeQueryTimeIncrement() is
 * within one increment below KeQueryInterruptTime(). All at any IRQL.
 *
 * Identity: process ids name the emulated process the thread runs in (WdfHostSetCurrentProcess):
 * System is 4, the others 8, 12, ...; thread ids are the Linux thread id times 4. PEPROCESS,
 * PETHREAD and PKTHREAD are opaque addresses, stable for the life of the process or thread,
 * never to be dereferenced; PsGetCurrentThread and KeGetCurrentThread return the same one.
 *
 * Critical regions are a per-thread count (there are no APCs to hold off here); KeAreApcsDisabled
 * is TRUE inside one. Enter and leave at IRQL <= APC_LEVEL (above: IRQL_NOT_LESS_OR_EQUAL); a
 * leave without an enter stops with APC_INDEX_MISMATCH (0x01), Windows' stop for unbalanced
 * APC disabling, parameter 3 the thread's count (0).
 * ============================================================================================ */

typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KPROCESS *PKPROCESS, *PRKPROCESS;
typedef struct _EPROCESS *PEPROCESS;

#define APC_INDEX_MISMATCH ((ULONG)0x00000001)

/* The current system time (100-ns units since 1601-01-01 UTC). */
NTKERNELAPI VOID NTAPI KeQuerySystemTime(_Out_ PLARGE_INTEGER CurrentTime);
/* The same clock, read directly (KeQuerySystemTime is as precise here). */
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(_Out_ PLARGE_INTEGER CurrentTime);
/* 100-ns units since an arbitrary start (the host's monotonic clock); never goes back. */
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
/* The performance counter; its frequency (10,000,000 per second) in *PerformanceFrequency when
   that is not NULL. */
NTKERNELAPI LARGE_INTEGER NTAPI KeQueryPerformanceCounter(_Out_opt_ PLARGE_INTEGER PerformanceFrequency);
/* Clock ticks since the start of interrupt time. */
NTKERNELAPI VOID NTAPI KeQueryTickCount(_Out_ PLARGE_INTEGER CurrentCount);
/* 100-ns units per clock tick: 156250. */
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
/* Busy-waits (does not give up the processor) for MicroSeconds. */
NTKERNELAPI VOID NTAPI KeStallExecutionProcessor(_In_ ULONG MicroSeconds);

/* The host's online processors; their mask (the first 64) in *ActiveProcessors when not NULL. */
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCount(_Out_opt_ PKAFFINITY ActiveProcessors);
/* The processor the thread runs on at this moment (below KeQueryActiveProcessorCount). */
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumber(VOID);

NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
NTKERNELAPI PEPROCESS NTAPI PsGetCurrentProcess(VOID);
NTKERNELAPI PEPROCESS NTAPI IoGetCurrentProcess(VOID);
NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
NTKERNELAPI PKTHREAD NTAPI KeGetCurrentThread(VOID);

_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
/* TRUE when the thread is inside a critical region. */
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);

typedef ULONG_PTR KSPIN_LOCK;
typedef KSPIN_LOCK *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
    struct _KSPIN_LOCK_QUEUE *volatile Next;
    PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

/* The caller's stack storage for an in-stack queued spin lock. */
typedef struct _KLOCK_QUEUE_HANDLE {
    KSPIN_LOCK_QUEUE LockQueue;
    KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

FORCEINLINE VOID KeInitializeSpinLock(_Out_ PKSPIN_LOCK SpinLock) { *SpinLock = 0; }

/* Raises to DISPATCH_LEVEL, takes the lock, returns the previous IRQL. */
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL)
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(_Inout_ PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))

/* Releases the lock and lowers the IRQL to NewIrql. */
_IRQL_requires_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeReleaseSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _In_ KIRQL NewIrql);

/* At DISPATCH_LEVEL already (below it: IRQL_NOT_GREATER_OR_EQUAL). */
_IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeReleaseSpinLockFromDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_IRQL_requires_min_(DISPATCH_LEVEL) _Must_inspect_result_
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
/* TRUE when the lock is free at this moment. */
NTKERNELAPI BOOLEAN FASTCALL KeTestSpinLock(_In_ PKSPIN_LOCK SpinLock);

/* In-stack queued forms: the handle keeps the lock and the previous IRQL. */
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLock(_In_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock, _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(_In_ PKLOCK_QUEUE_HANDLE LockHandle);

/* ============================================================================================
 * Events and waits. A KEVENT's signal state is a word that waiting threads sleep on; a wait
 * with no or a non-zero timeout is allowed at IRQL <= APC_LEVEL, a zero-timeout poll at
 * <= DISPATCH_LEVEL (above: IRQL_NOT_LESS_OR_EQUAL). KeWaitForSingleObject waits on events and on
 * the mutexes and semaphores below; another object is an access violation (0x1E).
 * ============================================================================================ */

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;

typedef enum _KWAIT_REASON {
    Executive, FreePage, PageIn, PoolAllocation, DelayExecution, Suspended, UserRequest,
    WrExecutive, WrFreePage, WrPageIn, WrPoolAllocation, WrDelayExecution, WrSuspended,
    WrUserRequest, MaximumWaitReason = 40
} KWAIT_REASON;

typedef struct _DISPATCHER_HEADER {
    UCHAR Type;
    UCHAR Signalling;
    UCHAR Size;
    UCHAR Reserved1;
    LONG SignalState;
    LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef LONG KPRIORITY_INCREMENT;
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeInitializeEvent(_Out_ PRKEVENT Event, _In_ EVENT_TYPE Type, _In_ BOOLEAN State);
/* Signals the event (waking its waiters); returns the previous state. Wait TRUE is accepted. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeSetEvent(_Inout_ PRKEVENT Event, _In_ KPRIORITY Increment, _In_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeClearEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeResetEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReadStateEvent(_In_ PRKEVENT Event);

/* STATUS_SUCCESS when the event was signaled, STATUS_TIMEOUT when Timeout (100-ns units,
   negative = relative, positive = absolute system time) passed first; NULL waits forever. */
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI NTSTATUS NTAPI KeWaitForSingleObject(_In_ PVOID Object, _In_ KWAIT_REASON WaitReason,
                                                 _In_ KPROCESSOR_MODE WaitMode, _In_ BOOLEAN Alertable,
                                                 _In_opt_ PLARGE_INTEGER Timeout);
/* Sleeps for Interval (100-ns units, negative = relative); STATUS_SUCCESS. */
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(_In_ KPROCESSOR_MODE WaitMode, _In_ BOOLEAN Alertable,
                                                  _In_ PLARGE_INTEGER Interval);

/* ============================================================================================
 * Kernel mutexes and semaphores: dispatcher objects KeWaitForSingleObject (KeWaitForMutexObject)
 * waits on, with its timeouts. A KMUTEX may be acquired again by its owner (each acquire needs
 * a KeReleaseMutex); holding one disables normal kernel APCs as on Windows (KeAreApcsDisabled is
 * TRUE). KeReleaseMutex by a thread that does not own it raises STATUS_MUTANT_NOT_OWNED, as
 * Windows does (nothing catches it here: KMODE_EXCEPTION_NOT_HANDLED, p1 0xC0000046).
 * KeReleaseSemaphore taking the count past Limit (or with a negative Adjustment) raises
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED (0xC0000047) the same way, and leaves the count as it was.
 * ============================================================================================ */

typedef struct _KMUTANT {
    DISPATCHER_HEADER Header;
    LIST_ENTRY MutantListEntry;
    PKTHREAD OwnerThread;
    UCHAR MutantFlags;
    BOOLEAN Abandoned;
    UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

typedef struct _KSEMAPHORE {
    DISPATCHER_HEADER Header;
    LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

/* Free (signaled). Level is ignored, as on current Windows. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeInitializeMutex(_Out_ PRKMUTEX Mutex, _In_ ULONG Level);
/* Releases one acquire; returns the previous state (1 - the times it was held). */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReleaseMutex(_Inout_ PRKMUTEX Mutex, _In_ BOOLEAN Wait);
/* 1 when free, 0 or less when held. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReadStateMutex(_In_ PRKMUTEX Mutex);
#define KeWaitForMutexObject KeWaitForSingleObject

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeInitializeSemaphore(_Out_ PRKSEMAPHORE Semaphore, _In_ LONG Count, _In_ LONG Limit);
/* Adds Adjustment to the count, waking that many waiters; returns the previous count. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReleaseSemaphore(_Inout_ PRKSEMAPHORE Semaphore, _In_ KPRIORITY Increment,
                                          _In_ LONG Adjustment, _In_ _Literal_ BOOLEAN Wait);
/* The current count. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReadStateSemaphore(_In_ PRKSEMAPHORE Semaphore);

/* ============================================================================================
 * Fast mutexes: acquiring raises to APC_LEVEL (callers above it stop with
 * IRQL_NOT_LESS_OR_EQUAL), contended threads sleep; re-acquiring one the thread holds stops with
 * 0xC4/0x1000, releasing one it does not hold with 0xC4/0x1002.
 * ============================================================================================ */

typedef struct _FAST_MUTEX {
    LONG Count;
    PVOID Owner;
    ULONG Contention;
    KEVENT Event;
    ULONG OldIrql;
} FAST_MUTEX, *PFAST_MUTEX, KGUARDED_MUTEX, *PKGUARDED_MUTEX;

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI ExInitializeFastMutex(_Out_ PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) _IRQL_raises_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExAcquireFastMutex(_Inout_ PFAST_MUTEX FastMutex);
_IRQL_requires_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleaseFastMutex(_Inout_ PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTKERNELAPI BOOLEAN FASTCALL ExTryToAcquireFastMutex(_Inout_ PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExAcquireFastMutexUnsafe(_Inout_ PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleaseFastMutexUnsafe(_Inout_ PFAST_MUTEX FastMutex);

/* ============================================================================================
 * Executive resources (ERESOURCE): reader/writer locks a thread may own recursively. The
 * exclusive owner may acquire again, shared or exclusive; a shared owner may acquire shared
 * again. ExAcquireResourceSharedLite admits a new shared owner only while no thread waits for
 * exclusive access; ExAcquireSharedStarveExclusive whenever no thread owns it exclusively;
 * ExAcquireSharedWaitForExclusive also queues an existing shared owner behind exclusive waiters.
 * Wait FALSE returns FALSE instead of sleeping. Acquire at IRQL <= APC_LEVEL (the WDK asks for a
 * critical region too: KeEnterCriticalRegion, or the ExEnterCriticalRegionAndAcquire forms);
 * release and query at <= DISPATCH_LEVEL; above: IRQL_NOT_LESS_OR_EQUAL.
 * Stops: releasing a resource the thread does not own: RESOURCE_NOT_OWNED (0xE3; p1 the
 * resource, p2 the thread, p3 the owner table). A shared owner waiting for exclusive access
 * (it would wait on itself forever): 0xC4/0x1000, self-deadlock. Deleting or reinitializing a
 * resource that is owned: 0xC4/0x2000 (this library's code; p2 the resource, p3 the exclusive
 * owner, p4 the number of shared owners). The owner table lives outside the structure: call
 * ExDeleteResourceLite before the memory goes.
 * ============================================================================================ */

typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;

typedef struct _OWNER_ENTRY {
    ERESOURCE_THREAD OwnerThread;
    union {
        struct {
            ULONG IoPriorityBoosted : 1;
            ULONG OwnerReferenced : 1;
            ULONG IoQoSPriorityBoosted : 1;
            ULONG OwnerCount : 29;
        } Counts;
        ULONG TableSize;
    } Owner;
} OWNER_ENTRY, *POWNER_ENTRY;

/* The WDK's layout (104 bytes on 64-bit); drivers embed it and never touch its fields. */
typedef struct _ERESOURCE {
    LIST_ENTRY SystemResourcesList;
    POWNER_ENTRY OwnerTable;
    SHORT ActiveCount;
    USHORT Flag;
    PVOID SharedWaiters;
    PVOID ExclusiveWaiters;
    OWNER_ENTRY OwnerEntry;
    ULONG ActiveEntries;
    ULONG ContentionCount;
    ULONG NumberOfSharedWaiters;
    ULONG NumberOfExclusiveWaiters;
#if defined(_WIN64) || defined(__LP64__)
    PVOID Reserved2;
#endif
    PVOID Address;
    KSPIN_LOCK SpinLock;
} ERESOURCE, *PERESOURCE;

#define RESOURCE_NOT_OWNED ((ULONG)0x000000E3)

/* The caller's identity as an owner: the thread object's address. */
#define ExGetCurrentResourceThread() ((ERESOURCE_THREAD)PsGetCurrentThread())

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(_Out_ PERESOURCE Resource);
/* Back to unowned; STATUS_SUCCESS. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI NTSTATUS NTAPI ExReinitializeResourceLite(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(_Inout_ PERESOURCE Resource);

/* TRUE when granted; FALSE only when Wait is FALSE and it could not be granted at once. */
_IRQL_requires_max_(APC_LEVEL) _When_(Wait == 0, _Must_inspect_result_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(_Inout_ PERESOURCE Resource, _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _When_(Wait == 0, _Must_inspect_result_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(_Inout_ PERESOURCE Resource, _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _When_(Wait == 0, _Must_inspect_result_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedStarveExclusive(_Inout_ PERESOURCE Resource, _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _When_(Wait == 0, _Must_inspect_result_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(_Inout_ PERESOURCE Resource, _In_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTKERNELAPI BOOLEAN NTAPI ExTryToAcquireResourceExclusiveLite(_Inout_ PERESOURCE Resource);

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(_Inout_ PERESOURCE Resource);
/* Releases one acquisition owned by ResourceThreadId (an ExGetCurrentResourceThread value). */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI ExReleaseResourceForThreadLite(_Inout_ PERESOURCE Resource, _In_ ERESOURCE_THREAD ResourceThreadId);

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(_In_ PERESOURCE Resource);
/* How many times the caller owns the resource (shared, or exclusive with what it added on top);
   0 when it does not. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(_In_ PERESOURCE Resource);
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(_In_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(_In_ PERESOURCE Resource);

/* KeEnterCriticalRegion, then acquire (waiting); they return NULL (the thread's Win32Thread on
   Windows: there are no GUI threads here). */
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(_Inout_ PERESOURCE Resource);
/* ExReleaseResourceLite, then KeLeaveCriticalRegion. */
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(_Inout_ PERESOURCE Resource);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDM_SYNC_H_ */
