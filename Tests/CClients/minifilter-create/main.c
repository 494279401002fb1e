/*
 * Two minifilters on the host's volume, written as for Windows, and the create path between them:
 *
 *   "EcpUpper" (altitude 385000) opens files itself with FltCreateFileEx2, attaching an ECP from
 *   its ECP lookaside list; "EcpLower" (altitude 365000) finds the ECP in its pre-create callback,
 *   checks and acknowledges it; the upper filter sees the acknowledgment and frees the list.
 *
 * Then an IoCreateFileEx create, a create a filter fails with FLT_PREOP_COMPLETE, and a user-mode
 * create the host issues (FltIsEcpFromUserMode). Prints "check <name>: ok|FAIL"; exits with the
 * number of failures. With an argument, runs one misuse that must stop the process instead.
 */
#include <stdio.h>
#include <string.h>
#include <fltkernel.h>
#include <wdfhost.h>

#define TAG(a, b, c, d) ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

/* {5a0b5d8e-3c1f-4a61-9d47-0f6c2b8e1a33} */
static const GUID GUID_ECP_UPPER_HINT = { 0x5a0b5d8e, 0x3c1f, 0x4a61, { 0x9d, 0x47, 0x0f, 0x6c, 0x2b, 0x8e, 0x1a, 0x33 } };

typedef struct _UPPER_HINT_ECP {
    ULONG Magic;
    ULONG Sequence;
    WCHAR Reason[16];
} UPPER_HINT_ECP, *PUPPER_HINT_ECP;

#define HINT_MAGIC 0x48696e74u

static int failures, passes;
static void check(const char *name, int ok) {
    printf("check %s: %s\n", name, ok ? "ok" : "FAIL");
    if (ok) passes++; else failures++;
}

static UNICODE_STRING Utf16(const char *text, WCHAR *buffer, size_t capacity) {
    size_t length = strlen(text);
    if (length >= capacity) length = capacity - 1;
    for (size_t i = 0; i < length; i++) buffer[i] = (WCHAR)text[i];
    buffer[length] = 0;
    UNICODE_STRING string = { (USHORT)(length * 2), (USHORT)(length * 2 + 2), buffer };
    return string;
}

/* ---------------------------------------------------------------- the lower filter */

static PFLT_FILTER gLower;
static PFLT_INSTANCE gLowerInstance;
static int gLowerPreCreates, gLowerPostCreates, gLowerCleanups, gLowerCloses, gLowerSawHint, gLowerHintOk;
static int gLowerSawUserModeEcp, gLowerSawSystemEcp;
static ULONG gLowerLastOptions;
static KPROCESSOR_MODE gLowerLastMode;
static int gLowerFreeListInFlight; /* misuse: free the create's list while it is in flight */

static NTSTATUS LowerInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                   DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType) {
    (void)Flags;
    gLowerInstance = FltObjects->Instance;
    return VolumeDeviceType == FILE_DEVICE_DISK_FILE_SYSTEM && VolumeFilesystemType == FLT_FSTYPE_NTFS
        ? STATUS_SUCCESS : STATUS_FLT_DO_NOT_ATTACH;
}

static FLT_PREOP_CALLBACK_STATUS LowerPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                PVOID *CompletionContext) {
    PECP_LIST ecpList = NULL;
    PUPPER_HINT_ECP hint = NULL;
    ULONG hintSize = 0;
    *CompletionContext = NULL;
    gLowerPreCreates++;
    gLowerLastOptions = Data->Iopb->Parameters.Create.Options;
    gLowerLastMode = Data->RequestorMode;

    /* A create a test wants failed here: FLT_PREOP_COMPLETE with the status in IoStatus. */
    UNICODE_STRING *name = &FltObjects->FileObject->FileName;
    if (name->Length == 14 && name->Buffer[1] == 'd' && name->Buffer[2] == 'e' && name->Buffer[3] == 'n' &&
        name->Buffer[4] == 'i' && name->Buffer[5] == 'e' && name->Buffer[6] == 'd') {  /* \denied */
        Data->IoStatus.Status = STATUS_ACCESS_DENIED;
        Data->IoStatus.Information = 0;
        return FLT_PREOP_COMPLETE;
    }

    if (!NT_SUCCESS(FltGetEcpListFromCallbackData(gLower, Data, &ecpList)) || ecpList == NULL) {
        return FLT_PREOP_SUCCESS_WITH_CALLBACK;
    }
    if (gLowerFreeListInFlight) {
        FltFreeExtraCreateParameterList(gLower, ecpList); /* not ours, and in flight: a verifier stop */
    }
    if (NT_SUCCESS(FltFindExtraCreateParameter(gLower, ecpList, &GUID_ECP_UPPER_HINT, (PVOID *)&hint, &hintSize))) {
        gLowerSawHint++;
        gLowerHintOk = hintSize == sizeof(UPPER_HINT_ECP) && hint->Magic == HINT_MAGIC && hint->Sequence == 7 &&
                       !FltIsEcpFromUserMode(gLower, hint) && !FltIsEcpAcknowledged(gLower, hint);
        FltAcknowledgeEcp(gLower, hint);
    }
    POPLOCK_KEY_ECP_CONTEXT oplockKey = NULL;
    if (NT_SUCCESS(FltFindExtraCreateParameter(gLower, ecpList, &GUID_ECP_OPLOCK_KEY, (PVOID *)&oplockKey, NULL))) {
        gLowerSawSystemEcp = oplockKey->OplockKey.Data1 == 0x1234;
        if (FltIsEcpFromUserMode(gLower, oplockKey)) gLowerSawUserModeEcp++;
        FltAcknowledgeEcp(gLower, oplockKey);
    }
    return FLT_PREOP_SUCCESS_WITH_CALLBACK;
}

static FLT_POSTOP_CALLBACK_STATUS LowerPostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                  PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags) {
    (void)Data; (void)FltObjects; (void)CompletionContext; (void)Flags;
    gLowerPostCreates++;
    return FLT_POSTOP_FINISHED_PROCESSING;
}

static FLT_PREOP_CALLBACK_STATUS LowerPreCleanup(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                 PVOID *CompletionContext) {
    (void)Data; (void)FltObjects;
    *CompletionContext = NULL;
    gLowerCleanups++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS LowerPreClose(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                               PVOID *CompletionContext) {
    (void)Data; (void)FltObjects;
    *CompletionContext = NULL;
    gLowerCloses++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION LowerCallbacks[] = {
    { IRP_MJ_CREATE, 0, LowerPreCreate, LowerPostCreate, NULL },
    { IRP_MJ_CLEANUP, 0, LowerPreCleanup, NULL, NULL },
    { IRP_MJ_CLOSE, 0, LowerPreClose, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static NTSTATUS LowerUnload(FLT_FILTER_UNLOAD_FLAGS Flags) {
    (void)Flags;
    FltUnregisterFilter(gLower);
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION LowerRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, LowerCallbacks, LowerUnload,
    LowerInstanceSetup, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

static NTSTATUS LowerEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    (void)RegistryPath;
    NTSTATUS status = FltRegisterFilter(DriverObject, &LowerRegistration, &gLower);
    if (!NT_SUCCESS(status)) return status;
    status = FltStartFiltering(gLower);
    if (!NT_SUCCESS(status)) FltUnregisterFilter(gLower);
    return status;
}

/* ---------------------------------------------------------------- the upper filter */

static PFLT_FILTER gUpper;
static PFLT_INSTANCE gUpperInstance;
static NPAGED_LOOKASIDE_LIST gUpperEcpLookaside;
static int gUpperPreCreates, gUpperCleanups, gEcpCleanups;

static VOID UpperHintCleanup(PVOID EcpContext, LPCGUID EcpType) {
    (void)EcpContext;
    if (IsEqualGUID(EcpType, &GUID_ECP_UPPER_HINT)) gEcpCleanups++;
}

static NTSTATUS UpperInstanceSetup(PCFLT_RELATED_OBJECTS FltObjects, FLT_INSTANCE_SETUP_FLAGS Flags,
                                   DEVICE_TYPE VolumeDeviceType, FLT_FILESYSTEM_TYPE VolumeFilesystemType) {
    (void)Flags; (void)VolumeDeviceType; (void)VolumeFilesystemType;
    gUpperInstance = FltObjects->Instance;
    return STATUS_SUCCESS;
}

static FLT_PREOP_CALLBACK_STATUS UpperPreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                PVOID *CompletionContext) {
    (void)Data; (void)FltObjects;
    *CompletionContext = NULL;
    gUpperPreCreates++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static FLT_PREOP_CALLBACK_STATUS UpperPreCleanup(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
                                                 PVOID *CompletionContext) {
    (void)Data; (void)FltObjects;
    *CompletionContext = NULL;
    gUpperCleanups++;
    return FLT_PREOP_SUCCESS_NO_CALLBACK;
}

static const FLT_OPERATION_REGISTRATION UpperCallbacks[] = {
    { IRP_MJ_CREATE, 0, UpperPreCreate, NULL, NULL },
    { IRP_MJ_CLEANUP, 0, UpperPreCleanup, NULL, NULL },
    { IRP_MJ_OPERATION_END, 0, NULL, NULL, NULL }
};

static NTSTATUS UpperUnload(FLT_FILTER_UNLOAD_FLAGS Flags) {
    (void)Flags;
    FltDeleteExtraCreateParameterLookasideList(gUpper, &gUpperEcpLookaside, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL);
    FltUnregisterFilter(gUpper);
    return STATUS_SUCCESS;
}

static const FLT_REGISTRATION UpperRegistration = {
    sizeof(FLT_REGISTRATION), FLT_REGISTRATION_VERSION, 0, NULL, UpperCallbacks, UpperUnload,
    UpperInstanceSetup, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

static NTSTATUS UpperEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    (void)RegistryPath;
    NTSTATUS status = FltRegisterFilter(DriverObject, &UpperRegistration, &gUpper);
    if (!NT_SUCCESS(status)) return status;
    FltInitExtraCreateParameterLookasideList(gUpper, &gUpperEcpLookaside, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL,
                                             sizeof(UPPER_HINT_ECP), TAG('U', 'p', 'E', 'c'));
    status = FltStartFiltering(gUpper);
    if (!NT_SUCCESS(status)) FltUnregisterFilter(gUpper);
    return status;
}

/*
 * The upper filter's own open, as a minifilter writes it: an ECP from its lookaside list in an ECP
 * list, FltCreateFileEx2 below its instance, the acknowledgment checked, the list freed.
 */
static NTSTATUS UpperOpenWithHint(const char *path, ULONG disposition, BOOLEAN *acknowledged, HANDLE *handle,
                                  PFILE_OBJECT *fileObject, IO_STATUS_BLOCK *ioStatus) {
    PECP_LIST ecpList = NULL;
    PUPPER_HINT_ECP hint = NULL;
    NTSTATUS status = FltAllocateExtraCreateParameterList(gUpper, 0, &ecpList);
    if (!NT_SUCCESS(status)) return status;
    status = FltAllocateExtraCreateParameterFromLookasideList(gUpper, &GUID_ECP_UPPER_HINT, sizeof(UPPER_HINT_ECP), 0,
                                                              UpperHintCleanup, &gUpperEcpLookaside, (PVOID *)&hint);
    if (!NT_SUCCESS(status)) goto out;
    hint->Magic = HINT_MAGIC;
    hint->Sequence = 7;
    status = FltInsertExtraCreateParameter(gUpper, ecpList, hint);
    if (!NT_SUCCESS(status)) {
        FltFreeExtraCreateParameter(gUpper, hint);
        goto out;
    }

    WCHAR buffer[128];
    UNICODE_STRING name = Utf16(path, buffer, 128);
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_DRIVER_CREATE_CONTEXT driverContext;
    IoInitializeDriverCreateContext(&driverContext);
    driverContext.ExtraCreateParameter = ecpList;
    status = FltCreateFileEx2(gUpper, gUpperInstance, handle, fileObject, FILE_GENERIC_READ, &attributes, ioStatus, NULL,
                              FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ, disposition, FILE_NON_DIRECTORY_FILE, NULL, 0,
                              IO_IGNORE_SHARE_ACCESS_CHECK, &driverContext);
    *acknowledged = FltIsEcpAcknowledged(gUpper, hint);
out:
    FltFreeExtraCreateParameterList(gUpper, ecpList);
    return status;
}

/* ---------------------------------------------------------------- misuse modes */

static int Misuse(const char *mode, PDRIVER_OBJECT upper) {
    (void)upper;
    if (strcmp(mode, "free-list-in-flight") == 0) {
        BOOLEAN acknowledged = FALSE;
        HANDLE handle = NULL;
        IO_STATUS_BLOCK ioStatus;
        gLowerFreeListInFlight = 1;
        UpperOpenWithHint("\\??\\C:\\misuse.txt", FILE_OPEN_IF, &acknowledged, &handle, NULL, &ioStatus);
    } else if (strcmp(mode, "insert-twice") == 0) {
        PECP_LIST first = NULL, second = NULL;
        PVOID ecp = NULL;
        if (!NT_SUCCESS(FsRtlAllocateExtraCreateParameterList(0, &first)) ||
            !NT_SUCCESS(FsRtlAllocateExtraCreateParameterList(0, &second)) ||
            !NT_SUCCESS(FsRtlAllocateExtraCreateParameter(&GUID_ECP_PREFETCH_OPEN, sizeof(PREFETCH_OPEN_ECP_CONTEXT), 0, NULL,
                                                          TAG('P', 'f', 'E', 'c'), &ecp)))
            return 2;
        NTSTATUS status = FsRtlInsertExtraCreateParameter(first, ecp);
        status = status == STATUS_SUCCESS ? FsRtlInsertExtraCreateParameter(second, ecp) : status;
        printf("second insert: 0x%08X\n", (unsigned)status);
        fflush(stdout);
        /* The ECP is in the first list: freeing it on its own is a verifier stop. */
        FsRtlFreeExtraCreateParameter(ecp);
    } else if (strcmp(mode, "invalid-instance") == 0) {
        HANDLE handle = NULL;
        IO_STATUS_BLOCK ioStatus;
        WCHAR buffer[64];
        UNICODE_STRING name = Utf16("\\??\\C:\\x.txt", buffer, 64);
        OBJECT_ATTRIBUTES attributes;
        InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
        (void)FltCreateFileEx2(gUpper, (PFLT_INSTANCE)(ULONG_PTR)0x1230, &handle, NULL, FILE_GENERIC_READ, &attributes, &ioStatus,
                               NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0, 0, NULL);
    } else if (strcmp(mode, "dereference-too-often") == 0) {
        BOOLEAN acknowledged = FALSE;
        HANDLE handle = NULL;
        PFILE_OBJECT fileObject = NULL;
        IO_STATUS_BLOCK ioStatus;
        UpperOpenWithHint("\\??\\C:\\deref.txt", FILE_OPEN_IF, &acknowledged, &handle, &fileObject, &ioStatus);
        ObDereferenceObject(fileObject);
        ObDereferenceObject(fileObject); /* the handle's reference: REFERENCE_BY_POINTER */
    } else {
        return 2;
    }
    return 0;
}

int main(int argc, char **argv) {
    PDRIVER_OBJECT lower, upper;
    WdfHostSetServiceParameter("EcpLower", "Altitude", 365000);
    WdfHostSetServiceParameter("EcpUpper", "Altitude", 385000);
    WdfHostSetServiceParameter("EcpLower", "VerifierOn", 1);
    WdfHostSetServiceParameter("EcpUpper", "VerifierOn", 1);
    WdfHostSetServiceParameter("EcpUpper", "VerifyDriverLevel", 0x8 | 0x2);
    check("load lower", WdfHostLoadDriver("EcpLower", LowerEntry, &lower) == STATUS_SUCCESS && gLowerInstance != NULL);
    check("load upper", WdfHostLoadDriver("EcpUpper", UpperEntry, &upper) == STATUS_SUCCESS && gUpperInstance != NULL);
    if (argc > 1) return Misuse(argv[1], upper);

    /* 1. The upper filter's own create with its ECP. */
    BOOLEAN acknowledged = FALSE;
    HANDLE handle = NULL;
    PFILE_OBJECT fileObject = NULL;
    IO_STATUS_BLOCK ioStatus = { { 0 }, 99 };
    NTSTATUS status = UpperOpenWithHint("\\??\\C:\\upper\\hint.txt", FILE_OPEN_IF, &acknowledged, &handle, &fileObject, &ioStatus);
    check("FltCreateFileEx2 makes the file", status == STATUS_SUCCESS && handle != NULL && ioStatus.Information == FILE_CREATED);
    check("the create started below the upper filter", gUpperPreCreates == 0 && gLowerPreCreates == 1 && gLowerPostCreates == 1);
    check("the lower filter found and checked the ECP", gLowerSawHint == 1 && gLowerHintOk);
    check("the upper filter sees the acknowledgment", acknowledged);
    check("the ECP was cleaned up once, with the list", gEcpCleanups == 1);
    check("the create's parameters reached the filter", gLowerLastOptions == ((FILE_OPEN_IF << 24) | FILE_NON_DIRECTORY_FILE) &&
                                                        gLowerLastMode == KernelMode);
    WCHAR expected[] = { '\\', 'u', 'p', 'p', 'e', 'r', '\\', 'h', 'i', 'n', 't', '.', 't', 'x', 't' };
    check("the file object has the name on the volume",
          fileObject != NULL && fileObject->FileName.Length == sizeof(expected) &&
          memcmp(fileObject->FileName.Buffer, expected, sizeof(expected)) == 0);
    check("FltClose", FltClose(handle) == STATUS_SUCCESS);
    check("cleanup went to the lower filter once, not to the upper", gLowerCleanups == 1 && gUpperCleanups == 0 && gLowerCloses == 0);
    ObDereferenceObject(fileObject);
    check("the last reference sends the close", gLowerCloses == 1);
    check("a closed handle is invalid", FltClose(handle) == STATUS_INVALID_HANDLE);

    /* 2. IoCreateFileEx with an ECP list (FsRtl forms, a system-defined ECP type), from the top. */
    WCHAR buffer[64];
    UNICODE_STRING name = Utf16("\\Device\\HarddiskVolume1\\io.txt", buffer, 64);
    OBJECT_ATTRIBUTES attributes;
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    PECP_LIST ecpList = NULL;
    POPLOCK_KEY_ECP_CONTEXT oplockKey = NULL;
    check("FsRtlAllocateExtraCreateParameterList", FsRtlAllocateExtraCreateParameterList(0, &ecpList) == STATUS_SUCCESS);
    status = FsRtlAllocateExtraCreateParameter(&GUID_ECP_OPLOCK_KEY, sizeof(OPLOCK_KEY_ECP_CONTEXT), 0, NULL, TAG('O', 'p', 'K', 'y'),
                                               (PVOID *)&oplockKey);
    check("system ECP type allocated", status == STATUS_SUCCESS && oplockKey != NULL);
    memset(oplockKey, 0, sizeof(*oplockKey));
    oplockKey->OplockKey.Data1 = 0x1234;
    check("FsRtlInsertExtraCreateParameter", FsRtlInsertExtraCreateParameter(ecpList, oplockKey) == STATUS_SUCCESS);
    IO_DRIVER_CREATE_CONTEXT driverContext;
    IoInitializeDriverCreateContext(&driverContext);
    driverContext.ExtraCreateParameter = ecpList;
    status = IoCreateFileEx(&handle, FILE_GENERIC_READ, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ,
                            FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL, 0, &driverContext);
    check("IoCreateFileEx of a missing name", status == STATUS_OBJECT_NAME_NOT_FOUND && ioStatus.Status == STATUS_OBJECT_NAME_NOT_FOUND);
    check("both filters saw it, top down", gUpperPreCreates == 1 && gLowerPreCreates == 2 && gLowerSawSystemEcp);
    check("FsRtlIsEcpAcknowledged", FsRtlIsEcpAcknowledged(oplockKey));
    FsRtlPrepareToReuseEcp(oplockKey);
    check("FsRtlPrepareToReuseEcp", !FsRtlIsEcpAcknowledged(oplockKey));
    check("WdfHostAddFile", WdfHostAddFile("\\??\\C:\\io.txt") == STATUS_SUCCESS);
    status = IoCreateFileEx(&handle, FILE_GENERIC_READ, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ,
                            FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL, 0, &driverContext);
    check("IoCreateFileEx opens the file the host added", status == STATUS_SUCCESS && ioStatus.Information == FILE_OPENED);
    check("not from user mode", gLowerSawUserModeEcp == 0);
    int cleanupsBefore = gUpperCleanups;
    check("ZwClose", ZwClose(handle) == STATUS_SUCCESS);
    check("cleanup and close through both filters", gUpperCleanups == cleanupsBefore + 1 && gLowerCloses == 2);
    FsRtlFreeExtraCreateParameterList(ecpList);

    /* 3. A filter fails a create with FLT_PREOP_COMPLETE; the file system never sees it. */
    int postsBefore = gLowerPostCreates;
    status = WdfHostCreateFile("\\??\\C:\\denied", FILE_GENERIC_READ, FILE_SHARE_READ, FILE_OPEN_IF, 0, KernelMode, NULL, &handle,
                               &ioStatus);
    check("FLT_PREOP_COMPLETE fails the create with the filter's status",
          status == STATUS_ACCESS_DENIED && ioStatus.Status == STATUS_ACCESS_DENIED && handle == NULL);
    check("no post-create for the completing filter", gLowerPostCreates == postsBefore);
    check("the file system did not make the file",
          WdfHostCreateFile("\\??\\C:\\DENIED", FILE_GENERIC_READ, 0, FILE_OPEN, 0, KernelMode, NULL, &handle, NULL) ==
              STATUS_OBJECT_NAME_NOT_FOUND);
    check("WdfHostFailFile", WdfHostFailFile("\\??\\C:\\broken.txt", STATUS_SHARING_VIOLATION) == STATUS_SUCCESS &&
                             WdfHostCreateFile("\\??\\C:\\broken.txt", FILE_GENERIC_READ, 0, FILE_OPEN_IF, 0, KernelMode, NULL, &handle,
                                               NULL) == STATUS_SHARING_VIOLATION);
    check("FILE_CREATE of an existing name",
          WdfHostCreateFile("\\??\\C:\\io.txt", FILE_GENERIC_READ, 0, FILE_CREATE, 0, KernelMode, NULL, &handle, NULL) ==
              STATUS_OBJECT_NAME_COLLISION);
    check("another drive", WdfHostCreateFile("\\??\\D:\\x", FILE_GENERIC_READ, 0, FILE_OPEN_IF, 0, KernelMode, NULL, &handle, NULL) ==
                               STATUS_OBJECT_PATH_NOT_FOUND);

    /* 4. A user-mode create the host issues: its ECPs come from user mode. */
    PECP_LIST userList = NULL;
    POPLOCK_KEY_ECP_CONTEXT userKey = NULL;
    check("user list", FsRtlAllocateExtraCreateParameterList(0, &userList) == STATUS_SUCCESS);
    check("user ECP", FsRtlAllocateExtraCreateParameter(&GUID_ECP_OPLOCK_KEY, sizeof(*userKey), 0, NULL, TAG('O', 'p', 'K', 'y'),
                                                        (PVOID *)&userKey) == STATUS_SUCCESS);
    memset(userKey, 0, sizeof(*userKey));
    userKey->OplockKey.Data1 = 0x1234;
    check("user insert", FsRtlInsertExtraCreateParameter(userList, userKey) == STATUS_SUCCESS);
    status = WdfHostCreateFile("\\??\\C:\\user.txt", FILE_GENERIC_READ | FILE_GENERIC_WRITE, FILE_SHARE_READ, FILE_CREATE, 0, UserMode,
                               userList, &handle, &ioStatus);
    check("user-mode create", status == STATUS_SUCCESS && ioStatus.Information == FILE_CREATED && gLowerLastMode == UserMode);
    check("FltIsEcpFromUserMode in the filter", gLowerSawUserModeEcp == 1);
    check("FsRtlIsEcpFromUserMode for the creator", FsRtlIsEcpFromUserMode(userKey));
    check("user handle closed", ZwClose(handle) == STATUS_SUCCESS);
    FsRtlFreeExtraCreateParameterList(userList);

    status = WdfHostUnloadDriver(upper);
    check("unload upper (no leaks)", status == STATUS_SUCCESS);
    status = WdfHostUnloadDriver(lower);
    check("unload lower", status == STATUS_SUCCESS);
    printf("summary: %d checks ok, %d failed\n", passes, failures);
    return failures;
}
