/*
 * fltkernel.h - Filter Manager for minifilter code hosted in a Linux process.
 *
 * What the host's Filter Manager implements: filter registration (FLT_REGISTRATION with
 * FLT_OPERATION_REGISTRATION entries for IRP_MJ_CREATE, IRP_MJ_CLEANUP and IRP_MJ_CLOSE),
 * FltStartFiltering (the filter's instance attaches to the host's one volume,
 * \Device\HarddiskVolume1, at its service's Altitude), the create path (FltCreateFileEx2,
 * IoCreateFileEx and the host's WdfHostCreateFile run the filters' pre-operation callbacks top
 * down, the host's in-memory file system, then the post-operation callbacks bottom up; FltClose and
 * ZwClose send IRP_MJ_CLEANUP and IRP_MJ_CLOSE the same way), and extra create parameters (ECP
 * lookaside lists, ECPs, ECP lists, in their Flt and FsRtl forms, and the system-defined ECP
 * types). Minifilter code written against the WDK reference pages compiles against it unchanged
 * with clang or gcc (C11 or C++).
 *
 * As in the WDK, PFLT_FILTER, PFLT_INSTANCE, PFLT_VOLUME and PECP_LIST are pointers to distinct
 * incomplete structure types. Structures that filters read (FLT_CALLBACK_DATA,
 * FLT_IO_PARAMETER_BLOCK, FLT_PARAMETERS, FLT_RELATED_OBJECTS, FILE_OBJECT, IO_STATUS_BLOCK,
 * OBJECT_ATTRIBUTES) have the 64-bit WDK layout.
 *
 * Only routines that the library implements are declared; everything else is a type, a constant
 * or a macro. Flag constants carry a U suffix so that Swift sees them with the type of their ULONG
 * flag typedefs (C code is not affected).
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

/* A filter's instance on a volume, and the volume (opaque). */
typedef struct _FLT_INSTANCE *PFLT_INSTANCE;
typedef struct _FLT_VOLUME *PFLT_VOLUME;
typedef struct _FLT_NAME_CONTROL *PFLT_NAME_CONTROL;
typedef struct _FILE_NAMES_INFORMATION *PFILE_NAMES_INFORMATION;

/* A filter-defined context. */
typedef PVOID PFLT_CONTEXT;
#define NULL_CONTEXT ((PFLT_CONTEXT)NULL)

/* ============================================================================================
 * I/O manager types of the create path (wdm.h / ntifs.h in the WDK)
 * ============================================================================================ */

#ifndef _Outptr_result_maybenull_
#define _Outptr_result_maybenull_
#endif
#ifndef _Out_opt_
#define _Out_opt_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif

#ifndef FASTCALL
#define FASTCALL
#endif

#ifndef POINTER_ALIGNMENT
#define POINTER_ALIGNMENT DECLSPEC_ALIGN(8)
#endif

typedef char CCHAR;
typedef ULONG_PTR KSPIN_LOCK;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KTRANSACTION *PKTRANSACTION;
typedef struct _MDL *PMDL;
typedef struct _VPB *PVPB;
typedef struct _SECTION_OBJECT_POINTERS *PSECTION_OBJECT_POINTERS;
typedef struct _IO_COMPLETION_CONTEXT *PIO_COMPLETION_CONTEXT;
typedef struct _ACCESS_STATE *PACCESS_STATE;
typedef struct _SECURITY_QUALITY_OF_SERVICE *PSECURITY_QUALITY_OF_SERVICE;
typedef struct _TXN_PARAMETER_BLOCK *PTXN_PARAMETER_BLOCK;
typedef struct _ESILO *PESILO;

/* Who issued a request: KPROCESSOR_MODE and MODE (KernelMode, UserMode) come from wdm.h. */

/* Access rights (ACCESS_MASK) a create asks for. */
typedef ULONG ACCESS_MASK, *PACCESS_MASK;
#define DELETE 0x00010000U
#define READ_CONTROL 0x00020000U
#define WRITE_DAC 0x00040000U
#define WRITE_OWNER 0x00080000U
#define SYNCHRONIZE 0x00100000U
#define STANDARD_RIGHTS_REQUIRED 0x000F0000U
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000U
#define ACCESS_SYSTEM_SECURITY 0x01000000U
#define MAXIMUM_ALLOWED 0x02000000U
#define GENERIC_READ 0x80000000U
#define GENERIC_WRITE 0x40000000U
#define GENERIC_EXECUTE 0x20000000U
#define GENERIC_ALL 0x10000000U
#define FILE_READ_DATA 0x0001U
#define FILE_LIST_DIRECTORY 0x0001U
#define FILE_WRITE_DATA 0x0002U
#define FILE_ADD_FILE 0x0002U
#define FILE_APPEND_DATA 0x0004U
#define FILE_ADD_SUBDIRECTORY 0x0004U
#define FILE_READ_EA 0x0008U
#define FILE_WRITE_EA 0x0010U
#define FILE_EXECUTE 0x0020U
#define FILE_TRAVERSE 0x0020U
#define FILE_DELETE_CHILD 0x0040U
#define FILE_READ_ATTRIBUTES 0x0080U
#define FILE_WRITE_ATTRIBUTES 0x0100U
#define FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FFU)
#define FILE_GENERIC_READ (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

/* Share access. */
#define FILE_SHARE_READ 0x00000001U
#define FILE_SHARE_WRITE 0x00000002U
#define FILE_SHARE_DELETE 0x00000004U
#define FILE_SHARE_VALID_FLAGS 0x00000007U

/* File attributes. */
#define FILE_ATTRIBUTE_READONLY 0x00000001U
#define FILE_ATTRIBUTE_HIDDEN 0x00000002U
#define FILE_ATTRIBUTE_SYSTEM 0x00000004U
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010U
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020U
#define FILE_ATTRIBUTE_NORMAL 0x00000080U
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100U

/* Create dispositions. */
#define FILE_SUPERSEDE 0x00000000U
#define FILE_OPEN 0x00000001U
#define FILE_CREATE 0x00000002U
#define FILE_OPEN_IF 0x00000003U
#define FILE_OVERWRITE 0x00000004U
#define FILE_OVERWRITE_IF 0x00000005U
#define FILE_MAXIMUM_DISPOSITION 0x00000005U

/* Create options. */
#define FILE_DIRECTORY_FILE 0x00000001U
#define FILE_WRITE_THROUGH 0x00000002U
#define FILE_SEQUENTIAL_ONLY 0x00000004U
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008U
#define FILE_SYNCHRONOUS_IO_ALERT 0x00000010U
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020U
#define FILE_NON_DIRECTORY_FILE 0x00000040U
#define FILE_CREATE_TREE_CONNECTION 0x00000080U
#define FILE_COMPLETE_IF_OPLOCKED 0x00000100U
#define FILE_NO_EA_KNOWLEDGE 0x00000200U
#define FILE_OPEN_REMOTE_INSTANCE 0x00000400U
#define FILE_RANDOM_ACCESS 0x00000800U
#define FILE_DELETE_ON_CLOSE 0x00001000U
#define FILE_OPEN_BY_FILE_ID 0x00002000U
#define FILE_OPEN_FOR_BACKUP_INTENT 0x00004000U
#define FILE_NO_COMPRESSION 0x00008000U
#define FILE_RESERVE_OPFILTER 0x00100000U
#define FILE_OPEN_REPARSE_POINT 0x00200000U
#define FILE_OPEN_NO_RECALL 0x00400000U
#define FILE_OPEN_FOR_FREE_SPACE_QUERY 0x00800000U
#define FILE_VALID_OPTION_FLAGS 0x00FFFFFFU

/* IoStatus.Information after a create. */
#define FILE_SUPERSEDED 0x00000000U
#define FILE_OPENED 0x00000001U
#define FILE_CREATED 0x00000002U
#define FILE_OVERWRITTEN 0x00000003U
#define FILE_EXISTS 0x00000004U
#define FILE_DOES_NOT_EXIST 0x00000005U

/* Object attributes. */
#define OBJ_INHERIT 0x00000002L
#define OBJ_PERMANENT 0x00000010L
#define OBJ_EXCLUSIVE 0x00000020L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_OPENIF 0x00000080L
#define OBJ_OPENLINK 0x00000100L
#define OBJ_KERNEL_HANDLE 0x00000200L
#define OBJ_FORCE_ACCESS_CHECK 0x00000400L

/* Create flags (IoCreateFileEx Options, FltCreateFileEx2 Flags). */
#define IO_FORCE_ACCESS_CHECK 0x0001U
#define IO_NO_PARAMETER_CHECKING 0x0100U
#define IO_IGNORE_SHARE_ACCESS_CHECK 0x0800U

/* Status codes of the create path (guarded: ntstatus.h may define them too). */
#ifndef STATUS_INVALID_HANDLE
#define STATUS_INVALID_HANDLE ((NTSTATUS)-1073741816)                  /* 0xC0000008 */
#endif
#ifndef STATUS_ACCESS_DENIED
#define STATUS_ACCESS_DENIED ((NTSTATUS)-1073741790)                   /* 0xC0000022 */
#endif
#ifndef STATUS_OBJECT_NAME_NOT_FOUND
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)-1073741772)           /* 0xC0000034 */
#endif
#ifndef STATUS_OBJECT_NAME_COLLISION
#define STATUS_OBJECT_NAME_COLLISION ((NTSTATUS)-1073741771)           /* 0xC0000035 */
#endif
#ifndef STATUS_OBJECT_PATH_NOT_FOUND
#define STATUS_OBJECT_PATH_NOT_FOUND ((NTSTATUS)-1073741766)           /* 0xC000003A */
#endif
#ifndef STATUS_OBJECT_PATH_SYNTAX_BAD
#define STATUS_OBJECT_PATH_SYNTAX_BAD ((NTSTATUS)-1073741765)          /* 0xC000003B */
#endif
#ifndef STATUS_SHARING_VIOLATION
#define STATUS_SHARING_VIOLATION ((NTSTATUS)-1073741757)               /* 0xC0000043 */
#endif
#ifndef STATUS_FLT_DO_NOT_ATTACH
#define STATUS_FLT_DO_NOT_ATTACH ((NTSTATUS)-1071906801)               /* 0xC01C000F */
#endif
#ifndef STATUS_FLT_INSTANCE_ALTITUDE_COLLISION
#define STATUS_FLT_INSTANCE_ALTITUDE_COLLISION ((NTSTATUS)-1071906799) /* 0xC01C0011 */
#endif

/* The status block of a request (16 bytes). */
typedef struct _IO_STATUS_BLOCK {
    __extension__ union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/* What to open (48 bytes); InitializeObjectAttributes fills it. */
typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef CONST OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
    do {                                           \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);   \
        (p)->RootDirectory = (r);                  \
        (p)->Attributes = (a);                     \
        (p)->ObjectName = (n);                     \
        (p)->SecurityDescriptor = (s);             \
        (p)->SecurityQualityOfService = NULL;      \
    } while (0)

/* The security context of a create (Parameters.Create.SecurityContext). */
typedef struct _IO_SECURITY_CONTEXT {
    PSECURITY_QUALITY_OF_SERVICE SecurityQos;
    PACCESS_STATE AccessState;
    ACCESS_MASK DesiredAccess;
    ULONG FullCreateOptions;
} IO_SECURITY_CONTEXT, *PIO_SECURITY_CONTEXT;

/* The storage of FILE_OBJECT's Lock and Event (a KEVENT's 24 bytes; not used here). */
typedef struct _FLT_HOST_EVENT_STORAGE {
    ULONG_PTR Reserved[3];
} FLT_HOST_EVENT_STORAGE;

/*
 * An open file (216 bytes). FileName is the name on the volume (\dir\file). The host's file
 * system owns FsContext and FsContext2; the filters read the rest.
 */
typedef struct _FILE_OBJECT {
    CSHORT Type;                                    /* 0x00 IO_TYPE_FILE (5) */
    CSHORT Size;                                    /* 0x02 sizeof(FILE_OBJECT) */
    PDEVICE_OBJECT DeviceObject;                    /* 0x08 */
    PVPB Vpb;                                       /* 0x10 */
    PVOID FsContext;                                /* 0x18 */
    PVOID FsContext2;                               /* 0x20 */
    PSECTION_OBJECT_POINTERS SectionObjectPointer;  /* 0x28 */
    PVOID PrivateCacheMap;                          /* 0x30 */
    NTSTATUS FinalStatus;                           /* 0x38 */
    struct _FILE_OBJECT *RelatedFileObject;         /* 0x40 */
    BOOLEAN LockOperation;                          /* 0x48 */
    BOOLEAN DeletePending;
    BOOLEAN ReadAccess;
    BOOLEAN WriteAccess;
    BOOLEAN DeleteAccess;
    BOOLEAN SharedRead;
    BOOLEAN SharedWrite;
    BOOLEAN SharedDelete;
    ULONG Flags;                                    /* 0x50 FO_* */
    UNICODE_STRING FileName;                        /* 0x58 */
    LARGE_INTEGER CurrentByteOffset;                /* 0x68 */
    volatile ULONG Waiters;                         /* 0x70 */
    volatile ULONG Busy;                            /* 0x74 */
    PVOID LastLock;                                 /* 0x78 */
    FLT_HOST_EVENT_STORAGE Lock;                    /* 0x80 */
    FLT_HOST_EVENT_STORAGE Event;                   /* 0x98 */
    volatile PIO_COMPLETION_CONTEXT CompletionContext; /* 0xB0 */
    KSPIN_LOCK IrpListLock;                         /* 0xB8 */
    LIST_ENTRY IrpList;                             /* 0xC0 */
    volatile PVOID FileObjectExtension;             /* 0xD0 */
} FILE_OBJECT, *PFILE_OBJECT;

#define FO_SYNCHRONOUS_IO 0x00000002U
#define FO_HANDLE_CREATED 0x00040000U
#define FO_FILE_OPEN_CANCELLED 0x00200000U

/* The ECP list IoCreateFileEx passes down (IO_DRIVER_CREATE_CONTEXT, 40 bytes). */
typedef struct _ECP_LIST ECP_LIST, *PECP_LIST;

typedef struct _IO_DRIVER_CREATE_CONTEXT {
    CSHORT Size;
    struct _ECP_LIST *ExtraCreateParameter;
    PVOID DeviceObjectHint;
    PTXN_PARAMETER_BLOCK TxnParameters;
    PESILO SiloContext;
} IO_DRIVER_CREATE_CONTEXT, *PIO_DRIVER_CREATE_CONTEXT;

FORCEINLINE VOID IoInitializeDriverCreateContext(PIO_DRIVER_CREATE_CONTEXT DriverContext)
{
    DriverContext->Size = (CSHORT)sizeof(IO_DRIVER_CREATE_CONTEXT);
    DriverContext->ExtraCreateParameter = NULL;
    DriverContext->DeviceObjectHint = NULL;
    DriverContext->TxnParameters = NULL;
    DriverContext->SiloContext = NULL;
}

typedef enum _CREATE_FILE_TYPE {
    CreateFileTypeNone,
    CreateFileTypeNamedPipe,
    CreateFileTypeMailslot
} CREATE_FILE_TYPE;

/* ============================================================================================
 * Operations: major functions, callback data, related objects
 * ============================================================================================ */

/* The major function codes (IRP_MJ_CREATE ... IRP_MJ_PNP) are in wdm.h. */
/* Ends an FLT_OPERATION_REGISTRATION array. */
#define IRP_MJ_OPERATION_END ((UCHAR)0x80)

/* FLT_CALLBACK_DATA Flags. */
typedef ULONG FLT_CALLBACK_DATA_FLAGS;
#define FLTFL_CALLBACK_DATA_REISSUE_MASK 0x0000FFFFU
#define FLTFL_CALLBACK_DATA_IRP_OPERATION 0x00000001U
#define FLTFL_CALLBACK_DATA_FAST_IO_OPERATION 0x00000002U
#define FLTFL_CALLBACK_DATA_FS_FILTER_OPERATION 0x00000004U
#define FLTFL_CALLBACK_DATA_SYSTEM_BUFFER 0x00000008U
#define FLTFL_CALLBACK_DATA_GENERATED_IO 0x00010000U
#define FLTFL_CALLBACK_DATA_REISSUED_IO 0x00020000U
#define FLTFL_CALLBACK_DATA_DRAINING_IO 0x00040000U
#define FLTFL_CALLBACK_DATA_POST_OPERATION 0x00080000U
#define FLTFL_CALLBACK_DATA_NEW_SYSTEM_BUFFER 0x00100000U
#define FLTFL_CALLBACK_DATA_DIRTY 0x80000000U

/*
 * The parameters of an operation (48 bytes): Create here; the other majors' members are laid
 * out so that code that names them compiles.
 */
typedef union _FLT_PARAMETERS {
    struct {
        PIO_SECURITY_CONTEXT SecurityContext;
        ULONG Options;                              /* disposition << 24 | create options */
        USHORT POINTER_ALIGNMENT FileAttributes;
        USHORT ShareAccess;
        ULONG POINTER_ALIGNMENT EaLength;
        PVOID EaBuffer;
        LARGE_INTEGER AllocationSize;
    } Create;
    struct {
        ULONG Length;
        ULONG POINTER_ALIGNMENT Key;
        LARGE_INTEGER ByteOffset;
        PVOID ReadBuffer;
        PMDL MdlAddress;
    } Read;
    struct {
        ULONG Length;
        ULONG POINTER_ALIGNMENT Key;
        LARGE_INTEGER ByteOffset;
        PVOID WriteBuffer;
        PMDL MdlAddress;
    } Write;
    union {
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
        } Common;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID InputBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Neither;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID SystemBuffer;
        } Buffered;
        struct {
            ULONG OutputBufferLength;
            ULONG POINTER_ALIGNMENT InputBufferLength;
            ULONG POINTER_ALIGNMENT IoControlCode;
            PVOID InputSystemBuffer;
            PVOID OutputBuffer;
            PMDL OutputMdlAddress;
        } Direct;
    } DeviceIoControl;
    struct {
        PVOID Argument1;
        PVOID Argument2;
        PVOID Argument3;
        PVOID Argument4;
        PVOID Argument5;
        LARGE_INTEGER Argument6;
    } Others;
} FLT_PARAMETERS, *PFLT_PARAMETERS;

/* FLT_IO_PARAMETER_BLOCK (72 bytes). */
typedef struct _FLT_IO_PARAMETER_BLOCK {
    ULONG IrpFlags;
    UCHAR MajorFunction;
    UCHAR MinorFunction;
    UCHAR OperationFlags;
    UCHAR Reserved;
    PFILE_OBJECT TargetFileObject;
    PFLT_INSTANCE TargetInstance;
    FLT_PARAMETERS Parameters;
} FLT_IO_PARAMETER_BLOCK, *PFLT_IO_PARAMETER_BLOCK;

/* An operation as the filters see it (88 bytes). */
typedef struct _FLT_CALLBACK_DATA {
    FLT_CALLBACK_DATA_FLAGS Flags;
    PETHREAD CONST Thread;
    PFLT_IO_PARAMETER_BLOCK CONST Iopb;
    IO_STATUS_BLOCK IoStatus;
    struct _FLT_TAG_DATA_BUFFER *TagData;
    __extension__ union {
        __extension__ struct {
            LIST_ENTRY QueueLinks;
            PVOID QueueContext[2];
        };
        PVOID FilterContext[4];
    };
    KPROCESSOR_MODE RequestorMode;
} FLT_CALLBACK_DATA, *PFLT_CALLBACK_DATA;

/* The objects an operation concerns (48 bytes). */
typedef struct _FLT_RELATED_OBJECTS {
    USHORT CONST Size;
    USHORT CONST TransactionContext;
    PFLT_FILTER CONST Filter;
    PFLT_VOLUME CONST Volume;
    PFLT_INSTANCE CONST Instance;
    PFILE_OBJECT CONST FileObject;
    PKTRANSACTION CONST Transaction;
} FLT_RELATED_OBJECTS, *PFLT_RELATED_OBJECTS;
typedef CONST struct _FLT_RELATED_OBJECTS *PCFLT_RELATED_OBJECTS;

/* What a pre-operation callback returns. */
typedef enum _FLT_PREOP_CALLBACK_STATUS {
    FLT_PREOP_SUCCESS_WITH_CALLBACK,
    FLT_PREOP_SUCCESS_NO_CALLBACK,
    FLT_PREOP_PENDING,              /* not supported here: a verifier stop */
    FLT_PREOP_DISALLOW_FASTIO,      /* fast I/O only: a verifier stop for a create */
    FLT_PREOP_COMPLETE,
    FLT_PREOP_SYNCHRONIZE,
    FLT_PREOP_DISALLOW_FSFILTER_IO
} FLT_PREOP_CALLBACK_STATUS, *PFLT_PREOP_CALLBACK_STATUS;

/* What a post-operation callback returns. */
typedef enum _FLT_POSTOP_CALLBACK_STATUS {
    FLT_POSTOP_FINISHED_PROCESSING,
    FLT_POSTOP_MORE_PROCESSING_REQUIRED,    /* not supported here: a verifier stop */
    FLT_POSTOP_DISALLOW_FSFILTER_IO
} FLT_POSTOP_CALLBACK_STATUS, *PFLT_POSTOP_CALLBACK_STATUS;

typedef ULONG FLT_POST_OPERATION_FLAGS;
#define FLTFL_POST_OPERATION_DRAINING 0x00000001U

/*
 * Operation callbacks, called at PASSIVE_LEVEL on the thread that issued the operation:
 *
 *     FLT_PREOP_CALLBACK_STATUS PreCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
 *                                         PVOID *CompletionContext);
 *     FLT_POSTOP_CALLBACK_STATUS PostCreate(PFLT_CALLBACK_DATA Data, PCFLT_RELATED_OBJECTS FltObjects,
 *                                           PVOID CompletionContext, FLT_POST_OPERATION_FLAGS Flags);
 */
typedef FLT_PREOP_CALLBACK_STATUS FLTAPI FLT_PRE_OPERATION_CALLBACK(
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _Outptr_result_maybenull_ PVOID *CompletionContext);
typedef FLT_PRE_OPERATION_CALLBACK *PFLT_PRE_OPERATION_CALLBACK;

typedef FLT_POSTOP_CALLBACK_STATUS FLTAPI FLT_POST_OPERATION_CALLBACK(
    _Inout_ PFLT_CALLBACK_DATA Data,
    _In_ PCFLT_RELATED_OBJECTS FltObjects,
    _In_opt_ PVOID CompletionContext,
    _In_ FLT_POST_OPERATION_FLAGS Flags);
typedef FLT_POST_OPERATION_CALLBACK *PFLT_POST_OPERATION_CALLBACK;

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

/* One entry of the operations a filter registers (32 bytes); the array ends with IRP_MJ_OPERATION_END. */
typedef ULONG FLT_OPERATION_REGISTRATION_FLAGS;
#define FLTFL_OPERATION_REGISTRATION_SKIP_PAGING_IO 0x00000001U
#define FLTFL_OPERATION_REGISTRATION_SKIP_CACHED_IO 0x00000002U
#define FLTFL_OPERATION_REGISTRATION_SKIP_NON_DASD_IO 0x00000004U
#define FLTFL_OPERATION_REGISTRATION_SKIP_NON_CACHED_NON_PAGING_IO 0x00000008U

typedef struct _FLT_OPERATION_REGISTRATION {
    UCHAR MajorFunction;
    FLT_OPERATION_REGISTRATION_FLAGS Flags;
    PFLT_PRE_OPERATION_CALLBACK PreOperation;
    PFLT_POST_OPERATION_CALLBACK PostOperation;
    PVOID Reserved1;
} FLT_OPERATION_REGISTRATION, *PFLT_OPERATION_REGISTRATION;

/*
 * Context registrations (40 bytes): accepted by FltRegisterFilter and not used (no context
 * routines are implemented here).
 */
typedef USHORT FLT_CONTEXT_TYPE;
#define FLT_VOLUME_CONTEXT 0x0001
#define FLT_INSTANCE_CONTEXT 0x0002
#define FLT_FILE_CONTEXT 0x0004
#define FLT_STREAM_CONTEXT 0x0008
#define FLT_STREAMHANDLE_CONTEXT 0x0010
#define FLT_TRANSACTION_CONTEXT 0x0020
#define FLT_SECTION_CONTEXT 0x0040
#define FLT_CONTEXT_END 0xffff
typedef USHORT FLT_CONTEXT_REGISTRATION_FLAGS;
typedef VOID (FLTAPI *PFLT_CONTEXT_CLEANUP_CALLBACK)(_In_ PFLT_CONTEXT Context, _In_ FLT_CONTEXT_TYPE ContextType);
typedef PVOID (FLTAPI *PFLT_CONTEXT_ALLOCATE_CALLBACK)(_In_ POOL_TYPE PoolType, _In_ SIZE_T Size, _In_ FLT_CONTEXT_TYPE ContextType);
typedef VOID (FLTAPI *PFLT_CONTEXT_FREE_CALLBACK)(_In_ PVOID Pool, _In_ FLT_CONTEXT_TYPE ContextType);

typedef struct _FLT_CONTEXT_REGISTRATION {
    FLT_CONTEXT_TYPE ContextType;
    FLT_CONTEXT_REGISTRATION_FLAGS Flags;
    PFLT_CONTEXT_CLEANUP_CALLBACK ContextCleanupCallback;
    SIZE_T Size;
    ULONG PoolTag;
    PFLT_CONTEXT_ALLOCATE_CALLBACK ContextAllocateCallback;
    PFLT_CONTEXT_FREE_CALLBACK ContextFreeCallback;
    PVOID Reserved1;
} FLT_CONTEXT_REGISTRATION, *PFLT_CONTEXT_REGISTRATION;

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

/*
 * Instance callbacks. InstanceSetupCallback runs when FltStartFiltering attaches the filter to
 * the host's volume (Flags FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT, FILE_DEVICE_DISK_FILE_SYSTEM,
 * FLT_FSTYPE_NTFS); a failure status (STATUS_FLT_DO_NOT_ATTACH) keeps the filter off it. The
 * instance is detached when the filter is unregistered; the query-teardown and teardown callbacks
 * are never called.
 */
typedef ULONG FLT_INSTANCE_SETUP_FLAGS;
typedef ULONG FLT_INSTANCE_QUERY_TEARDOWN_FLAGS;
typedef ULONG FLT_INSTANCE_TEARDOWN_FLAGS;
#define FLTFL_INSTANCE_SETUP_AUTOMATIC_ATTACHMENT 0x00000001U
#define FLTFL_INSTANCE_SETUP_MANUAL_ATTACHMENT 0x00000002U
#define FLTFL_INSTANCE_SETUP_NEWLY_MOUNTED_VOLUME 0x00000004U
#define FLTFL_INSTANCE_TEARDOWN_MANUAL 0x00000001U
#define FLTFL_INSTANCE_TEARDOWN_FILTER_UNLOAD 0x00000002U
#define FLTFL_INSTANCE_TEARDOWN_MANDATORY_FILTER_UNLOAD 0x00000004U
#define FLTFL_INSTANCE_TEARDOWN_VOLUME_DISMOUNT 0x00000008U
#define FLTFL_INSTANCE_TEARDOWN_INTERNAL_ERROR 0x00000010U
#ifndef FILE_DEVICE_DISK_FILE_SYSTEM
#define FILE_DEVICE_DISK_FILE_SYSTEM 0x00000008U
#endif

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
    CONST FLT_CONTEXT_REGISTRATION *ContextRegistration;                /* 0x08 accepted, not used */
    CONST FLT_OPERATION_REGISTRATION *OperationRegistration;            /* 0x10 IRP_MJ_CREATE/CLEANUP/CLOSE */
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
 * Registration->Size and Version must be valid. OperationRegistration entries for IRP_MJ_CREATE,
 * IRP_MJ_CLEANUP and IRP_MJ_CLOSE are called; entries for other majors are accepted and never
 * called (no other I/O is issued here). The instance's altitude is the service's Altitude value
 * (WdfHostSetServiceParameter), 370000 when it has none.
 */
_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltRegisterFilter(_In_ PDRIVER_OBJECT Driver,
                                  _In_ CONST FLT_REGISTRATION *Registration,
                                  _Outptr_ PFLT_FILTER *RetFilter);

/*
 * Attaches the filter's instance to the host's volume (its InstanceSetupCallback runs first).
 * STATUS_FLT_INSTANCE_ALTITUDE_COLLISION when another filter's instance has the same altitude.
 */
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
 * Allocates an ECP from LookasideListEx when SizeOfContext fits its entries (the quota flag is then
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
    _Inout_ PVOID LookasideListEx,
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

/* TRUE when the ECP came with a user-mode create (WdfHostCreateFile with UserMode). */
_IRQL_requires_max_(APC_LEVEL)
BOOLEAN FLTAPI FltIsEcpFromUserMode(_In_ PFLT_FILTER Filter, _In_ PVOID EcpContext);

/* ============================================================================================
 * The create path
 * ============================================================================================ */

/*
 * The ECP list attached to a create's callback data (*EcpList NULL when there is none).
 * STATUS_INVALID_PARAMETER when CallbackData is not a create.
 */
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltGetEcpListFromCallbackData(_In_ PFLT_FILTER Filter,
                                              _In_ PFLT_CALLBACK_DATA CallbackData,
                                              _Outptr_result_maybenull_ PECP_LIST *EcpList);

/*
 * Attaches EcpList to a create that has no list yet (from a pre-create callback): the instances
 * below see it. The list is the caller's: free it once the create has come back up past the
 * caller's instance (in its post-create callback, or later). STATUS_INVALID_PARAMETER_2 when
 * CallbackData is not a create, STATUS_INVALID_PARAMETER_3 when it already has a list.
 */
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS FLTAPI FltSetEcpListIntoCallbackData(_In_ PFLT_FILTER Filter,
                                              _In_ PFLT_CALLBACK_DATA CallbackData,
                                              _In_ PECP_LIST EcpList);

/*
 * Opens or creates a file on the host's volume from a filter: the create starts below Instance
 * (at the top of the volume's stack when Instance is NULL), and the file's later cleanup and close
 * go to the same instances. WdfAttributes->ObjectName is \Device\HarddiskVolume1\..., or
 * \??\C:\.... DriverContext->ExtraCreateParameter carries an ECP list (the caller's: free it
 * after this returns). *FileHandle is a kernel handle, closed with FltClose; *FileObject (when
 * asked for) is referenced: release it with ObDereferenceObject. PASSIVE_LEVEL.
 */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltCreateFileEx2(_In_ PFLT_FILTER Filter,
                                 _In_opt_ PFLT_INSTANCE Instance,
                                 _Out_ PHANDLE FileHandle,
                                 _Outptr_opt_ PFILE_OBJECT *FileObject,
                                 _In_ ACCESS_MASK DesiredAccess,
                                 _In_ POBJECT_ATTRIBUTES WdfAttributes,
                                 _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                 _In_opt_ PLARGE_INTEGER AllocationSize,
                                 _In_ ULONG FileAttributes,
                                 _In_ ULONG ShareAccess,
                                 _In_ ULONG CreateDisposition,
                                 _In_ ULONG CreateOptions,
                                 _In_opt_ PVOID EaBuffer,
                                 _In_ ULONG EaLength,
                                 _In_ ULONG Flags,
                                 _In_opt_ PIO_DRIVER_CREATE_CONTEXT DriverContext);

/* Closes a handle FltCreateFileEx2 returned (IRP_MJ_CLEANUP, then IRP_MJ_CLOSE when no reference is left). */
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS FLTAPI FltClose(_In_ HANDLE FileHandle);

/*
 * Opens or creates a file through every filter on the host's volume (CreateFileType
 * CreateFileTypeNone; InternalParameters NULL). DriverContext->ExtraCreateParameter carries an
 * ECP list (the caller's: free it after this returns). PASSIVE_LEVEL.
 */
_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS NTAPI IoCreateFileEx(_Out_ PHANDLE FileHandle,
                              _In_ ACCESS_MASK DesiredAccess,
                              _In_ POBJECT_ATTRIBUTES WdfAttributes,
                              _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                              _In_opt_ PLARGE_INTEGER AllocationSize,
                              _In_ ULONG FileAttributes,
                              _In_ ULONG ShareAccess,
                              _In_ ULONG Disposition,
                              _In_ ULONG CreateOptions,
                              _In_opt_ PVOID EaBuffer,
                              _In_ ULONG EaLength,
                              _In_ CREATE_FILE_TYPE CreateFileType,
                              _In_opt_ PVOID InternalParameters,
                              _In_ ULONG Options,
                              _In_opt_ PIO_DRIVER_CREATE_CONTEXT DriverContext);

/* Closes a file handle; STATUS_INVALID_HANDLE for a handle that is not open. PASSIVE_LEVEL. */
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS NTAPI ZwClose(_In_ HANDLE Handle);

/*
 * References on a file object (the only objects the host hands out); the last one sends
 * IRP_MJ_CLOSE. Dropping a reference the object does not hold is bug check REFERENCE_BY_POINTER.
 */
LONG_PTR FASTCALL ObfReferenceObject(_In_ PVOID Object);
LONG_PTR FASTCALL ObfDereferenceObject(_In_ PVOID Object);
#ifndef ObReferenceObject
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#endif
#ifndef ObDereferenceObject
#define ObDereferenceObject(Object) ObfDereferenceObject(Object)
#endif

/* ============================================================================================
 * Extra create parameters, FsRtl forms (ntifs.h): the same implementation as the Flt forms,
 * without a filter.
 * ============================================================================================ */

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlAllocateExtraCreateParameterList(_In_ FSRTL_ALLOCATE_ECPLIST_FLAGS Flags,
                                                     _Outptr_ PECP_LIST *EcpList);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI FsRtlFreeExtraCreateParameterList(_In_ PECP_LIST EcpList);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlAllocateExtraCreateParameter(
    _In_ LPCGUID EcpType,
    _In_ ULONG SizeOfContext,
    _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
    _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
    _In_ ULONG PoolTag,
    _Outptr_result_bytebuffer_(SizeOfContext) PVOID *EcpContext);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI FsRtlFreeExtraCreateParameter(_In_ PVOID EcpContext);

_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0, _IRQL_requires_max_(DISPATCH_LEVEL))
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) == 0, _IRQL_requires_max_(APC_LEVEL))
VOID NTAPI FsRtlInitExtraCreateParameterLookasideList(_Inout_ PVOID Lookaside,
                                                      _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags,
                                                      _In_ SIZE_T Size,
                                                      _In_ ULONG Tag);

_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) != 0, _IRQL_requires_max_(DISPATCH_LEVEL))
_When_((Flags & FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL) == 0, _IRQL_requires_max_(APC_LEVEL))
VOID NTAPI FsRtlDeleteExtraCreateParameterLookasideList(_Inout_ PVOID Lookaside,
                                                        _In_ FSRTL_ECP_LOOKASIDE_FLAGS Flags);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlAllocateExtraCreateParameterFromLookasideList(
    _In_ LPCGUID EcpType,
    _In_ ULONG SizeOfContext,
    _In_ FSRTL_ALLOCATE_ECP_FLAGS Flags,
    _In_opt_ PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK CleanupCallback,
    _Inout_ PVOID LookasideListEx,
    _Outptr_ PVOID *EcpContext);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlInsertExtraCreateParameter(_Inout_ PECP_LIST EcpList, _Inout_ PVOID EcpContext);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlFindExtraCreateParameter(_In_ PECP_LIST EcpList,
                                             _In_ LPCGUID EcpType,
                                             _Outptr_opt_ PVOID *EcpContext,
                                             _Out_opt_ ULONG *EcpContextSize);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlRemoveExtraCreateParameter(_Inout_ PECP_LIST EcpList,
                                               _In_ LPCGUID EcpType,
                                               _Outptr_ PVOID *EcpContext,
                                               _Out_opt_ ULONG *EcpContextSize);

_Must_inspect_result_
_IRQL_requires_max_(APC_LEVEL)
NTSTATUS NTAPI FsRtlGetNextExtraCreateParameter(_In_ PECP_LIST EcpList,
                                                _In_opt_ PVOID CurrentEcpContext,
                                                _Out_opt_ LPGUID NextEcpType,
                                                _Outptr_opt_ PVOID *NextEcpContext,
                                                _Out_opt_ ULONG *NextEcpContextSize);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI FsRtlAcknowledgeEcp(_In_ PVOID EcpContext);

_IRQL_requires_max_(APC_LEVEL)
BOOLEAN NTAPI FsRtlIsEcpAcknowledged(_In_ PVOID EcpContext);

_IRQL_requires_max_(APC_LEVEL)
BOOLEAN NTAPI FsRtlIsEcpFromUserMode(_In_ PVOID EcpContext);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI FsRtlPrepareToReuseEcp(_In_ PVOID EcpContext);

/* ============================================================================================
 * System-defined ECP types (ntifs.h): allocated, inserted and found like any other. Their GUIDs
 * are defined by libWdf01000 (and by a translation unit that defines INITGUID).
 * ============================================================================================ */

/* GUID_ECP_OPLOCK_KEY */
typedef struct _OPLOCK_KEY_ECP_CONTEXT {
    GUID OplockKey;
    ULONG Reserved;
} OPLOCK_KEY_ECP_CONTEXT, *POPLOCK_KEY_ECP_CONTEXT;

/* GUID_ECP_DUAL_OPLOCK_KEY */
typedef struct _DUAL_OPLOCK_KEY_ECP_CONTEXT {
    GUID ParentOplockKey;
    GUID TargetOplockKey;
    BOOLEAN ParentOplockKeySet;
    BOOLEAN TargetOplockKeySet;
} DUAL_OPLOCK_KEY_ECP_CONTEXT, *PDUAL_OPLOCK_KEY_ECP_CONTEXT;

/* GUID_ECP_PREFETCH_OPEN */
typedef enum _PREFETCH_OPEN_TYPE_VALUES { PrefetchOpenTypeNone = 0 } PREFETCH_OPEN_TYPE_VALUES;
typedef struct _PREFETCH_OPEN_ECP_CONTEXT {
    PVOID Context;
} PREFETCH_OPEN_ECP_CONTEXT, *PPREFETCH_OPEN_ECP_CONTEXT;

/* GUID_ECP_NFS_OPEN, GUID_ECP_SRV_OPEN */
typedef struct sockaddr_storage *PSOCKADDR_STORAGE_NFS;
typedef struct _NFS_OPEN_ECP_CONTEXT {
    PUNICODE_STRING ExportAlias;
    PSOCKADDR_STORAGE_NFS ClientSocketAddress;
} NFS_OPEN_ECP_CONTEXT, *PNFS_OPEN_ECP_CONTEXT, **PPNFS_OPEN_ECP_CONTEXT;

typedef struct _SRV_OPEN_ECP_CONTEXT {
    PUNICODE_STRING ShareName;
    PSOCKADDR_STORAGE_NFS SocketAddress;
    BOOLEAN OplockBlockState;
    BOOLEAN OplockAppState;
    BOOLEAN OplockFinalState;
} SRV_OPEN_ECP_CONTEXT, *PSRV_OPEN_ECP_CONTEXT;

/* GUID_ECP_NETWORK_OPEN_CONTEXT */
typedef enum _NETWORK_OPEN_LOCATION_QUALIFIER {
    NetworkOpenLocationAny,
    NetworkOpenLocationRemote,
    NetworkOpenLocationLoopback
} NETWORK_OPEN_LOCATION_QUALIFIER;

typedef enum _NETWORK_OPEN_INTEGRITY_QUALIFIER {
    NetworkOpenIntegrityAny,
    NetworkOpenIntegrityNone,
    NetworkOpenIntegritySigned,
    NetworkOpenIntegrityEncrypted,
    NetworkOpenIntegrityMaximum
} NETWORK_OPEN_INTEGRITY_QUALIFIER;

#define NETWORK_OPEN_ECP_IN_FLAG_DISABLE_HANDLE_COLLAPSING 0x00000001U
#define NETWORK_OPEN_ECP_IN_FLAG_DISABLE_HANDLE_DURABILITY 0x00000002U
#define NETWORK_OPEN_ECP_IN_FLAG_DISABLE_OPLOCKS 0x00000004U

typedef struct _NETWORK_OPEN_ECP_CONTEXT {
    USHORT Size;
    USHORT Reserved;
    __extension__ struct {
        struct {
            NETWORK_OPEN_LOCATION_QUALIFIER Location;
            NETWORK_OPEN_INTEGRITY_QUALIFIER Integrity;
            ULONG Flags;
        } in;
        struct {
            NETWORK_OPEN_LOCATION_QUALIFIER Location;
            NETWORK_OPEN_INTEGRITY_QUALIFIER Integrity;
            ULONG Flags;
        } out;
    };
} NETWORK_OPEN_ECP_CONTEXT, *PNETWORK_OPEN_ECP_CONTEXT;

/* GUID_ECP_CSV_DOWN_LEVEL_OPEN */
typedef enum _CSV_DOWN_LEVEL_FILE_TYPE {
    FileTypeStream = 0,
    FileTypeDirectory = 1
} CSV_DOWN_LEVEL_FILE_TYPE;

typedef struct _CSV_DOWN_LEVEL_OPEN_ECP_CONTEXT {
    ULONG Version;
    BOOLEAN IsResume;
    CSV_DOWN_LEVEL_FILE_TYPE FileType;
    ULONG SourceNodeId;
    ULONG DestinationNodeId;
} CSV_DOWN_LEVEL_OPEN_ECP_CONTEXT, *PCSV_DOWN_LEVEL_OPEN_ECP_CONTEXT;

DEFINE_GUID(GUID_ECP_OPLOCK_KEY, 0x48850596, 0x3050, 0x4be7, 0x98, 0x63, 0xfe, 0xc3, 0x50, 0xce, 0x8d, 0x7f);
DEFINE_GUID(GUID_ECP_DUAL_OPLOCK_KEY, 0x41621a14, 0xb08b, 0x4df1, 0xb6, 0x76, 0xa0, 0x5f, 0xfd, 0xf0, 0x1b, 0xea);
DEFINE_GUID(GUID_ECP_PREFETCH_OPEN, 0xe1777b21, 0x847e, 0x4837, 0xaa, 0x45, 0x64, 0x16, 0x1d, 0x28, 0x06, 0x55);
DEFINE_GUID(GUID_ECP_NFS_OPEN, 0xf326d30c, 0xe5f8, 0x4fe7, 0xab, 0x74, 0xf5, 0xa3, 0x19, 0x6d, 0x92, 0xdb);
DEFINE_GUID(GUID_ECP_SRV_OPEN, 0xbebfaebc, 0xaabf, 0x489d, 0x9d, 0x2c, 0xe9, 0xe3, 0x61, 0x10, 0x28, 0x53);
DEFINE_GUID(GUID_ECP_NETWORK_OPEN_CONTEXT, 0xc584edbf, 0x00df, 0x4d28, 0xb8, 0x84, 0x35, 0xba, 0xca, 0x89, 0x11, 0xe8);
DEFINE_GUID(GUID_ECP_NETWORK_APP_INSTANCE, 0x6aa6bc45, 0xa7ef, 0x4af7, 0x90, 0x08, 0xfa, 0x46, 0x2e, 0x14, 0x4d, 0x74);
DEFINE_GUID(GUID_ECP_CSV_DOWN_LEVEL_OPEN, 0x4248be44, 0x647f, 0x488f, 0x8b, 0xe5, 0xa0, 0x8a, 0xaf, 0x70, 0xf0, 0x28);
DEFINE_GUID(GUID_ECP_CSV_QUERY_FILE_REVISION, 0x44aec90b, 0xde65, 0x4d46, 0x8f, 0xbf, 0x76, 0x3f, 0x9d, 0x97, 0x0b, 0x1d);
DEFINE_GUID(GUID_ECP_CSV_SET_HANDLE_PROPERTIES, 0x7a9fdd94, 0x7b58, 0x42bb, 0x97, 0x40, 0x3c, 0xb8, 0x69, 0x83, 0xa6, 0x15);
DEFINE_GUID(GUID_ECP_IO_DEVICE_HINT, 0xf315b732, 0xac6b, 0x4d4d, 0xbe, 0x0c, 0xb3, 0x12, 0x64, 0x90, 0xe1, 0xa3);
DEFINE_GUID(GUID_ECP_ATOMIC_CREATE, 0x4720bd83, 0x52ac, 0x4104, 0xa1, 0x30, 0xd1, 0xec, 0x6a, 0x8c, 0xc8, 0xe5);
DEFINE_GUID(GUID_ECP_OPEN_PARAMETERS, 0xcd0a93c3, 0x3bb7, 0x463d, 0xac, 0xcb, 0x96, 0x9d, 0x34, 0x35, 0xa5, 0xa5);
DEFINE_GUID(GUID_ECP_CREATE_REDIRECTION, 0x188d6bd6, 0xa126, 0x4fa8, 0xbd, 0xf2, 0x1c, 0xcd, 0xf8, 0x96, 0xf3, 0xe0);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _FLTKERNEL_H_ */
