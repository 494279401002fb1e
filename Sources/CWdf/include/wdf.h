/*
 * wdf.h - Kernel-Mode Driver Framework (KMDF) for driver code hosted in a Linux process.
 *
 * The part of KMDF that the emulated memory subsystem implements: the object model (handles,
 * WDF_OBJECT_ATTRIBUTES, context types, reference counts, delete), the driver object, device and
 * request objects as parents, memory objects and lookaside-list objects. Driver code written
 * against the WDK reference pages compiles against it unchanged with clang or gcc (C11 or C++).
 *
 * As in the WDK, WDFOBJECT is a HANDLE (`void *`) and every specific handle is a pointer to its
 * own incomplete structure type, so a specific handle converts to WDFOBJECT without a cast
 * (`attributes.ParentObject = request;`, `WdfObjectDelete(memory);`) while mixing two specific
 * handle types is diagnosed by the compiler.
 *
 * Only routines that the library implements are declared; everything else is a type, a constant,
 * a macro or a small inline helper. Layouts are those of the 64-bit WDK.
 */
#ifndef _WDF_H_
#define _WDF_H_

#include "wdm.h"

/* ============================================================================================
 * Language glue (as in the WDK's wdf.h)
 * ============================================================================================ */

#ifdef __cplusplus
#define WDF_EXTERN_C extern "C"
#define WDF_EXTERN_C_START extern "C" {
#define WDF_EXTERN_C_END }
#else
#define WDF_EXTERN_C
#define WDF_EXTERN_C_START
#define WDF_EXTERN_C_END
#endif

/* Marks framework routines in the WDK's function-table typedefs; nothing here. */
#ifndef WDFAPI
#define WDFAPI
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Handles
 * ============================================================================================ */

/* Any framework object. */
typedef HANDLE WDFOBJECT, *PWDFOBJECT;

/* Specific object types: distinct incomplete structures, never dereferenced. */
typedef struct WDFDRIVER__ *WDFDRIVER;
typedef struct WDFDEVICE__ *WDFDEVICE;
typedef struct WDFREQUEST__ *WDFREQUEST;
typedef struct WDFMEMORY__ *WDFMEMORY;
typedef struct WDFLOOKASIDE__ *WDFLOOKASIDE;
typedef struct WDFIOTARGET__ *WDFIOTARGET;
typedef struct WDFSPINLOCK__ *WDFSPINLOCK;
typedef struct WDFWAITLOCK__ *WDFWAITLOCK;

/* Device initialization data handed to EvtDriverDeviceAdd and consumed by WdfDeviceCreate. */
typedef struct WDFDEVICE_INIT *PWDFDEVICE_INIT;

/* Placeholders for optional arguments. */
#define WDF_NO_OBJECT_ATTRIBUTES NULL
#define WDF_NO_EVENT_CALLBACK NULL
#define WDF_NO_HANDLE NULL
#define WDF_NO_CONTEXT NULL

/* ============================================================================================
 * Object attributes (wdfobject.h)
 * ============================================================================================ */

/* Highest IRQL at which the framework calls the object's callbacks. */
typedef enum _WDF_EXECUTION_LEVEL {
    WdfExecutionLevelInvalid = 0,
    WdfExecutionLevelInheritFromParent,
    WdfExecutionLevelPassive,
    WdfExecutionLevelDispatch
} WDF_EXECUTION_LEVEL;

/* Concurrency of the object's callbacks. */
typedef enum _WDF_SYNCHRONIZATION_SCOPE {
    WdfSynchronizationScopeInvalid = 0,
    WdfSynchronizationScopeInheritFromParent,
    WdfSynchronizationScopeDevice,
    WdfSynchronizationScopeQueue,
    WdfSynchronizationScopeNone
} WDF_SYNCHRONIZATION_SCOPE;

/* Called when the object is deleted (children first), before its references are released. */
typedef _Function_class_(EVT_WDF_OBJECT_CONTEXT_CLEANUP) _IRQL_requires_same_
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EVT_WDF_OBJECT_CONTEXT_CLEANUP(_In_ WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_CLEANUP *PFN_WDF_OBJECT_CONTEXT_CLEANUP;

/* Called when the object's reference count reaches zero, just before its memory is freed. */
typedef _Function_class_(EVT_WDF_OBJECT_CONTEXT_DESTROY) _IRQL_requires_same_
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID EVT_WDF_OBJECT_CONTEXT_DESTROY(_In_ WDFOBJECT Object);
typedef EVT_WDF_OBJECT_CONTEXT_DESTROY *PFN_WDF_OBJECT_CONTEXT_DESTROY;

struct _WDF_OBJECT_CONTEXT_TYPE_INFO;
typedef const struct _WDF_OBJECT_CONTEXT_TYPE_INFO *PCWDF_OBJECT_CONTEXT_TYPE_INFO;

/* Supplies the unique type of a context type shared between components (not used here). */
typedef PCWDF_OBJECT_CONTEXT_TYPE_INFO (*PFN_GET_UNIQUE_CONTEXT_TYPE)(VOID);

/*
 * Describes a context type (40 bytes). WDF_DECLARE_CONTEXT_TYPE(_WITH_NAME) defines one per type.
 * The runtime identifies a context type by UniqueType when it is not NULL, otherwise by the
 * address of this structure.
 */
typedef struct _WDF_OBJECT_CONTEXT_TYPE_INFO {
    ULONG Size;                                         /* 0x00 sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO) */
    PCHAR ContextName;                                  /* 0x08 the type's name, "DEVICE_CONTEXT" */
    size_t ContextSize;                                 /* 0x10 sizeof the context type */
    PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType;          /* 0x18 the type's identity */
    PFN_GET_UNIQUE_CONTEXT_TYPE EvtDriverGetUniqueContextType; /* 0x20 NULL */
} WDF_OBJECT_CONTEXT_TYPE_INFO, *PWDF_OBJECT_CONTEXT_TYPE_INFO;

/* Attributes of a new object (56 bytes). Initialize with WDF_OBJECT_ATTRIBUTES_INIT. */
typedef struct _WDF_OBJECT_ATTRIBUTES {
    ULONG Size;                                         /* 0x00 sizeof(WDF_OBJECT_ATTRIBUTES) */
    PFN_WDF_OBJECT_CONTEXT_CLEANUP EvtCleanupCallback;  /* 0x08 */
    PFN_WDF_OBJECT_CONTEXT_DESTROY EvtDestroyCallback;  /* 0x10 */
    WDF_EXECUTION_LEVEL ExecutionLevel;                 /* 0x18 */
    WDF_SYNCHRONIZATION_SCOPE SynchronizationScope;     /* 0x1C */
    WDFOBJECT ParentObject;                             /* 0x20 NULL: the driver */
    size_t ContextSizeOverride;                         /* 0x28 0: ContextTypeInfo->ContextSize */
    PCWDF_OBJECT_CONTEXT_TYPE_INFO ContextTypeInfo;     /* 0x30 */
} WDF_OBJECT_ATTRIBUTES, *PWDF_OBJECT_ATTRIBUTES;

/* Zeroes Attributes, sets Size and both inheritable settings to "inherit from parent". */
FORCEINLINE VOID WDF_OBJECT_ATTRIBUTES_INIT(_Out_ PWDF_OBJECT_ATTRIBUTES Attributes)
{
    RtlZeroMemory(Attributes, sizeof(WDF_OBJECT_ATTRIBUTES));
    Attributes->Size = WDM_CAST(ULONG, sizeof(WDF_OBJECT_ATTRIBUTES));
    Attributes->ExecutionLevel = WdfExecutionLevelInheritFromParent;
    Attributes->SynchronizationScope = WdfSynchronizationScopeInheritFromParent;
}

/* ============================================================================================
 * Context types
 *
 *     typedef struct _DEVICE_CONTEXT { ... } DEVICE_CONTEXT, *PDEVICE_CONTEXT;
 *     WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)
 *
 * defines
 *   - typedef DEVICE_CONTEXT *WDF_POINTER_TYPE_DEVICE_CONTEXT;
 *   - the type information _WDF_DEVICE_CONTEXT_TYPE_INFO = { sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO),
 *     "DEVICE_CONTEXT", sizeof(DEVICE_CONTEXT), &_WDF_DEVICE_CONTEXT_TYPE_INFO, NULL }: a weak,
 *     hidden-visibility constant (the counterpart of the WDK's __declspec(selectany)), so the
 *     declaration may sit in a header included by several source files and every one of them
 *     sees the same address, which is the type's identity;
 *   - static inline WDF_POINTER_TYPE_DEVICE_CONTEXT GetDeviceContext(WDFOBJECT Handle).
 *
 * As in the WDK the invocation is not followed by a semicolon (it ends with a function body;
 * a stray `;` at file scope is only diagnosed by -pedantic). Two context types of the same name
 * linked into one executable or shared object must be the same type (the one-definition rule).
 * ============================================================================================ */

/* Name of the type-information constant of a context type. */
#define WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) _WDF_##_contexttype##_TYPE_INFO

/* Address of the type information of a context type. */
#define WDF_GET_CONTEXT_TYPE_INFO(_contexttype) (&WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype))

/* Pointer type declared for a context type: WDF_POINTER_TYPE_DEVICE_CONTEXT = DEVICE_CONTEXT *. */
#define WDF_TYPE_NAME_POINTER_TYPE(_contexttype) WDF_POINTER_TYPE_##_contexttype

/*
 * Linkage and name of the type-information constant. C++: a namespace-scope const has internal
 * linkage unless declared extern, and a string literal is const (const_cast). C: a definition
 * must not say extern, and the detour through ULONG_PTR keeps -Wwrite-strings -Wcast-qual quiet
 * (ContextName is PCHAR, as in the WDK). The extern declaration before the definition keeps
 * -Wmissing-variable-declarations quiet.
 */
#ifdef __cplusplus
#define WDF_CONTEXT_TYPE_INFO_DECLARATION extern "C"
#define WDF_CONTEXT_TYPE_INFO_DEFINITION extern "C"
#define WDF_CONTEXT_TYPE_NAME(_contexttype) const_cast<PCHAR>(#_contexttype)
#else
#define WDF_CONTEXT_TYPE_INFO_DECLARATION extern
#define WDF_CONTEXT_TYPE_INFO_DEFINITION
#define WDF_CONTEXT_TYPE_NAME(_contexttype) ((PCHAR)(ULONG_PTR)(#_contexttype))
#endif
#define WDF_CONTEXT_TYPE_INFO_SELECTANY __attribute__((weak, visibility("hidden")))

#define WDF_DECLARE_TYPE_AND_GLOBALS(_contexttype, _UniqueType, _GetUniqueType)             \
    typedef _contexttype *WDF_TYPE_NAME_POINTER_TYPE(_contexttype);                         \
    WDF_CONTEXT_TYPE_INFO_DECLARATION const WDF_OBJECT_CONTEXT_TYPE_INFO                    \
        WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) WDF_CONTEXT_TYPE_INFO_SELECTANY;           \
    WDF_CONTEXT_TYPE_INFO_DEFINITION const WDF_OBJECT_CONTEXT_TYPE_INFO                     \
        WDF_TYPE_NAME_TO_TYPE_INFO(_contexttype) WDF_CONTEXT_TYPE_INFO_SELECTANY = {        \
            WDM_CAST(ULONG, sizeof(WDF_OBJECT_CONTEXT_TYPE_INFO)),                          \
            WDF_CONTEXT_TYPE_NAME(_contexttype),                                            \
            sizeof(_contexttype),                                                           \
            _UniqueType,                                                                    \
            _GetUniqueType                                                                  \
        };

/* The accessor is static inline and marked unused: clang warns about unused static inline
   functions defined in a .c file, and a driver may never call it. */
#define WDF_DECLARE_CASTING_FUNCTION(_contexttype, _castingfunction)                        \
    FORCEINLINE __attribute__((unused)) WDF_TYPE_NAME_POINTER_TYPE(_contexttype)            \
    _castingfunction(_In_ WDFOBJECT Handle)                                                 \
    {                                                                                       \
        return WDM_CAST(WDF_TYPE_NAME_POINTER_TYPE(_contexttype),                           \
                        WdfObjectGetTypedContextWorker(                                     \
                            Handle, WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType));  \
    }

/* Declares a context type and its accessor `_castingfunction(WDFOBJECT Handle)`. */
#define WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, _castingfunction)                  \
    WDF_DECLARE_TYPE_AND_GLOBALS(_contexttype, WDF_GET_CONTEXT_TYPE_INFO(_contexttype), NULL) \
    WDF_DECLARE_CASTING_FUNCTION(_contexttype, _castingfunction)

/* Declares a context type and its accessor WdfObjectGet_<type>(WDFOBJECT Handle). */
#define WDF_DECLARE_CONTEXT_TYPE(_contexttype) \
    WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(_contexttype, WdfObjectGet_##_contexttype)

/* Sets the context type of an attributes structure (an expression). */
#define WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype) \
    ((_attributes)->ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(_contexttype)->UniqueType)

/* WDF_OBJECT_ATTRIBUTES_INIT followed by WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE (a statement). */
#define WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(_attributes, _contexttype) \
    do {                                                                   \
        WDF_OBJECT_ATTRIBUTES_INIT(_attributes);                           \
        WDF_OBJECT_ATTRIBUTES_SET_CONTEXT_TYPE(_attributes, _contexttype); \
    } while (0)

/* The context of the given type (the type's name, not its pointer type), or NULL. */
#define WdfObjectGetTypedContext(handle, type)          \
    (WDM_CAST(type *, WdfObjectGetTypedContextWorker(   \
        WDM_CAST(WDFOBJECT, handle),                    \
        WDF_GET_CONTEXT_TYPE_INFO(type)->UniqueType)))

/* ============================================================================================
 * Object routines
 * ============================================================================================ */

/*
 * Creates a generic framework object. Its parent is Attributes->ParentObject, or the driver.
 */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfObjectCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES Attributes,
                         _Out_ WDFOBJECT *Object);

/*
 * Deletes an object: its children first (oldest first), then its cleanup callbacks; the memory
 * goes when the last reference is released. Deleting a driver or device object is refused.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID WdfObjectDelete(_In_ WDFOBJECT Object);

/* Takes a reference on Handle; Tag, Line and File identify it when handle tracking is on. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID WdfObjectReferenceActual(_In_ WDFOBJECT Handle,
                              _In_opt_ PVOID Tag,
                              _In_ LONG Line,
                              _In_z_ PCCH File);

/* Releases a reference taken with WdfObjectReferenceActual (the same Tag). */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID WdfObjectDereferenceActual(_In_ WDFOBJECT Handle,
                                _In_opt_ PVOID Tag,
                                _In_ LONG Line,
                                _In_z_ PCCH File);

#define WdfObjectReference(Handle) WdfObjectReferenceWithTag(Handle, NULL)
#define WdfObjectReferenceWithTag(Handle, Tag) \
    WdfObjectReferenceActual(Handle, Tag, __LINE__, __FILE__)
#define WdfObjectDereference(Handle) WdfObjectDereferenceWithTag(Handle, NULL)
#define WdfObjectDereferenceWithTag(Handle, Tag) \
    WdfObjectDereferenceActual(Handle, Tag, __LINE__, __FILE__)

/*
 * The context of the type TypeInfo identifies (TypeInfo->UniqueType when not NULL, else
 * TypeInfo itself), or NULL when the object has none. Use the accessor that
 * WDF_DECLARE_CONTEXT_TYPE(_WITH_NAME) defines, or WdfObjectGetTypedContext.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
PVOID WdfObjectGetTypedContextWorker(_In_ WDFOBJECT Handle,
                                     _In_ PCWDF_OBJECT_CONTEXT_TYPE_INFO TypeInfo);

/*
 * Adds a context of ContextAttributes->ContextTypeInfo to an existing object (zero-filled).
 * STATUS_OBJECT_NAME_EXISTS (a success) when it already has one: *Context is the existing one.
 */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfObjectAllocateContext(_In_ WDFOBJECT Handle,
                                  _In_ PWDF_OBJECT_ATTRIBUTES ContextAttributes,
                                  _Outptr_opt_ PVOID *Context);

/* The object that owns a context pointer returned by the routines above. */
_IRQL_requires_max_(DISPATCH_LEVEL)
WDFOBJECT WdfObjectContextGetObject(_In_ PVOID ContextPointer);

/* ============================================================================================
 * Driver (wdfdriver.h)
 * ============================================================================================ */

/* Called by PnP (here: WdfHostAddDevice) for each device; the driver calls WdfDeviceCreate. */
typedef _Function_class_(EVT_WDF_DRIVER_DEVICE_ADD) _IRQL_requires_same_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS EVT_WDF_DRIVER_DEVICE_ADD(_In_ WDFDRIVER Driver, _Inout_ PWDFDEVICE_INIT DeviceInit);
typedef EVT_WDF_DRIVER_DEVICE_ADD *PFN_WDF_DRIVER_DEVICE_ADD;

/* Called when the driver unloads, before its objects are deleted. */
typedef _Function_class_(EVT_WDF_DRIVER_UNLOAD) _IRQL_requires_same_
_IRQL_requires_(PASSIVE_LEVEL)
VOID EVT_WDF_DRIVER_UNLOAD(_In_ WDFDRIVER Driver);
typedef EVT_WDF_DRIVER_UNLOAD *PFN_WDF_DRIVER_UNLOAD;

typedef enum _WDF_DRIVER_INIT_FLAGS {
    WdfDriverInitNonPnpDriver = 0x00000001,
    WdfDriverInitNoDispatchOverride = 0x00000002,
    WdfVerifyOn = 0x00000004,
    WdfVerifierOn = 0x00000008
} WDF_DRIVER_INIT_FLAGS;

/* Driver configuration (32 bytes). Initialize with WDF_DRIVER_CONFIG_INIT. */
typedef struct _WDF_DRIVER_CONFIG {
    ULONG Size;                                         /* 0x00 sizeof(WDF_DRIVER_CONFIG) */
    PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd;       /* 0x08 */
    PFN_WDF_DRIVER_UNLOAD EvtDriverUnload;              /* 0x10 */
    ULONG DriverInitFlags;                              /* 0x18 WDF_DRIVER_INIT_FLAGS */
    ULONG DriverPoolTag;                                /* 0x1C 0: derived from the service name */
} WDF_DRIVER_CONFIG, *PWDF_DRIVER_CONFIG;

/* Zeroes Config, sets Size and EvtDriverDeviceAdd. */
FORCEINLINE VOID WDF_DRIVER_CONFIG_INIT(_Out_ PWDF_DRIVER_CONFIG Config,
                                        _In_opt_ PFN_WDF_DRIVER_DEVICE_ADD EvtDriverDeviceAdd)
{
    RtlZeroMemory(Config, sizeof(WDF_DRIVER_CONFIG));
    Config->Size = WDM_CAST(ULONG, sizeof(WDF_DRIVER_CONFIG));
    Config->EvtDriverDeviceAdd = EvtDriverDeviceAdd;
}

/*
 * Creates the framework driver object of DriverObject (called from DriverEntry, once). Reads the
 * verifier settings of the service, sets the driver's default pool tag and keeps DriverObject
 * and RegistryPath (WdfDriverWdmGetDriverObject, WdfDriverGetRegistryPath). The WDM driver
 * object's dispatch table, DriverUnload and AddDevice are left as the driver set them: the host
 * calls EvtDriverUnload, then DriverUnload, at WdfHostUnloadDriver.
 * STATUS_INVALID_PARAMETER: an unknown DriverInitFlags bit, or WdfDriverInitNonPnpDriver with an
 * EvtDriverDeviceAdd (unless WdfDriverInitNoDispatchOverride is also set).
 * STATUS_DRIVER_INTERNAL_ERROR: the driver already has its framework driver object.
 */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS WdfDriverCreate(_In_ PDRIVER_OBJECT DriverObject,
                         _In_ PCUNICODE_STRING RegistryPath,
                         _In_opt_ PWDF_OBJECT_ATTRIBUTES DriverAttributes,
                         _In_ PWDF_DRIVER_CONFIG DriverConfig,
                         _Out_opt_ WDFDRIVER *Driver);

/* The calling driver's framework driver object. */
_IRQL_requires_max_(DISPATCH_LEVEL)
WDFDRIVER WdfGetDriver(VOID);

/* The WDM driver object WdfDriverCreate was given. */
_IRQL_requires_max_(DISPATCH_LEVEL)
PDRIVER_OBJECT WdfDriverWdmGetDriverObject(_In_ WDFDRIVER Driver);

/*
 * The registry path WdfDriverCreate was given, as a NUL-terminated UTF-16 string the framework
 * owns (valid while the driver is loaded): \Registry\Machine\System\CurrentControlSet\Services\<Service>.
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
PWSTR WdfDriverGetRegistryPath(_In_ WDFDRIVER Driver);

/* Asks whether a framework version is available (12 bytes). Initialize with
   WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT. */
typedef struct _WDF_DRIVER_VERSION_AVAILABLE_PARAMS {
    ULONG Size;                                         /* 0x00 */
    ULONG MajorVersion;                                 /* 0x04 */
    ULONG MinorVersion;                                 /* 0x08 */
} WDF_DRIVER_VERSION_AVAILABLE_PARAMS, *PWDF_DRIVER_VERSION_AVAILABLE_PARAMS;

FORCEINLINE VOID WDF_DRIVER_VERSION_AVAILABLE_PARAMS_INIT(_Out_ PWDF_DRIVER_VERSION_AVAILABLE_PARAMS Params,
                                                          _In_ ULONG MajorVersion,
                                                          _In_ ULONG MinorVersion)
{
    RtlZeroMemory(Params, sizeof(WDF_DRIVER_VERSION_AVAILABLE_PARAMS));
    Params->Size = WDM_CAST(ULONG, sizeof(WDF_DRIVER_VERSION_AVAILABLE_PARAMS));
    Params->MajorVersion = MajorVersion;
    Params->MinorVersion = MinorVersion;
}

/*
 * TRUE when the library provides framework version MajorVersion.MinorVersion: it implements
 * KMDF 1.33's routines (those this header declares), so major 1 with minor 0 to 33. FALSE for a
 * wrong Params->Size.
 */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
BOOLEAN WdfDriverIsVersionAvailable(_In_ WDFDRIVER Driver,
                                    _In_ PWDF_DRIVER_VERSION_AVAILABLE_PARAMS VersionAvailableParams);

/* ============================================================================================
 * Device and request (parents for memory objects)
 * ============================================================================================ */

/* Creates a device from the PWDFDEVICE_INIT given to EvtDriverDeviceAdd (*DeviceInit is set to
   NULL on success: the framework owns it). */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS WdfDeviceCreate(_Inout_ PWDFDEVICE_INIT *DeviceInit,
                         _In_opt_ PWDF_OBJECT_ATTRIBUTES DeviceAttributes,
                         _Out_ WDFDEVICE *Device);

/* The driver a device belongs to. */
_IRQL_requires_max_(DISPATCH_LEVEL)
WDFDRIVER WdfDeviceGetDriver(_In_ WDFDEVICE Device);

/* Creates a request object; IoTarget is NULL here. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfRequestCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES RequestAttributes,
                          _In_opt_ WDFIOTARGET IoTarget,
                          _Out_ WDFREQUEST *Request);

/* ============================================================================================
 * Locks (wdfsync.h)
 *
 * Framework objects like any other: created with attributes (a parent, contexts, cleanup and
 * destroy callbacks; the driver is the parent when none is named) and deleted with their
 * parent or with WdfObjectDelete. Each really excludes other threads.
 *
 * Misuse stops with WDF_VIOLATION (0x10D), with or without the verifier (on Windows the thread
 * would spin or wait forever): acquiring a lock the thread already holds, parameter 1
 * WDF_RECURSIVE_LOCK (0x2), parameter 2 the lock; releasing a lock the thread does not hold,
 * parameter 1 WDF_INVALID_LOCK_OPERATION (0xB), parameter 2 the lock, parameter 3 0x1.
 * ============================================================================================ */

/* Creates a spin lock. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfSpinLockCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES SpinLockAttributes,
                           _Out_ WDFSPINLOCK *SpinLock);

/*
 * Takes the spin lock and raises the IRQL to DISPATCH_LEVEL (from above it:
 * IRQL_NOT_GREATER_OR_EQUAL): while it is held, paged pool and waits stop as at DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_raises_(DISPATCH_LEVEL)
VOID WdfSpinLockAcquire(_In_ _Requires_lock_not_held_(_Curr_) _Acquires_lock_(_Curr_) _IRQL_saves_
                        WDFSPINLOCK SpinLock);

/* Releases the spin lock and returns to the IRQL WdfSpinLockAcquire saw. */
_IRQL_requires_max_(DISPATCH_LEVEL)
_IRQL_requires_min_(DISPATCH_LEVEL)
VOID WdfSpinLockRelease(_In_ _Requires_lock_held_(_Curr_) _Releases_lock_(_Curr_) _IRQL_restores_
                        WDFSPINLOCK SpinLock);

/* Creates a wait lock (free). */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfWaitLockCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES LockAttributes,
                           _Out_ WDFWAITLOCK *Lock);

/*
 * Takes the wait lock, sleeping while another thread holds it. Timeout NULL: waits as long as it
 * takes (STATUS_SUCCESS); otherwise a relative (negative) or absolute (positive) time in 100 ns
 * units, as KeWaitForSingleObject: STATUS_SUCCESS, or STATUS_TIMEOUT when it passed first;
 * *Timeout 0 only tries. IRQL: PASSIVE_LEVEL, or DISPATCH_LEVEL with *Timeout 0; above that,
 * IRQL_NOT_LESS_OR_EQUAL (0x0A). The IRQL does not change while it is held. A thread that holds
 * it and acquires it again with a timeout gets STATUS_TIMEOUT when the time has passed, as on
 * Windows; without one, it stops with 0x10D/0x2.
 */
_When_(Timeout == NULL, _IRQL_requires_max_(PASSIVE_LEVEL))
_When_(Timeout != NULL && *Timeout == 0, _IRQL_requires_max_(DISPATCH_LEVEL))
_When_(Timeout != NULL && *Timeout != 0, _IRQL_requires_max_(PASSIVE_LEVEL))
_Always_(_When_(Timeout == NULL, _Acquires_lock_(Lock)))
_When_(Timeout != NULL && return == STATUS_SUCCESS, _Acquires_lock_(Lock))
_When_(Timeout != NULL, _Must_inspect_result_)
NTSTATUS WdfWaitLockAcquire(_In_ _Requires_lock_not_held_(_Curr_) WDFWAITLOCK Lock,
                            _In_opt_ PLONGLONG Timeout);

/* Releases the wait lock; a waiting thread takes it. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID WdfWaitLockRelease(_In_ _Requires_lock_held_(_Curr_) _Releases_lock_(_Curr_) WDFWAITLOCK Lock);

/* ============================================================================================
 * Memory objects and lookaside-list objects (wdfmemory.h)
 *
 * IRQL: paged pool at <= APC_LEVEL, non-paged pool at <= DISPATCH_LEVEL.
 * ============================================================================================ */

/* A range of a memory object's buffer. */
typedef struct _WDFMEMORY_OFFSET {
    size_t BufferOffset;
    size_t BufferLength;
} WDFMEMORY_OFFSET, *PWDFMEMORY_OFFSET;

/*
 * Creates a memory object with a BufferSize-byte buffer (not zeroed; 16-byte aligned,
 * page-aligned from PAGE_SIZE on). PoolTag 0 means the driver's default tag.
 */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES Attributes,
                         _In_ POOL_TYPE PoolType,
                         _In_opt_ ULONG PoolTag,
                         _In_ size_t BufferSize,
                         _Out_ WDFMEMORY *Memory,
                         _Outptr_opt_result_bytebuffer_(BufferSize) PVOID *Buffer);

/* Creates a memory object for a caller-owned buffer, which the framework never frees. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryCreatePreallocated(_In_opt_ PWDF_OBJECT_ATTRIBUTES Attributes,
                                     _In_ __drv_aliasesMem PVOID Buffer,
                                     _In_ size_t BufferSize,
                                     _Out_ WDFMEMORY *Memory);

/* Replaces the buffer of a memory object made by WdfMemoryCreatePreallocated. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryAssignBuffer(_In_ WDFMEMORY Memory,
                               _Pre_notnull_ __drv_aliasesMem PVOID Buffer,
                               _In_ size_t BufferSize);

/* The buffer of a memory object; its size in *BufferSize when BufferSize is not NULL. */
_IRQL_requires_max_(DISPATCH_LEVEL)
PVOID WdfMemoryGetBuffer(_In_ WDFMEMORY Memory, _Out_opt_ size_t *BufferSize);

/* Copies NumBytesToCopyTo bytes from the memory object, at SourceOffset, to Buffer. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryCopyToBuffer(_In_ WDFMEMORY SourceMemory,
                               _In_ size_t SourceOffset,
                               _Out_writes_bytes_(NumBytesToCopyTo) PVOID Buffer,
                               _In_ size_t NumBytesToCopyTo);

/* Copies NumBytesToCopyFrom bytes from Buffer into the memory object at DestinationOffset. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryCopyFromBuffer(_In_ WDFMEMORY DestinationMemory,
                                 _In_ size_t DestinationOffset,
                                 _In_ PVOID Buffer,
                                 _In_ size_t NumBytesToCopyFrom);

/*
 * Creates a lookaside-list object whose memory objects hold BufferSize-byte buffers and get
 * MemoryAttributes. PoolTag 0 means the driver's default tag.
 */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfLookasideListCreate(_In_opt_ PWDF_OBJECT_ATTRIBUTES LookasideAttributes,
                                _In_ size_t BufferSize,
                                _In_ POOL_TYPE PoolType,
                                _In_opt_ PWDF_OBJECT_ATTRIBUTES MemoryAttributes,
                                _In_opt_ ULONG PoolTag,
                                _Out_ WDFLOOKASIDE *Lookaside);

/* Creates a memory object whose buffer comes from the list; WdfObjectDelete gives it back. */
_Must_inspect_result_
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WdfMemoryCreateFromLookaside(_In_ WDFLOOKASIDE Lookaside,
                                      _Out_ WDFMEMORY *Memory);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDF_H_ */
