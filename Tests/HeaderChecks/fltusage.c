/*
 * Minifilter-style code written the way the WDK reference pages and samples show it: a filter
 * registration with an unload callback and instance callbacks, an ECP type GUID, an ECP lookaside
 * list in a global NPAGED_LOOKASIDE_LIST passed as PVOID, and every ECP routine. check.sh compiles
 * it as C11 and C++17 with warnings as errors (-Wno-multichar for the tag). Nothing here is run.
 */
#define INITGUID
#include <fltkernel.h>

/* ECP types defined in this translation unit (INITGUID before the first include). */
DEFINE_GUID(GUID_ECP_FLTUSAGE, 0x8f2c1a4e, 0x3b7d, 0x4c19, 0x9e, 0x05, 0x61, 0xd2, 0x7a, 0xb3, 0xc4, 0xe8);
DEFINE_GUID(GUID_ECP_FLTUSAGE_OTHER, 0x1d5e9b37, 0x62a0, 0x4f8c, 0xb1, 0x4d, 0x0e, 0x93, 0x27, 0xfa, 0x58, 0x6c);

#define FLTUSAGE_TAG 'pcEF'

/* IsEqualGUID takes a REFGUID: a pointer in C, a reference in C++, as in the WDK. */
#ifdef __cplusplus
#define FLTUSAGE_REFGUID(p) (*(p))
#else
#define FLTUSAGE_REFGUID(p) (p)
#endif

typedef struct _FLTUSAGE_ECP_CONTEXT {
    ULONG Sequence;
    ULONG Flags;
    WCHAR Name[16];
} FLTUSAGE_ECP_CONTEXT, *PFLTUSAGE_ECP_CONTEXT;

typedef struct _FLTUSAGE_GLOBALS {
    PFLT_FILTER Filter;
    NPAGED_LOOKASIDE_LIST EcpLookaside;
    PAGED_LOOKASIDE_LIST PagedEcpLookaside;
    LONG Cleanups;
} FLTUSAGE_GLOBALS;

static FLTUSAGE_GLOBALS Globals;

DRIVER_INITIALIZE DriverEntry;
FLT_FILTER_UNLOAD_CALLBACK FltUsageUnload;
FSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK FltUsageEcpCleanup;

static NTSTATUS FLTAPI FltUsageInstanceSetup(_In_ PCFLT_RELATED_OBJECTS FltObjects,
                                             _In_ FLT_INSTANCE_SETUP_FLAGS Flags,
                                             _In_ DEVICE_TYPE VolumeDeviceType,
                                             _In_ FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeDeviceType);
    return VolumeFilesystemType == FLT_FSTYPE_NTFS ? STATUS_SUCCESS : STATUS_NOT_IMPLEMENTED;
}

static NTSTATUS FLTAPI FltUsageInstanceQueryTeardown(_In_ PCFLT_RELATED_OBJECTS FltObjects,
                                                     _In_ FLT_INSTANCE_QUERY_TEARDOWN_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);
    return STATUS_SUCCESS;
}

static VOID FLTAPI FltUsageInstanceTeardown(_In_ PCFLT_RELATED_OBJECTS FltObjects,
                                            _In_ FLT_INSTANCE_TEARDOWN_FLAGS Reason)
{
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Reason);
}

/* Positional initializer, one line per field, as in the WDK samples. */
CONST FLT_REGISTRATION FilterRegistration = {
    sizeof(FLT_REGISTRATION),           /* Size */
    FLT_REGISTRATION_VERSION,           /* Version */
    0,                                  /* Flags */
    NULL,                               /* Context */
    NULL,                               /* Operation callbacks (not supported here) */
    FltUsageUnload,                     /* MiniFilterUnload */
    FltUsageInstanceSetup,              /* InstanceSetup */
    FltUsageInstanceQueryTeardown,      /* InstanceQueryTeardown */
    FltUsageInstanceTeardown,           /* InstanceTeardownStart */
    FltUsageInstanceTeardown,           /* InstanceTeardownComplete */
    NULL,                               /* GenerateFileName */
    NULL,                               /* NormalizeNameComponent */
    NULL,                               /* NormalizeContextCleanup */
    NULL,                               /* TransactionNotification */
    NULL,                               /* NormalizeNameComponentEx */
    NULL                                /* SectionNotification */
};

/* A second registration with the flags and no optional callbacks. */
static const FLT_REGISTRATION MinimalRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION_0203,
    FLTFL_REGISTRATION_DO_NOT_SUPPORT_SERVICE_STOP | FLTFL_REGISTRATION_SUPPORT_NPFS_MSFS,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

_Use_decl_annotations_
VOID FltUsageEcpCleanup(PVOID EcpContext, LPCGUID EcpType)
{
    PFLTUSAGE_ECP_CONTEXT context = (PFLTUSAGE_ECP_CONTEXT)EcpContext;
    if (IsEqualGUID(FLTUSAGE_REFGUID(EcpType), FLTUSAGE_REFGUID(&GUID_ECP_FLTUSAGE))) {
        context->Sequence = 0;
    }
    Globals.Cleanups++;
}

static NTSTATUS FltUsageEcps(PFLT_FILTER Filter)
{
    PECP_LIST ecpList = NULL;
    PFLTUSAGE_ECP_CONTEXT fromLookaside = NULL;
    PVOID fromPool = NULL;
    PVOID found = NULL;
    PVOID removed = NULL;
    PVOID current = NULL;
    ULONG size = 0;
    ULONG count = 0;
    GUID type;
    NTSTATUS status;

    status = FltAllocateExtraCreateParameterList(Filter, FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA, &ecpList);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    status = FltAllocateExtraCreateParameterFromLookasideList(Filter,
                                                              &GUID_ECP_FLTUSAGE,
                                                              sizeof(FLTUSAGE_ECP_CONTEXT),
                                                              FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL,
                                                              FltUsageEcpCleanup,
                                                              &Globals.EcpLookaside,
                                                              (PVOID *)&fromLookaside);
    if (!NT_SUCCESS(status)) {
        FltFreeExtraCreateParameterList(Filter, ecpList);
        return status;
    }
    RtlZeroMemory(fromLookaside, sizeof(*fromLookaside));
    fromLookaside->Sequence = 1;

    status = FltAllocateExtraCreateParameter(Filter,
                                             &GUID_ECP_FLTUSAGE_OTHER,
                                             64,
                                             FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA | FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL,
                                             NULL,
                                             FLTUSAGE_TAG,
                                             &fromPool);
    if (!NT_SUCCESS(status)) {
        FltFreeExtraCreateParameter(Filter, fromLookaside);
        FltFreeExtraCreateParameterList(Filter, ecpList);
        return status;
    }

    status = FltInsertExtraCreateParameter(Filter, ecpList, fromLookaside);
    if (NT_SUCCESS(status)) {
        status = FltInsertExtraCreateParameter(Filter, ecpList, fromPool);
    }

    status = FltFindExtraCreateParameter(Filter, ecpList, &GUID_ECP_FLTUSAGE, &found, &size);
    if (status == STATUS_NOT_FOUND || found != fromLookaside) {
        count = MAXULONG;
    }
    status = FltFindExtraCreateParameter(Filter, ecpList, &GUID_ECP_FLTUSAGE_OTHER, NULL, NULL);

    while (NT_SUCCESS(FltGetNextExtraCreateParameter(Filter, ecpList, current, &type, &current, &size))) {
        count++;
    }
    status = FltGetNextExtraCreateParameter(Filter, ecpList, NULL, NULL, NULL, NULL);

    FltAcknowledgeEcp(Filter, fromLookaside);
    if (FltIsEcpAcknowledged(Filter, fromLookaside) && !FltIsEcpFromUserMode(Filter, fromLookaside)) {
        FltPrepareToReuseEcp(Filter, fromLookaside);
    }

    status = FltRemoveExtraCreateParameter(Filter, ecpList, &GUID_ECP_FLTUSAGE, &removed, NULL);
    if (NT_SUCCESS(status)) {
        FltFreeExtraCreateParameter(Filter, removed);
    }

    /* Frees what is still in the list (fromPool), then the list. */
    FltFreeExtraCreateParameterList(Filter, ecpList);

    return count == 2 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

_Use_decl_annotations_
NTSTATUS FltUsageUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    PAGED_CODE();

    FltDeleteExtraCreateParameterLookasideList(Globals.Filter, &Globals.EcpLookaside,
                                               FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
    FltDeleteExtraCreateParameterLookasideList(Globals.Filter, &Globals.PagedEcpLookaside, 0);
    FltUnregisterFilter(Globals.Filter);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PFLT_FILTER minimal = NULL;
    PFLT_FILTER_UNLOAD_CALLBACK unload = FilterRegistration.FilterUnloadCallback;
    PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK cleanup = FltUsageEcpCleanup;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    UNREFERENCED_PARAMETER(unload);
    UNREFERENCED_PARAMETER(cleanup);

    status = FltRegisterFilter(DriverObject, &FilterRegistration, &Globals.Filter);
    if (!NT_SUCCESS(status)) {
        return status;
    }

    FltInitExtraCreateParameterLookasideList(Globals.Filter,
                                             &Globals.EcpLookaside,
                                             FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL,
                                             sizeof(FLTUSAGE_ECP_CONTEXT),
                                             FLTUSAGE_TAG);
    FltInitExtraCreateParameterLookasideList(Globals.Filter,
                                             &Globals.PagedEcpLookaside,
                                             0,
                                             sizeof(FLTUSAGE_ECP_CONTEXT),
                                             FLTUSAGE_TAG);

    status = FltStartFiltering(Globals.Filter);
    if (NT_SUCCESS(status)) {
        status = FltUsageEcps(Globals.Filter);
    }
    if (!NT_SUCCESS(status)) {
        FltDeleteExtraCreateParameterLookasideList(Globals.Filter, &Globals.EcpLookaside,
                                                   FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
        FltDeleteExtraCreateParameterLookasideList(Globals.Filter, &Globals.PagedEcpLookaside, 0);
        FltUnregisterFilter(Globals.Filter);
        return status;
    }

    /* A second registration: the flags form (whether it is accepted is the runtime's business). */
    if (NT_SUCCESS(FltRegisterFilter(DriverObject, &MinimalRegistration, &minimal))) {
        FltUnregisterFilter(minimal);
    }
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------------------------------
 * The create path: operation callbacks, the callback data's ECP list, FltCreateFileEx2 with an
 * IO_DRIVER_CREATE_CONTEXT, IoCreateFileEx, the FsRtl forms and a system-defined ECP type.
 * ------------------------------------------------------------------------------------------------ */

FLT_PRE_OPERATION_CALLBACK FltUsagePreCreate;
FLT_POST_OPERATION_CALLBACK FltUsagePostCreate;

FLT_PREOP_CALLBACK_STATUS FltUsagePreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID *CompletionContext)
{
    PECP_LIST ecpList = NULL;
    PFLTUSAGE_ECP_CONTEXT ecp = NULL;
    PPREFETCH_OPEN_ECP_CONTEXT prefetch = NULL;
    ULONG size = 0;

    *CompletionContext = NULL;
    if (Data->Iopb->MajorFunction != IRP_MJ_CREATE || FltObjects->FileObject == NULL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if ((Data->Iopb->Parameters.Create.Options >> 24) == FILE_OPEN &&
        (Data->Iopb->Parameters.Create.SecurityContext->DesiredAccess & FILE_WRITE_DATA) != 0 &&
        Data->RequestorMode == UserMode) {
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }
    if (NT_SUCCESS(FltGetEcpListFromCallbackData(Globals.Filter, Data, &ecpList)) && ecpList != NULL) {
        if (NT_SUCCESS(FltFindExtraCreateParameter(Globals.Filter, ecpList, &GUID_ECP_FLTUSAGE, (PVOID *)&ecp, &size)) &&
            size == sizeof(*ecp) && !FltIsEcpFromUserMode(Globals.Filter, ecp)) {
            FltAcknowledgeEcp(Globals.Filter, ecp);
        }
        if (NT_SUCCESS(FltFindExtraCreateParameter(Globals.Filter, ecpList, &GUID_ECP_PREFETCH_OPEN, (PVOID *)&prefetch, NULL))) {
            return FLT_PREOP_SUCCESS_NO_CALLBACK;
        }
    } else if (NT_SUCCESS(FltAllocateExtraCreateParameterList(Globals.Filter, 0, &ecpList))) {
        if (!NT_SUCCESS(FltSetEcpListIntoCallbackData(Globals.Filter, Data, ecpList))) {
            FltFreeExtraCreateParameterList(Globals.Filter, ecpList);
            return FLT_PREOP_SUCCESS_NO_CALLBACK;
        }
        *CompletionContext = ecpList;
    }
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

FLT_POSTOP_CALLBACK_STATUS FltUsagePostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects, PVOID CompletionContext,
                                              FLT_POST_OPERATION_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(FltObjects);
    if ((Flags & FLTFL_POST_OPERATION_DRAINING) == 0 && NT_SUCCESS(Data->IoStatus.Status) &&
        Data->IoStatus.Information == FILE_CREATED && CompletionContext != NULL) {
        FltFreeExtraCreateParameterList(Globals.Filter, (PECP_LIST)CompletionContext);
    }
    return FLT_POSTOP_FINISHED_PROCESSING;
}

CONST FLT_OPERATION_REGISTRATION FltUsageCallbacks[] = {
    { IRP_MJ_CREATE, 0, FltUsagePreCreate, FltUsagePostCreate, NULL },
    { IRP_MJ_CLEANUP, FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO, FltUsagePreCreate, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

CONST FLT_CONTEXT_REGISTRATION FltUsageContexts[] = {
    { FLT_STREAMHANDLE_CONTEXT, 0, NULL, sizeof(ULONG), FLTUSAGE_TAG, NULL, NULL, NULL },
    { FLT_CONTEXT_END, 0, NULL, 0, 0, NULL, NULL, NULL }
};

CONST FLT_REGISTRATION FltUsageCreateRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0,
    FltUsageContexts, FltUsageCallbacks, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

NTSTATUS FltUsageRegisterCreate(PDRIVER_OBJECT DriverObject, PFLT_FILTER *Filter);
NTSTATUS FltUsageRegisterCreate(PDRIVER_OBJECT DriverObject, PFLT_FILTER *Filter)
{
    return FltRegisterFilter(DriverObject, &FltUsageCreateRegistration, Filter);
}

NTSTATUS FltUsageOpen(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PUNICODE_STRING Name);
NTSTATUS FltUsageOpen(PFLT_FILTER Filter, PFLT_INSTANCE Instance, PUNICODE_STRING Name)
{
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    IO_DRIVER_CREATE_CONTEXT driverContext;
    HANDLE handle = NULL;
    PFILE_OBJECT fileObject = NULL;
    PECP_LIST ecpList = NULL;
    POPLOCK_KEY_ECP_CONTEXT oplockKey = NULL;
    PDUAL_OPLOCK_KEY_ECP_CONTEXT dualKey = NULL;
    NTSTATUS status;

    status = FsRtlAllocateExtraCreateParameterList(0, &ecpList);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = FsRtlAllocateExtraCreateParameter(&GUID_ECP_OPLOCK_KEY, sizeof(OPLOCK_KEY_ECP_CONTEXT), 0, NULL, FLTUSAGE_TAG,
                                               (PVOID *)&oplockKey);
    if (NT_SUCCESS(status)) {
        RtlZeroMemory(oplockKey, sizeof(*oplockKey));
        status = FsRtlInsertExtraCreateParameter(ecpList, oplockKey);
        if (!NT_SUCCESS(status)) {
            FsRtlFreeExtraCreateParameter(oplockKey);
        }
    }
    if (NT_SUCCESS(FltAllocateExtraCreateParameter(Filter, &GUID_ECP_DUAL_OPLOCK_KEY, sizeof(*dualKey), 0, NULL, FLTUSAGE_TAG,
                                                   (PVOID *)&dualKey))) {
        dualKey->ParentOplockKeySet = FALSE;
        dualKey->TargetOplockKeySet = FALSE;
        if (!NT_SUCCESS(FltInsertExtraCreateParameter(Filter, ecpList, dualKey))) {
            FltFreeExtraCreateParameter(Filter, dualKey);
        }
    }

    InitializeObjectAttributes(&attributes, Name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IoInitializeDriverCreateContext(&driverContext);
    driverContext.ExtraCreateParameter = ecpList;
    status = FltCreateFileEx2(Filter, Instance, &handle, &fileObject, FILE_GENERIC_READ | SYNCHRONIZE, &attributes, &ioStatus,
                              NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, FILE_OPEN_IF,
                              FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, IO_IGNORE_SHARE_ACCESS_CHECK,
                              &driverContext);
    if (NT_SUCCESS(status)) {
        BOOLEAN acknowledged = FsRtlIsEcpAcknowledged(oplockKey);
        if (fileObject->FileName.Length != 0 && acknowledged) {
            FsRtlPrepareToReuseEcp(oplockKey);
        }
        ObDereferenceObject(fileObject);
        FltClose(handle);
    }
    status = IoCreateFileEx(&handle, FILE_GENERIC_READ, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ,
                            FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL, IO_NO_PARAMETER_CHECKING, &driverContext);
    if (NT_SUCCESS(status)) {
        ZwClose(handle);
    }
    FsRtlFreeExtraCreateParameterList(ecpList);
    return status;
}
