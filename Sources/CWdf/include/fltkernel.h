/*
 * fltkernel.h - Filter Manager for minifilter code hosted in a Linux process.
 *
 * The part of the Filter Manager that the emulated memory subsystem implements: filter
 * registration (FLT_REGISTRATION, FltRegisterFilter / FltStartFiltering / FltUnregisterFilter)
 * and extra create parameters (ECP lookaside lists, ECPs and ECP lists). Minifilter code written
 * against the WDK reference pages compiles against it unchanged with clang or gcc (C11 or C++).
 *
 * As in the WDK, PFLT_FILTER and PECP_LIST are pointers to distinct incomplete structure types.
 * The objects that only exist with a real I/O stack (instances, volumes, callback data, related
 * objects, file objects, context and operation registrations) are incomplete types too: they are
 * named by the callback prototypes of FLT_REGISTRATION, so that a filter's routines keep their WDK
 * signatures, but nothing here looks inside them. Operation callbacks are not supported: a
 * registration passes NULL for ContextRegistration and OperationRegistration.
 *
 * Only routines that the library implements are declared; everything else is a type, a constant
 * or a macro. Layouts are those of the 64-bit WDK. Flag constants carry a U suffix so that Swift
 * sees them with the type of their ULONG flag typedefs (C code is not affected).
 */
#ifndef _FLTKERNEL_H_
#define _FLTKERNEL_H_

#include "wdm.h"

/* ============================================================================================
 * Language glue
 * ============================================================================================ */

/* Calling convention of Filter Manager routines and callbacks (the default one here). */
#ifndef FLTAPI
#define FLTAPI NTAPI
#endif

/* Device type of a volume (FILE_DEVICE_DISK_FILE_SYSTEM, ...); as in the WDK, a macro. */
#ifndef DEVICE_TYPE
#define DEVICE_TYPE ULONG
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Basic filter types
 * ============================================================================================ */

/* Opaque filter pointer returned by FltRegisterFilter. */
typedef struct _FLT_FILTER *PFLT_FILTER;

/* Objects of the I/O path, only named by callback prototypes (never created here). */
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;
typedef struct _FLT_CALLBACK_DATA *PFLT_CALLBACK_DATA;
typedef const struct _FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;
typedef struct _FLT_NAME_CONTROL *PFLT_NAME_CONTROL;
typedef struct _FILE_OBJECT FILE_OBJECT, *PFILE_OBJECT;
typedef struct _FILE_NAMES_INFORMATION *PFILE_NAMES_INFORMATION;

/* A filter-defined context. */
typedef PVOID PFLT_CONTEXT;
#define NULL_CONTEXT ((PFLT_CONTEXT)NULL)

/* File system of a volume (fltUserStructures.h). */
typedef enum _FLT_FILESYSTEM_TYPE {
    FLT_FSTYPE_UNKNOWN,
    FLT_FSTYPE_RAW,
    FLT_FSTYPE_NTFS,
    FLT_FSTYPE_FAT,
    FLT_FSTYPE_CDFS,
    FLT_FSTYPE_UDFS,
    FLT_FSTYPE_LANMAN,
    FLT_FSTYPE_WEBDAV,
    FLT_FSTYPE_RDPDR,
    FLT_FSTYPE_NFS,
    FLT_FSTYPE_MS_NETWARE,
    FLT_FSTYPE_NETWARE,
    FLT_FSTYPE_BSUDF,
    FLT_FSTYPE_MUP,
    FLT_FSTYPE_RSFX,
    FLT_FSTYPE_ROXIO_UDF1,
    FLT_FSTYPE_ROXIO_UDF2,
    FLT_FSTYPE_ROXIO_UDF3,
    FLT_FSTYPE_TACIT,
    FLT_FSTYPE_FS_REC,
    FLT_FSTYPE_INCD,
    FLT_FSTYPE_INCD_FAT,
    FLT_FSTYPE_EXFAT,
    FLT_FSTYPE_PSFS,
    FLT_FSTYPE_GPFS,
    FLT_FSTYPE_NPFS,
    FLT_FSTYPE_MSFS,
    FLT_FSTYPE_CSVFS,
    FLT_FSTYPE_REFS,
    FLT_FSTYPE_OPENAFS,
    FLT_FSTYPE_CIMFS
} FLT_FILESYSTEM_TYPE, *PFLT_FILESYSTEM_TYPE;

/* ============================================================================================
 * Registration
 * ============================================================================================ */

/* Context and operation registrations: not supported here, only pointed to (pass NULL). */
typedef struct _FLT_CONTEXT_REGISTRATION FLT_CONTEXT_REGISTRATION;
typedef struct _FLT_OPERATION_REGISTRATION FLT_OPERATION_REGISTRATION;

/* Flags passed to the unload callback. */
typedef ULONG FLT_FILTER_UNLOAD_FLAGS;
#define FLTFL_FILTER_UNLOAD_MANDATORY 0x00000001U

/*
 * Called before the filter is unloaded (here: by WdfHostUnloadDriver). A success status lets
 * the unload proceed; a mandatory unload cannot be refused.
 *
 *     FLT_FILTER_UNLOAD_CALLBACK FilterUnload;
 *     NTSTATUS FilterUnload(FLT_FILTER_UNLOAD_FLAGS Flags) { FltUnregisterFilter(gFilter); ... }
 */
typedef _Function_class_(FLT_FILTER_UNLOAD_CALLBACK) _IRQL_requires_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FLT_FILTER_UNLOAD_CALLBACK(_In_ FLT_FILTER_UNLOAD_FLAGS Flags);
typedef FLT_FILTER_UNLOAD_CALLBACK *PFLT_FILTER_UNLOAD_CALLBACK;

/* Instance callbacks (never called here: there are no volumes to attach to). */
typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
typedef ULONG FLT_INSTANCE_QUERY_TEARDOWN_FLAGS;
typedef ULONG FLT_INSTANCE_TEARDOWN_FLAGS;

typedef NTSTATUS (FLTAPI *PFLT_INSTANCE_SETUP_CALLBACK)(
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
    _In_ DEVICE_TYPE VolumeDeviceType,
    _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType);

typedef NTSTATUS (FLTAPI *PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK)(
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags);

typedef VOID (FLTAPI *PFLT_INSTANCE_TEARDOWN_CALLBACK)(
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ FLT_INSTANCE_TEARDOWN_FLAGS Reason);

/* Name provider callbacks (never called here). */
typedef ULONG FLT_FILE_NAME_OPTIONS;
typedef ULONG FLT_NORMALIZE_NAME_FLAGS;

typedef NTSTATUS (FLTAPI *PFLT_GENERATE_FILE_NAME)(
    _In_ PFLT_INSTANCE Instance,
    _In_ PFILE_OBJECT FileObject,
    _In_opt_ PFLT_CALLBACK_DATA CallbackData,
    _In_ FLT_FILE_NAME_OPTIONS NameOptions,
    _Out_ PBOOLEAN CacheFileNameInformation,
    _Out_ PFLT_NAME_CONTROL FileName);

typedef NTSTATUS (FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT)(
    _In_ PFLT_INSTANCE Instance,
    _In_ PCUNICODE_STRING ParentDirectory,
    _In_ USHORT VolumeNameLength,
    _In_ PCUNICODE_STRING Component,
    _Out_writes_bytes_(ExpandComponentNameLength) PFILE_NAMES_INFORMATION ExpandComponentName,
    _In_ ULONG ExpandComponentNameLength,
    _In_ FLT_NORMALIZE_NAME_FLAGS Flags,
    _Inout_ PVOID *NormalizationContext);

typedef NTSTATUS (FLTAPI *PFLT_NORMALIZE_NAME_COMPONENT_EX)(
    _In_ PFLT_INSTANCE Instance,
    _In_ PFILE_OBJECT FileObject,
    _In_ PCUNICODE_STRING ParentDirectory,
    _In_ USHORT VolumeNameLength,
    _In_ PCUNICODE_STRING Component,
    _Out_writes_bytes_(ExpandComponentNameLength) PFILE_NAMES_INFORMATION ExpandComponentName,
    _In_ ULONG ExpandComponentNameLength,
    _In_ FLT_NORMALIZE_NAME_FLAGS Flags,
    _Inout_ PVOID *NormalizationContext);

typedef VOID (FLTAPI *PFLT_NORMALIZE_CONTEXT_CLEANUP)(
    _In_opt_ PVOID *NormalizationContext);

/* Transaction and data-scan callbacks (never called here). */
typedef NTSTATUS (FLTAPI *PFLT_TRANSACTION_NOTIFICATION_CALLBACK)(
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_ PFLT_CONTEXT TransactionContext,
    _In_ ULONG NotificationMask);

typedef NTSTATUS (FLTAPI *PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK)(
    _In_ PFLT_INSTANCE Instance,
    _In_ PFLT_CONTEXT SectionContext,
    _In_ PFLT_CALLBACK_DATA Data);

/* Registration versions: pass FLT_REGISTRATION_VERSION. */
#define FLT_REGISTRATION_VERSION_0200 0x0200    /* XP SP2 / Server 2003 SP1 */
#define FLT_REGISTRATION_VERSION_0201 0x0201    /* adds TransactionNotificationCallback */
#define FLT_REGISTRATION_VERSION_0202 0x0202    /* adds NormalizeNameComponentExCallback */
#define FLT_REGISTRATION_VERSION_0203 0x0203    /* adds SectionNotificationCallback */
#define FLT_REGISTRATION_VERSION FLT_REGISTRATION_VERSION_0203

typedef ULONG FLT_REGISTRATION_FLAGS;
#define FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP 0x00000001U
#define FLTFL_REGISTRATION_SUPPORT_NPFS_MSFS 0x00000002U
#define FLTFL_REGISTRATION_SUPPORT_DAX_VOLUME 0x00000004U

/*
 * What a filter registers (112 bytes). Usually a positional initializer:
 *
 *     CONST FLT_REGISTRATION FilterRegistration = {
 *         sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0,
 *         NULL, NULL, FilterUnload, NULL, ... NULL };
 */
typedef struct _FLT_REGISTRATION {
    USHORT Size;                                                        /* 0x00 sizeof(FLT_REGISTRATION) */
    USHORT Version;                                                     /* 0x02 FLT_REGISTRATION_VERSION */
    FLT_REGISTRATION_FLAGS Flags;                                       /* 0x04 FLTFL_REGISTRATION_* */
    CONST FLT_CONTEXT_REGISTRATION *ContextRegistration;                /* 0x08 NULL */
    CONST FLT_OPERATION_REGISTRATION *OperationRegistration;            /* 0x10 NULL */
    PFLT_FILTER_UNLOAD_CALLBACK FilterUnloadCallback;                   /* 0x18 NULL: cannot unload */
    PFLT_INSTANCE_SETUP_CALLBACK InstanceSetupCallback;                 /* 0x20 */
    PFLT_INSTANCE_QUERY_TEARDOWN_CALLBACK InstanceQueryTeardownCallback; /* 0x28 */
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownStartCallback;      /* 0x30 */
    PFLT_INSTANCE_TEARDOWN_CALLBACK InstanceTeardownCompleteCallback;   /* 0x38 */
    PFLT_GENERATE_FILE_NAME GenerateFileNameCallback;                   /* 0x40 */
    PFLT_NORMALIZE_NAME_COMPONENT NormalizeNameComponentCallback;       /* 0x48 */
    PFLT_NORMALIZE_CONTEXT_CLEANUP NormalizeContextCleanupCallback;     /* 0x50 */
    PFLT_TRANSACTION_NOTIFICATION_CALLBACK TransactionNotificationCallback; /* 0x58 */
    PFLT_NORMALIZE_NAME_COMPONENT_EX NormalizeNameComponentExCallback;  /* 0x60 */
    PFLT_SECTION_CONFLICT_NOTIFICATION_CALLBACK SectionNotificationCallback; /* 0x68 */
} FLT_REGISTRATION, *PFLT_REGISTRATION;

/* ============================================================================================
 * Filter routines
 * ============================================================================================ */

/*
 * Registers a minifilter for Driver (called from DriverEntry); *RetFilter receives the filter.
 * Registration->Size and Version must be valid; context and operation registrations must be NULL.
 */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltRegisterFilter(_In_ PDRIVER_OBJECT Driver,
                                  _In_ CONST FLT_REGISTRATION *Registration,
                                  _Outptr_ PFLT_FILTER *RetFilter);

/* Starts filtering (nothing to attach to here; marks the filter started). */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltStartFiltering(_In_ PFLT_FILTER Filter);

/* Unregisters the filter (usually from its unload callback); Filter is invalid afterwards. */
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltUnregisterFilter(_In_ PFLT_FILTER Filter);

/* ============================================================================================
 * Extra create parameters (ECPs)
 *
 * An ECP is a context block of a filter-chosen size, identified by a GUID, allocated from pool or
 * from an ECP lookaside list, and carried in an ECP list. Its header (type, cleanup callback,
 * size, source) sits before the context and is not visible. The context is not zeroed.
 * ============================================================================================ */

/* Opaque ECP list. */
typedef struct _ECP_LIST ECP_LIST, *PECP_LIST;

/* FltAllocateExtraCreateParameter(FromLookasideList) flags. */
typedef ULONG FSRTL_ALLOCATE_ECP_FLAGS;
#define FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA 0x00000001U
#define FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL 0x00000002U

/* FltInit/DeleteExtraCreateParameterLookasideList flags. */
typedef ULONG FSRTL_ECP_LOOKASIDE_FLAGS;
#define FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL 0x00000002U

/* FltAllocateExtraCreateParameterList flags. */
typedef ULONG FSRTL_ALLOCATE_ECPLIST_FLAGS;
#define FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA 0x00000001U

/* Called exactly once when an ECP is freed, with its context and a pointer to its type. */
typedef _IRQL_requires_max_(APC_LEVEL) _IRQL_requires_same_
_Function_class_(FSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK)
VOID FSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK(_Inout_ PVOID EcpContext,
                                                   _In_ LPCGUID EcpType);
typedef FSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK *PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK;

/*
 * Initializes an ECP lookaside list in caller memory (an NPAGED_LOOKASIDE_LIST with
 * FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, else a PAGED_LOOKASIDE_LIST) whose entries hold Size
 * bytes of context.
 */
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0, _IRQL_requires_max_(DISPATCH_LEVEL))
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) == 0, _IRQL_requires_max_(APC_LEVEL))
VOID FLTAPI FltInitExtraCreateParameterLookasideList(_In_ PFLT_FILTER Filter,
                                                     _Inout_ PVOID Lookaside,
                                                     _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags,
                                                     _In_ SIZE_T Size,
                                                     _In_ ULONG Tag);

/* Deletes an ECP lookaside list (Flags as at initialization). ECPs still out are not freed. */
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0, _IRQL_requires_max_(DISPATCH_LEVEL))
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) == 0, _IRQL_requires_max_(APC_LEVEL))
VOID FLTAPI FltDeleteExtraCreateParameterLookasideList(_In_ PFLT_FILTER Filter,
                                                       _Inout_ PVOID Lookaside,
                                                       _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags);

/*
 * Allocates an ECP from LookasideList when SizeOfContext fits its entries (the quota flag is then
 * ignored), else from pool with the list's tag. STATUS_INSUFFICIENT_RESOURCES with *EcpContext
 * NULL on failure.
 */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateExtraCreateParameterFromLookasideList(
    _In_ PFLT_FILTER Filter,
    _In_ LPCGUID EcpType,
    _In_ ULONG SizeOfContext,
    _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
    _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
    _Inout_ PVOID LookasideList,
    _Outptr_ PVOID *EcpContext);

/* Allocates an ECP from pool: non-paged with FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL, else paged. */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateExtraCreateParameter(
    _In_ PFLT_FILTER Filter,
    _In_ LPCGUID EcpType,
    _In_ ULONG SizeOfContext,
    _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
    _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
    _In_ ULONG PoolTag,
    _Outptr_result_bytebuffer_(SizeOfContext) PVOID *EcpContext);

/* Runs the cleanup callback, then frees the ECP (it must not be in a list any more). */
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltFreeExtraCreateParameter(_In_ PFLT_FILTER Filter,
                                        _In_ __drv_freesMem(Mem) PVOID EcpContext);

/* Allocates an empty ECP list. */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltAllocateExtraCreateParameterList(_In_ PFLT_FILTER Filter,
                                                    _In_ FSRTL_ALLOCATE_ECPLIST_FLAGS Flags,
                                                    _Outptr_ PECP_LIST *EcpList);

/* Frees every ECP in the list (head to tail, cleanup callbacks run), then the list. */
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltFreeExtraCreateParameterList(_In_ PFLT_FILTER Filter,
                                            _In_ __drv_freesMem(Mem) PECP_LIST EcpList);

/* Appends an ECP; STATUS_INVALID_PARAMETER when one of the same type is already there. */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltInsertExtraCreateParameter(_In_ PFLT_FILTER Filter,
                                              _Inout_ PECP_LIST EcpList,
                                              _Inout_ PVOID EcpContext);

/* Finds the ECP of EcpType; STATUS_NOT_FOUND when there is none. */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltFindExtraCreateParameter(_In_ PFLT_FILTER Filter,
                                            _In_ PECP_LIST EcpList,
                                            _In_ LPCGUID EcpType,
                                            _Outptr_opt_ PVOID *EcpContext,
                                            _Out_opt_ ULONG *EcpContextSize);

/* Unlinks the ECP of EcpType without freeing it; STATUS_NOT_FOUND when there is none. */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltRemoveExtraCreateParameter(_In_ PFLT_FILTER Filter,
                                              _Inout_ PECP_LIST EcpList,
                                              _In_ LPCGUID EcpType,
                                              _Outptr_ PVOID *EcpContext,
                                              _Out_opt_ ULONG *EcpContextSize);

/*
 * The ECP after CurrentEcpContext (the first one when NULL), in insertion order;
 * STATUS_NOT_FOUND at the end.
 */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetNextExtraCreateParameter(_In_ PFLT_FILTER Filter,
                                               _In_ PECP_LIST EcpList,
                                               _In_opt_ PVOID CurrentEcpContext,
                                               _Out_opt_ LPGUID NextEcpType,
                                               _Outptr_opt_ PVOID *NextEcpContext,
                                               _Out_opt_ ULONG *NextEcpContextSize);

/* Marks the ECP as acknowledged (seen by its consumer). */
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltAcknowledgeEcp(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

_IRQL_requires_max_(APC_LEVEL)
BOOLEAN FLTAPI FltIsEcpAcknowledged(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

/* Clears the acknowledgment so that the ECP can be used for another create. */
_IRQL_requires_max_(APC_LEVEL)
VOID FLTAPI FltPrepareToReuseEcp(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

/* TRUE when the ECP came from user mode (never, here). */
_IRQL_requires_max_(APC_LEVEL)
BOOLEAN FLTAPI FltIsEcpFromUserMode(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _FLTKERNEL_H_ */
