/*
 * SampleMinifilter.c - two minifilters and the create-path ECP code a minifilter writes on
 * Windows, unchanged: ECP lookaside list, ECP list, FltCreateFileEx2 with an
 * IO_DRIVER_CREATE_CONTEXT, FltGetEcpListFromCallbackData / FltFindExtraCreateParameter /
 * FltAcknowledgeEcp in the filter below, FltIsEcpAcknowledged and FltFreeExtraCreateParameterList
 * in the creator, FltSetEcpListIntoCallbackData for a create that has no list.
 *
 * Pool tags (what a pool monitor shows):
 *   SfHt  the upper filter's hint ECPs (its ECP lookaside list)
 *   SfOk  oplock-key ECPs (GUID_ECP_OPLOCK_KEY, from pool)
 *   SfAt  hint ECPs the upper filter attaches to user-mode creates (from pool)
 *   FMel  ECP lists (the Filter Manager's own tag)
 */
#include <fltkernel.h>
#include <wdfhost.h>

#include "SampleMinifilter.h"

#define SF_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))
#define SF_TAG_HINT SF_TAG('S', 'f', 'H', 't')
#define SF_TAG_OPLOCK SF_TAG('S', 'f', 'O', 'k')
#define SF_TAG_ATTACHED SF_TAG('S', 'f', 'A', 't')

/* {7d1c6a52-9b0e-4f3a-8e21-5c4b3a291807} */
static const GUID GUID_ECP_SAMPLE_HINT = { 0x7d1c6a52, 0x9b0e, 0x4f3a, { 0x8e, 0x21, 0x5c, 0x4b, 0x3a, 0x29, 0x18, 0x07 } };

typedef struct _SAMPLE_HINT_ECP {
    ULONG Signature;
    ULONG Sequence;
    BOOLEAN Attached; /* attached by the upper filter's pre-create, not by its own open */
} SAMPLE_HINT_ECP, *PSAMPLE_HINT_ECP;

#define SAMPLE_HINT_SIGNATURE 0x53464874U

static struct {
    PFLT_FILTER Upper;
    PFLT_INSTANCE UpperInstance;
    NPAGED_LOOKASIDE_LIST HintLookaside;
    PFLT_FILTER Lower;
    LONG Unacknowledged;
} SampleFilters;

/* ------------------------------------------------------------------ the lower filter */

static FLT_PREOP_CALLBACK_STATUS SampleLowerPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                      PVOID *CompletionContext)
{
    PECP_LIST ecpList = NULL;
    PSAMPLE_HINT_ECP hint = NULL;
    POPLOCK_KEY_ECP_CONTEXT oplockKey = NULL;
    ULONG size = 0;

    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    PAGED_CODE();

    if (!NT_SUCCESS(FltGetEcpListFromCallbackData(SampleFilters.Lower, Data, &ecpList)) || ecpList == NULL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (NT_SUCCESS(FltFindExtraCreateParameter(SampleFilters.Lower, ecpList, &GUID_ECP_SAMPLE_HINT, (PVOID *)&hint, &size)) &&
        size >= sizeof(SAMPLE_HINT_ECP) && hint->Signature == SAMPLE_HINT_SIGNATURE &&
        !FltIsEcpFromUserMode(SampleFilters.Lower, hint)) {
        FltAcknowledgeEcp(SampleFilters.Lower, hint);
    }
    if (NT_SUCCESS(FltFindExtraCreateParameter(SampleFilters.Lower, ecpList, &GUID_ECP_OPLOCK_KEY, (PVOID *)&oplockKey, NULL))) {
        FltAcknowledgeEcp(SampleFilters.Lower, oplockKey);
    }
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION SampleLowerCallbacks[] = {
    { IRP_MJ_CREATE, 0, SampleLowerPreCreate, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static NTSTATUS SampleLowerUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltUnregisterFilter(SampleFilters.Lower);
    SampleFilters.Lower = NULL;
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION SampleLowerRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0,
    NULL, SampleLowerCallbacks, SampleLowerUnload,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

NTSTATUS SampleMinifilterLowerEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);

    status = FltRegisterFilter(DriverObject, &SampleLowerRegistration, &SampleFilters.Lower);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = FltStartFiltering(SampleFilters.Lower);
    if (!NT_SUCCESS(status)) {
        FltUnregisterFilter(SampleFilters.Lower);
    }
    return status;
}

/* ------------------------------------------------------------------ the upper filter */

static NTSTATUS SampleUpperInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                         DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType)
{
    UNREFERENCED_PARAMETER(Flags);
    UNREFERENCED_PARAMETER(VolumeFilesystemType);
    if (VolumeDeviceType != FILE_DEVICE_DISK_FILE_SYSTEM) {
        return STATUS_FLT_DO_NOT_ATTACH;
    }
    SampleFilters.UpperInstance = FltObjects->Instance;
    return STATUS_SUCCESS;
}

/* A create from above that carries no ECP list: attach ours, take it back in post-create. */
static FLT_PREOP_CALLBACK_STATUS SampleUpperPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                      PVOID *CompletionContext)
{
    PECP_LIST existing = NULL;
    PECP_LIST ecpList = NULL;
    PSAMPLE_HINT_ECP hint = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(FltObjects);
    *CompletionContext = NULL;
    PAGED_CODE();

    status = FltGetEcpListFromCallbackData(SampleFilters.Upper, Data, &existing);
    if (!NT_SUCCESS(status) || existing != NULL) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    if (!NT_SUCCESS(FltAllocateExtraCreateParameterList(SampleFilters.Upper, 0, &ecpList))) {
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    status = FltAllocateExtraCreateParameter(SampleFilters.Upper, &GUID_ECP_SAMPLE_HINT, sizeof(SAMPLE_HINT_ECP), 0, NULL,
                                             SF_TAG_ATTACHED, (PVOID *)&hint);
    if (NT_SUCCESS(status)) {
        hint->Signature = SAMPLE_HINT_SIGNATURE;
        hint->Sequence = 0;
        hint->Attached = TRUE;
        status = FltInsertExtraCreateParameter(SampleFilters.Upper, ecpList, hint);
        if (!NT_SUCCESS(status)) {
            FltFreeExtraCreateParameter(SampleFilters.Upper, hint);
        }
    }
    if (NT_SUCCESS(status)) {
        status = FltSetEcpListIntoCallbackData(SampleFilters.Upper, Data, ecpList);
    }
    if (!NT_SUCCESS(status)) {
        FltFreeExtraCreateParameterList(SampleFilters.Upper, ecpList);
        return FLT_PREOP_SUCCESS_NO_CALLBACK;
    }
    *CompletionContext = ecpList;
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS SampleUpperPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                        PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags)
{
    PECP_LIST ecpList = (PECP_LIST)CompletionContext;
    PSAMPLE_HINT_ECP hint = NULL;

    UNREFERENCED_PARAMETER(Data);
    UNREFERENCED_PARAMETER(FltObjects);
    UNREFERENCED_PARAMETER(Flags);

    if (NT_SUCCESS(FltFindExtraCreateParameter(SampleFilters.Upper, ecpList, &GUID_ECP_SAMPLE_HINT, (PVOID *)&hint, NULL)) &&
        !FltIsEcpAcknowledged(SampleFilters.Upper, hint)) {
        SampleFilters.Unacknowledged++; /* one thread issues the creates */
    }
    FltFreeExtraCreateParameterList(SampleFilters.Upper, ecpList);
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static const FLT_OPERATION_REGISTRATION SampleUpperCallbacks[] = {
    { IRP_MJ_CREATE, 0, SampleUpperPreCreate, SampleUpperPostCreate, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static NTSTATUS SampleUpperUnload(FLT_FILTER_UNLOAD_FLAGS Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    FltDeleteExtraCreateParameterLookasideList(SampleFilters.Upper, &SampleFilters.HintLookaside,
                                               FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
    FltUnregisterFilter(SampleFilters.Upper);
    SampleFilters.Upper = NULL;
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION SampleUpperRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0,
    NULL, SampleUpperCallbacks, SampleUpperUnload,
    SampleUpperInstanceSetup, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

NTSTATUS SampleMinifilterUpperEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);

    status = FltRegisterFilter(DriverObject, &SampleUpperRegistration, &SampleFilters.Upper);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    FltInitExtraCreateParameterLookasideList(SampleFilters.Upper, &SampleFilters.HintLookaside,
                                             FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, sizeof(SAMPLE_HINT_ECP), SF_TAG_HINT);
    status = FltStartFiltering(SampleFilters.Upper);
    if (!NT_SUCCESS(status)) {
        FltDeleteExtraCreateParameterLookasideList(SampleFilters.Upper, &SampleFilters.HintLookaside,
                                                   FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
        FltUnregisterFilter(SampleFilters.Upper);
    }
    return status;
}

/*
 * The upper filter opens a file below itself with a hint ECP (and, when asked, an oplock key),
 * checks that the filter below acknowledged them, frees the list and closes the file.
 */
static NTSTATUS SampleUpperOpen(PUNICODE_STRING Name, ULONG Sequence, BOOLEAN WithOplockKey, ULONG64 *EcpCount)
{
    PECP_LIST ecpList = NULL;
    PSAMPLE_HINT_ECP hint = NULL;
    POPLOCK_KEY_ECP_CONTEXT oplockKey = NULL;
    OBJECT_ATTRIBUTES attributes;
    IO_DRIVER_CREATE_CONTEXT driverContext;
    IO_STATUS_BLOCK ioStatus;
    HANDLE handle = NULL;
    PFILE_OBJECT fileObject = NULL;
    NTSTATUS status;

    PAGED_CODE();

    status = FltAllocateExtraCreateParameterList(SampleFilters.Upper, 0, &ecpList);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = FltAllocateExtraCreateParameterFromLookasideList(SampleFilters.Upper, &GUID_ECP_SAMPLE_HINT, sizeof(SAMPLE_HINT_ECP), 0,
                                                              NULL, &SampleFilters.HintLookaside, (PVOID *)&hint);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    (*EcpCount)++;
    hint->Signature = SAMPLE_HINT_SIGNATURE;
    hint->Sequence = Sequence;
    hint->Attached = FALSE;
    status = FltInsertExtraCreateParameter(SampleFilters.Upper, ecpList, hint);
    if (!NT_SUCCESS(status)) {
        FltFreeExtraCreateParameter(SampleFilters.Upper, hint);
        hint = NULL;
        goto Cleanup;
    }
    if (WithOplockKey) {
        status = FltAllocateExtraCreateParameter(SampleFilters.Upper, &GUID_ECP_OPLOCK_KEY, sizeof(OPLOCK_KEY_ECP_CONTEXT), 0, NULL,
                                                 SF_TAG_OPLOCK, (PVOID *)&oplockKey);
        if (!NT_SUCCESS(status)) {
            goto Cleanup;
        }
        (*EcpCount)++;
        RtlZeroMemory(oplockKey, sizeof(*oplockKey));
        oplockKey->OplockKey.Data1 = Sequence;
        status = FltInsertExtraCreateParameter(SampleFilters.Upper, ecpList, oplockKey);
        if (!NT_SUCCESS(status)) {
            FltFreeExtraCreateParameter(SampleFilters.Upper, oplockKey);
            oplockKey = NULL;
            goto Cleanup;
        }
    }

    InitializeObjectAttributes(&attributes, Name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IoInitializeDriverCreateContext(&driverContext);
    driverContext.ExtraCreateParameter = ecpList;
    status = FltCreateFileEx2(SampleFilters.Upper, SampleFilters.UpperInstance, &handle, &fileObject, FILE_GENERIC_READ, &attributes,
                              &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_OPEN_IF,
                              FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, IO_IGNORE_SHARE_ACCESS_CHECK,
                              &driverContext);
    if (NT_SUCCESS(status)) {
        if (!FltIsEcpAcknowledged(SampleFilters.Upper, hint) ||
            (oplockKey != NULL && !FltIsEcpAcknowledged(SampleFilters.Upper, oplockKey))) {
            SampleFilters.Unacknowledged++; /* one thread issues the creates */
        }
        ObDereferenceObject(fileObject);
        FltClose(handle);
    }

Cleanup:
    /* The list is ours again once the create has returned: free it with the ECPs in it. */
    FltFreeExtraCreateParameterList(SampleFilters.Upper, ecpList);
    return status;
}

ULONG64 SampleMinifilterRunCreates(ULONG Seed, volatile const int *Stop)
{
    static const char *const names[] = { "\\??\\C:\\sample\\a.txt", "\\??\\C:\\sample\\b.txt",
                                         "\\Device\\HarddiskVolume1\\sample\\c.dat", "\\??\\C:\\sample\\d.log" };
    ULONG64 ecps = 0;
    ULONG random = Seed * 2654435761U + 0x9E3779B9U;
    WCHAR buffer[64];
    UNICODE_STRING name;
    ULONG sequence = 0;

    PAGED_CODE();

    while (*Stop == 0) {
        const char *text;
        ULONG length = 0;

        random ^= random << 13;
        random ^= random >> 17;
        random ^= random << 5;
        text = names[random % 4];
        while (text[length] != 0 && length < 63) {
            buffer[length] = (WCHAR)text[length];
            length++;
        }
        buffer[length] = 0;
        name.Buffer = buffer;
        name.Length = (USHORT)(length * sizeof(WCHAR));
        name.MaximumLength = (USHORT)(name.Length + sizeof(WCHAR));
        sequence++;

        if (random % 5 == 0) {
            /* An application's open: the upper filter attaches its own list on the way down. */
            HANDLE handle = NULL;
            if (NT_SUCCESS(WdfHostCreateFile(text, FILE_GENERIC_READ, FILE_SHARE_READ, FILE_OPEN_IF, 0, UserMode, NULL, &handle, NULL))) {
                ecps++;
                ZwClose(handle);
            }
        } else {
            (void)SampleUpperOpen(&name, sequence, (random % 3) == 0, &ecps);
        }
    }
    return ecps;
}

ULONG SampleMinifilterUnacknowledged(VOID)
{
    return (ULONG)SampleFilters.Unacknowledged;
}
