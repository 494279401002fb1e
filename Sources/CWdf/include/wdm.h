/*
 * wdm.h - base kernel-mode definitions for driver code hosted in a Linux process.
 *
 * This header provides the part of the Windows Driver Model that the emulated memory subsystem
 * implements: base types with their Windows sizes, NTSTATUS values, IRQL, bug checks, debug
 * output, the executive pool, executive lookaside lists, pool-tag accounting and the driver
 * object. Driver code written against the WDK reference pages compiles against it unchanged with
 * clang or gcc (C11 or C++).
 *
 * Only routines that the library implements are declared. Everything else in here is a type, a
 * constant, a macro or a small inline helper.
 *
 * Layouts are those of the 64-bit WDK (LP64 note: ULONG and LONG are 32-bit here, never C long).
 */
#ifndef _WDM_H_
#define _WDM_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if !defined(__cplusplus)
#include <uchar.h>
#endif

#include "sal.h"
#include "wdm_compiler.h"

/* ============================================================================================
 * Language glue
 * ============================================================================================ */

#ifndef EXTERN_C
#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
#endif

#ifndef FORCEINLINE
#define FORCEINLINE static inline
#endif

#ifndef NTAPI
#define NTAPI
#endif

#ifndef CONST
#define CONST const
#endif

#ifndef VOID
#define VOID void
#endif

/*
 * Alignment. The WDK places DECLSPEC_ALIGN both on variables and between `struct` and the tag
 * (`typedef struct DECLSPEC_ALIGN(16) _X { ... } X;`). C11 `_Alignas` is only valid on objects
 * and members, so the GNU attribute, which clang and gcc accept in both positions, is used.
 */
#ifndef DECLSPEC_ALIGN
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#endif

#ifndef SYSTEM_CACHE_ALIGNMENT_SIZE
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64
#endif

#ifndef DECLSPEC_CACHEALIGN
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
#endif

#ifndef DECLSPEC_NORETURN
#define DECLSPEC_NORETURN __attribute__((noreturn))
#endif

/* Windows' selectany lets every translation unit define the same constant; weak does that here. */
#ifndef DECLSPEC_SELECTANY
#define DECLSPEC_SELECTANY __attribute__((weak))
#endif

/* Cast used by the inline helpers below (keeps C++ builds free of old-style-cast warnings). */
#ifdef __cplusplus
#define WDM_CAST(type, expression) static_cast<type>(expression)
#else
#define WDM_CAST(type, expression) ((type)(expression))
#endif

/* Compile-time assertion, usable at file and block scope. */
#ifndef C_ASSERT
#ifdef __cplusplus
#define C_ASSERT(e) static_assert(e, #e)
#else
#define C_ASSERT(e) _Static_assert(e, #e)
#endif
#endif

/* Parameter direction markers of the old WDK style: nothing. */
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif

/* Calling conventions and linkage markers: one convention on x86-64 Linux, nothing to say. */
#ifndef __stdcall
#define __stdcall
#endif
#ifndef __cdecl
#define __cdecl
#endif
#ifndef __fastcall
#define __fastcall
#endif
#ifndef NTAPI_INLINE
#define NTAPI_INLINE
#endif
#ifndef FASTCALL
#define FASTCALL
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef DECLSPEC_IMPORT
#define DECLSPEC_IMPORT
#endif
#ifndef DECLSPEC_EXPORT
#define DECLSPEC_EXPORT __attribute__((__visibility__("default")))
#endif
#ifndef NTSYSAPI
#define NTSYSAPI
#endif
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif
#ifndef NTHALAPI
#define NTHALAPI
#endif
#ifndef NTSYSCALLAPI
#define NTSYSCALLAPI
#endif
#ifndef DECLSPEC_NOINLINE
#define DECLSPEC_NOINLINE __attribute__((__noinline__))
#endif
#ifndef DECLSPEC_NOTHROW
#define DECLSPEC_NOTHROW
#endif
#ifndef DECLSPEC_NOVTABLE
#define DECLSPEC_NOVTABLE
#endif
#ifndef DECLSPEC_RESTRICT
#define DECLSPEC_RESTRICT
#endif
#ifndef DECLSPEC_DEPRECATED
#define DECLSPEC_DEPRECATED
#endif
#ifndef DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_DEPRECATED_DDK
#endif
#ifndef DECLSPEC_GUARDNOCF
#define DECLSPEC_GUARDNOCF
#endif
#ifndef NOP_FUNCTION
#define NOP_FUNCTION ((void)0)
#endif

#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif
#ifndef DBG_UNREFERENCED_PARAMETER
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#endif
#ifndef DBG_UNREFERENCED_LOCAL_VARIABLE
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#endif


#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Base types (Windows sizes on a 64-bit Linux host)
 * ============================================================================================ */

typedef void *PVOID;
typedef const void *PCVOID;
typedef void *HANDLE;
typedef HANDLE *PHANDLE;

typedef char CHAR;
typedef unsigned char UCHAR;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef int16_t CSHORT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;

typedef int8_t INT8;
typedef uint8_t UINT8;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef int32_t LONG32;
typedef uint32_t ULONG32;
typedef int64_t LONG64;
typedef uint64_t ULONG64;

typedef size_t SIZE_T;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;

typedef unsigned char BOOLEAN;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/*
 * 16-bit UTF-16 code unit. In C it is char16_t (an unsigned short), which the u"..." literals
 * have, and L"..." literals too when the driver is built with -fshort-wchar (Windows' wchar_t is
 * 16-bit; the SDK's flags include it). In C++ char16_t and wchar_t are distinct types: with
 * -fshort-wchar WCHAR is wchar_t, so the WDK's L"..." literals fit; without it, char16_t.
 */
#if defined(__cplusplus) && defined(__WCHAR_MAX__) && (__WCHAR_MAX__ <= 0xFFFF)
typedef wchar_t WCHAR;
#else
typedef char16_t WCHAR;
#endif

typedef CHAR *PCHAR;
typedef CHAR *PCH;
typedef const CHAR *PCCH;
typedef CHAR *PSTR;
typedef const CHAR *PCSTR;
typedef UCHAR *PUCHAR;
typedef SHORT *PSHORT;
typedef USHORT *PUSHORT;
typedef LONG *PLONG;
typedef ULONG *PULONG;
typedef LONGLONG *PLONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef LONG64 *PLONG64;
typedef ULONG64 *PULONG64;
typedef SIZE_T *PSIZE_T;
typedef LONG_PTR *PLONG_PTR;
typedef ULONG_PTR *PULONG_PTR;
typedef BOOLEAN *PBOOLEAN;
typedef WCHAR *PWCHAR;
typedef WCHAR *PWCH;
typedef const WCHAR *PCWCH;
typedef WCHAR *PWSTR;
typedef const WCHAR *PCWSTR;

/* 64-bit integer with access to its halves. */
typedef union _LARGE_INTEGER {
    __extension__ struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    __extension__ struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffU
#define MAXLONG 0x7fffffff
#define MAXULONGLONG 0xffffffffffffffffULL
#define MAXLONGLONG 0x7fffffffffffffffLL

/* ============================================================================================
 * GUIDs
 * ============================================================================================ */

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID;
#endif

typedef GUID *PGUID;
typedef GUID *LPGUID;
typedef const GUID *LPCGUID;

#ifdef __cplusplus
/* As in the WDK: a reference in C++, a pointer in C. */
typedef const GUID &REFGUID;

FORCEINLINE int InlineIsEqualGUID(REFGUID Guid1, REFGUID Guid2)
{
    return memcmp(&Guid1, &Guid2, sizeof(GUID)) == 0;
}

FORCEINLINE int IsEqualGUID(REFGUID Guid1, REFGUID Guid2)
{
    return memcmp(&Guid1, &Guid2, sizeof(GUID)) == 0;
}
#else
typedef const GUID *REFGUID;

FORCEINLINE int InlineIsEqualGUID(REFGUID Guid1, REFGUID Guid2)
{
    return memcmp(Guid1, Guid2, sizeof(GUID)) == 0;
}

FORCEINLINE int IsEqualGUID(REFGUID Guid1, REFGUID Guid2)
{
    return memcmp(Guid1, Guid2, sizeof(GUID)) == 0;
}
#endif

/* DEFINE_GUID is defined at the end of this file, outside the include guard (see there). */

/* ============================================================================================
 * Helpers: sizes, alignment, records, memory
 * ============================================================================================ */

#ifndef PAGE_SIZE
#define PAGE_SIZE 4096
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#define MEMORY_ALLOCATION_ALIGNMENT 16

#define ANYSIZE_ARRAY 1

/* Byte offset of a field within a structure type, as a LONG. */
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))

/* Size in bytes of a field of a structure type. */
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))

/* Number of elements of an array (not a pointer). */
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#ifndef ARRAYSIZE
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
#endif

/* Address of the structure of the given type that contains `field` at `address`. */
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - offsetof(type, field)))

/* Round up / down to a power-of-two alignment. */
#define ALIGN_DOWN_BY(length, alignment) \
    ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) \
    (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), alignment))
#define ALIGN_DOWN_POINTER_BY(address, alignment) \
    ((PVOID)((ULONG_PTR)(address) & ~((ULONG_PTR)(alignment) - 1)))
#define ALIGN_UP_POINTER_BY(address, alignment) \
    (ALIGN_DOWN_POINTER_BY(((ULONG_PTR)(address) + (alignment) - 1), alignment))

/* Page arithmetic. */
#define ROUND_TO_PAGES(Size) \
    (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) \
    (((ULONG_PTR)(Size) >> PAGE_SHIFT) + (((ULONG_PTR)(Size) & (PAGE_SIZE - 1)) != 0))
#define BYTE_OFFSET(Va) ((ULONG)((ULONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))

/* TRUE when an optional pointer argument was supplied. */
#define ARGUMENT_PRESENT(ArgumentPointer) \
    ((CHAR *)((ULONG_PTR)(ArgumentPointer)) != (CHAR *)NULL)

/* Run-time library memory routines (the C library does the work). */
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))

/*
 * RtlCompareMemory returns the number of leading bytes that are equal (Length when the blocks
 * match), not a memcmp-style ordering, so it is a small inline routine rather than a macro.
 */
FORCEINLINE SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *a = WDM_CAST(const UCHAR *, Source1);
    const UCHAR *b = WDM_CAST(const UCHAR *, Source2);
    SIZE_T i = 0;
    while (i < Length && a[i] == b[i]) {
        i++;
    }
    return i;
}

/* ============================================================================================
 * NTSTATUS
 *
 * Values are written as negative decimals with a cast so that both C and Swift accept them; the
 * usual hexadecimal form is in the comment.
 * ============================================================================================ */

typedef LONG NTSTATUS;
typedef NTSTATUS *PNTSTATUS;

#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* Every STATUS_ name of the WDK (generated table). */
#include "ntstatus.h"

/* Kernel-Mode Driver Framework */
#define STATUS_WDF_OBJECT_ATTRIBUTES_INVALID ((NTSTATUS)-1071644151)      /* 0xC0200209 */
#define STATUS_WDF_PARENT_ALREADY_ASSIGNED ((NTSTATUS)-1071644147)        /* 0xC020020D */
#define STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED ((NTSTATUS)-1071644145)  /* 0xC020020F */
#define STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID ((NTSTATUS)-1071644144)  /* 0xC0200210 */
#define STATUS_WDF_EXECUTION_LEVEL_INVALID ((NTSTATUS)-1071644143)        /* 0xC0200211 */
#define STATUS_WDF_PARENT_NOT_SPECIFIED ((NTSTATUS)-1071644142)           /* 0xC0200212 */

/* ============================================================================================
 * Interrupt request level
 *
 * Each thread has its own current IRQL and starts at PASSIVE_LEVEL.
 * ============================================================================================ */

typedef UCHAR KIRQL;
typedef KIRQL *PKIRQL;

#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2

/* Current IRQL of the calling thread. */
_IRQL_requires_max_(DISPATCH_LEVEL)
KIRQL NTAPI KeGetCurrentIrql(VOID);

/* Raises to NewIrql (bug check IRQL_NOT_GREATER_OR_EQUAL when it is lower), returns the old one. */
_IRQL_raises_(NewIrql)
VOID NTAPI KeRaiseIrql(_In_ KIRQL NewIrql, _Out_ PKIRQL OldIrql);

/* Lowers to NewIrql (bug check IRQL_NOT_LESS_OR_EQUAL when it is higher). */
VOID NTAPI KeLowerIrql(_In_ KIRQL NewIrql);

/* Raises to DISPATCH_LEVEL and returns the previous IRQL. */
_IRQL_raises_(DISPATCH_LEVEL)
KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);

/* ============================================================================================
 * Bug checks and raised exceptions
 *
 * A bug check prints the stop line and explanation to standard error, then aborts the process.
 * ============================================================================================ */

#define IRQL_NOT_GREATER_OR_EQUAL ((ULONG)0x00000009)
#define IRQL_NOT_LESS_OR_EQUAL ((ULONG)0x0000000A)
#define KMODE_EXCEPTION_NOT_HANDLED ((ULONG)0x0000001E)
#define BAD_POOL_CALLER ((ULONG)0x000000C2)
#define DRIVER_VERIFIER_DETECTED_VIOLATION ((ULONG)0x000000C4)
#define WDF_VIOLATION ((ULONG)0x0000010D)

DECLSPEC_NORETURN
VOID NTAPI KeBugCheckEx(_In_ ULONG BugCheckCode,
                        _In_ ULONG_PTR BugCheckParameter1,
                        _In_ ULONG_PTR BugCheckParameter2,
                        _In_ ULONG_PTR BugCheckParameter3,
                        _In_ ULONG_PTR BugCheckParameter4);

/*
 * Raises Status as a structured exception. There is no handler to land in: it is reported like
 * bug check KMODE_EXCEPTION_NOT_HANDLED with parameter 1 = Status.
 */
DECLSPEC_NORETURN
VOID NTAPI ExRaiseStatus(_In_ NTSTATUS Status);

/* ============================================================================================
 * Debug output (written to standard error)
 * ============================================================================================ */

/* Component ids and levels for DbgPrintEx; output is not filtered by them. */
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82

#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000U

/* printf-style output; returns STATUS_SUCCESS. */
ULONG DbgPrint(_In_z_ _Printf_format_string_ PCSTR Format, ...);

/* Like DbgPrint; ComponentId and Level are accepted and not used for filtering. */
ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level,
                 _In_z_ _Printf_format_string_ PCSTR Format, ...);

/* ============================================================================================
 * Executive pool
 * ============================================================================================ */

/* Pool types. Bit 0 = paged, bit 1 = must succeed, bit 2 = cache aligned, 0x20 = session. */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = 0,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,

    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,

    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,

    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544
} POOL_TYPE;

/* Modifier bits that may be or-ed into a POOL_TYPE. */
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION 256
#define POOL_NX_ALLOCATION 512
#define POOL_ZERO_ALLOCATION 1024

/* Flags for ExAllocatePool2: exactly one of NON_PAGED, NON_PAGED_EXECUTE and PAGED. */
typedef ULONG64 POOL_FLAGS;

#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL

/* Allocates NumberOfBytes of pool (not zeroed) under Tag. */
_IRQL_requires_max_(DISPATCH_LEVEL)
_Ret_maybenull_ _Post_writable_byte_size_(NumberOfBytes)
__drv_allocatesMem(Mem)
PVOID NTAPI ExAllocatePoolWithTag(_In_ __drv_strictTypeMatch(__drv_typeExpr) POOL_TYPE PoolType,
                                  _In_ SIZE_T NumberOfBytes,
                                  _In_ ULONG Tag);

/* Same, charging the current process's quota (raises on failure unless
   POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is given). */
_IRQL_requires_max_(DISPATCH_LEVEL)
_Ret_maybenull_ _Post_writable_byte_size_(NumberOfBytes)
__drv_allocatesMem(Mem)
PVOID NTAPI ExAllocatePoolWithQuotaTag(_In_ POOL_TYPE PoolType,
                                       _In_ SIZE_T NumberOfBytes,
                                       _In_ ULONG Tag);

/* Allocates zeroed pool (unless POOL_FLAG_UNINITIALIZED); a zero Tag fails the call. */
_IRQL_requires_max_(DISPATCH_LEVEL)
_Ret_maybenull_ _Post_writable_byte_size_(NumberOfBytes)
__drv_allocatesMem(Mem)
PVOID NTAPI ExAllocatePool2(_In_ POOL_FLAGS Flags,
                            _In_ SIZE_T NumberOfBytes,
                            _In_ ULONG Tag);

/* Frees a pool block; a non-zero Tag must match the block's. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExFreePoolWithTag(_Pre_notnull_ __drv_freesMem(Mem) PVOID P, _In_ ULONG Tag);

/* Frees a pool block without a tag check. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExFreePool(_Pre_notnull_ __drv_freesMem(Mem) PVOID P);

/* ============================================================================================
 * Lists
 * ============================================================================================ */

/* Doubly linked list entry (circular, with a head entry). */
typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

/* Singly linked list entry. */
typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/* Interlocked (sequenced) singly linked list: entry and header, both 16-byte aligned. */
typedef struct DECLSPEC_ALIGN(16) _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union DECLSPEC_ALIGN(16) _SLIST_HEADER {
    __extension__ struct {
        ULONGLONG Alignment;
        ULONGLONG Region;
    };
} SLIST_HEADER, *PSLIST_HEADER;

FORCEINLINE VOID InitializeListHead(_Out_ PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}

FORCEINLINE BOOLEAN IsListEmpty(_In_ const LIST_ENTRY *ListHead)
{
    return WDM_CAST(BOOLEAN, ListHead->Flink == ListHead);
}

/* Unlinks Entry; returns TRUE when the list is empty afterwards. */
FORCEINLINE BOOLEAN RemoveEntryList(_In_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Entry->Flink;
    PLIST_ENTRY Blink = Entry->Blink;
    Blink->Flink = Flink;
    Flink->Blink = Blink;
    return WDM_CAST(BOOLEAN, Flink == Blink);
}

FORCEINLINE PLIST_ENTRY RemoveHeadList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Flink;
    PLIST_ENTRY Flink = Entry->Flink;
    ListHead->Flink = Flink;
    Flink->Blink = ListHead;
    return Entry;
}

FORCEINLINE PLIST_ENTRY RemoveTailList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Blink;
    PLIST_ENTRY Blink = Entry->Blink;
    ListHead->Blink = Blink;
    Blink->Flink = ListHead;
    return Entry;
}

FORCEINLINE VOID InsertTailList(_Inout_ PLIST_ENTRY ListHead, _Out_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = ListHead->Blink;
    Entry->Flink = ListHead;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    ListHead->Blink = Entry;
}

FORCEINLINE VOID InsertHeadList(_Inout_ PLIST_ENTRY ListHead, _Out_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = ListHead->Flink;
    Entry->Flink = Flink;
    Entry->Blink = ListHead;
    Flink->Blink = Entry;
    ListHead->Flink = Entry;
}

FORCEINLINE PSINGLE_LIST_ENTRY PopEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead)
{
    PSINGLE_LIST_ENTRY FirstEntry = ListHead->Next;
    if (FirstEntry != NULL) {
        ListHead->Next = FirstEntry->Next;
    }
    return FirstEntry;
}

FORCEINLINE VOID PushEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead,
                               _Inout_ PSINGLE_LIST_ENTRY Entry)
{
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

/* ============================================================================================
 * Executive lookaside lists
 *
 * The list structures live in caller memory (non-paged, at least 16-byte aligned). Their public
 * counters are Depth, MaximumDepth, TotalAllocates, AllocateMisses, TotalFrees, FreeMisses, Type,
 * Tag and Size; the rest is owned by the implementation.
 * ============================================================================================ */

#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002

#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

struct _LOOKASIDE_LIST_EX;

/* Allocate callback of a LOOKASIDE_LIST_EX (called on a miss). */
typedef _IRQL_requires_same_ _Function_class_(ALLOCATE_FUNCTION_EX)
PVOID NTAPI ALLOCATE_FUNCTION_EX(_In_ POOL_TYPE PoolType,
                                 _In_ SIZE_T NumberOfBytes,
                                 _In_ ULONG Tag,
                                 _Inout_ struct _LOOKASIDE_LIST_EX *Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;

/* Free callback of a LOOKASIDE_LIST_EX (called when the cache is full, on flush and delete). */
typedef _IRQL_requires_same_ _Function_class_(FREE_FUNCTION_EX)
VOID NTAPI FREE_FUNCTION_EX(_In_ __drv_freesMem(Mem) PVOID Buffer,
                            _Inout_ struct _LOOKASIDE_LIST_EX *Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/* Allocate callback of the legacy [N]PAGED_LOOKASIDE_LIST. */
typedef _IRQL_requires_same_ _Function_class_(ALLOCATE_FUNCTION)
PVOID NTAPI ALLOCATE_FUNCTION(_In_ POOL_TYPE PoolType,
                              _In_ SIZE_T NumberOfBytes,
                              _In_ ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;

/* Free callback of the legacy [N]PAGED_LOOKASIDE_LIST. */
typedef _IRQL_requires_same_ _Function_class_(FREE_FUNCTION)
VOID NTAPI FREE_FUNCTION(_In_ __drv_freesMem(Mem) PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;

/*
 * The common lookaside layout (64-bit offsets on the right). It is shared by
 * GENERAL_LOOKASIDE_POOL (16-byte aligned, 96 bytes) and GENERAL_LOOKASIDE (cache aligned,
 * 128 bytes).
 */
#define WDM_GENERAL_LOOKASIDE_LAYOUT                                                        \
    union {                                                                                 \
        SLIST_HEADER ListHead;                  /* 0x00 cached entries */                   \
        SINGLE_LIST_ENTRY SingleListHead;                                                   \
    };                                                                                      \
    USHORT Depth;                               /* 0x10 current cache limit */              \
    USHORT MaximumDepth;                        /* 0x12 */                                  \
    ULONG TotalAllocates;                       /* 0x14 */                                  \
    union {                                                                                 \
        ULONG AllocateMisses;                   /* 0x18 */                                  \
        ULONG AllocateHits;                                                                 \
    };                                                                                      \
    ULONG TotalFrees;                           /* 0x1C */                                  \
    union {                                                                                 \
        ULONG FreeMisses;                       /* 0x20 */                                  \
        ULONG FreeHits;                                                                     \
    };                                                                                      \
    POOL_TYPE Type;                             /* 0x24 */                                  \
    ULONG Tag;                                  /* 0x28 */                                  \
    ULONG Size;                                 /* 0x2C entry size in bytes */              \
    union {                                                                                 \
        PALLOCATE_FUNCTION_EX AllocateEx;       /* 0x30 */                                  \
        PALLOCATE_FUNCTION Allocate;                                                        \
    };                                                                                      \
    union {                                                                                 \
        PFREE_FUNCTION_EX FreeEx;               /* 0x38 */                                  \
        PFREE_FUNCTION Free;                                                                \
    };                                                                                      \
    LIST_ENTRY ListEntry;                       /* 0x40 */                                  \
    ULONG LastTotalAllocates;                   /* 0x50 */                                  \
    union {                                                                                 \
        ULONG LastAllocateMisses;               /* 0x54 */                                  \
        ULONG LastAllocateHits;                                                             \
    };                                                                                      \
    ULONG Future[2]                             /* 0x58 */

typedef struct _GENERAL_LOOKASIDE_POOL {
    WDM_GENERAL_LOOKASIDE_LAYOUT;
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct DECLSPEC_CACHEALIGN _GENERAL_LOOKASIDE {
    WDM_GENERAL_LOOKASIDE_LAYOUT;
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

/* Lookaside list for ExInitializeLookasideListEx (96 bytes, 16-byte aligned). */
typedef struct _LOOKASIDE_LIST_EX {
    GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX, *PLOOKASIDE_LIST_EX;

/* Legacy non-paged lookaside list (128 bytes, cache aligned). */
typedef struct _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

/* Legacy paged lookaside list (128 bytes, cache aligned). */
typedef struct _PAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

/*
 * Initializes a lookaside list. Depth is 0 or 256..1024 (else STATUS_INVALID_PARAMETER_8), Flags
 * 0 or one EX_LOOKASIDE_LIST_EX_FLAGS_* (else _5), PoolType valid (else _4). NULL callbacks mean
 * "allocate from / free to pool with this type and tag".
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS NTAPI ExInitializeLookasideListEx(_Out_ PLOOKASIDE_LIST_EX Lookaside,
                                           _In_opt_ PALLOCATE_FUNCTION_EX Allocate,
                                           _In_opt_ PFREE_FUNCTION_EX Free,
                                           _In_ POOL_TYPE PoolType,
                                           _In_ ULONG Flags,
                                           _In_ SIZE_T Size,
                                           _In_ ULONG Tag,
                                           _In_ USHORT Depth);

/* Takes a cached entry (LIFO, old contents kept) or calls the allocate callback. */
_IRQL_requires_max_(DISPATCH_LEVEL)
PVOID NTAPI ExAllocateFromLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);

/* Caches Entry, or hands it to the free callback when the cache holds Depth entries. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExFreeToLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside,
                                   _In_ __drv_freesMem(Entry) PVOID Entry);

/* Frees every cached entry and deletes the list. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExDeleteLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);

/* Frees every cached entry; the list stays usable. */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExFlushLookasideListEx(_Inout_ PLOOKASIDE_LIST_EX Lookaside);

/* Legacy non-paged list: Depth is ignored (starts at 4, maximum 256). */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExInitializeNPagedLookasideList(_Out_ PNPAGED_LOOKASIDE_LIST Lookaside,
                                           _In_opt_ PALLOCATE_FUNCTION Allocate,
                                           _In_opt_ PFREE_FUNCTION Free,
                                           _In_ ULONG Flags,
                                           _In_ SIZE_T Size,
                                           _In_ ULONG Tag,
                                           _In_ USHORT Depth);

_IRQL_requires_max_(DISPATCH_LEVEL)
PVOID NTAPI ExAllocateFromNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExFreeToNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside,
                                       _In_ __drv_freesMem(Entry) PVOID Entry);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID NTAPI ExDeleteNPagedLookasideList(_Inout_ PNPAGED_LOOKASIDE_LIST Lookaside);

/* Legacy paged list: Depth is ignored (starts at 4, maximum 256). */
_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI ExInitializePagedLookasideList(_Out_ PPAGED_LOOKASIDE_LIST Lookaside,
                                          _In_opt_ PALLOCATE_FUNCTION Allocate,
                                          _In_opt_ PFREE_FUNCTION Free,
                                          _In_ ULONG Flags,
                                          _In_ SIZE_T Size,
                                          _In_ ULONG Tag,
                                          _In_ USHORT Depth);

_IRQL_requires_max_(APC_LEVEL)
PVOID NTAPI ExAllocateFromPagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI ExFreeToPagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside,
                                      _In_ __drv_freesMem(Entry) PVOID Entry);

_IRQL_requires_max_(APC_LEVEL)
VOID NTAPI ExDeletePagedLookasideList(_Inout_ PPAGED_LOOKASIDE_LIST Lookaside);

/* ============================================================================================
 * System information: pool-tag accounting (what poolmon shows)
 * ============================================================================================ */

typedef enum _SYSTEM_INFORMATION_CLASS {
    SystemBasicInformation = 0,
    SystemPoolTagInformation = 22
} SYSTEM_INFORMATION_CLASS;

/* Usage of one tag: counts and bytes in use (headers and rounding included). */
typedef struct _SYSTEM_POOLTAG {
    union {
        UCHAR Tag[4];
        ULONG TagUlong;
    };
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T PagedUsed;
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    SIZE_T NonPagedUsed;
} SYSTEM_POOLTAG, *PSYSTEM_POOLTAG;

typedef struct _SYSTEM_POOLTAG_INFORMATION {
    ULONG Count;
    SYSTEM_POOLTAG TagInfo[ANYSIZE_ARRAY];
} SYSTEM_POOLTAG_INFORMATION, *PSYSTEM_POOLTAG_INFORMATION;

/*
 * SystemPoolTagInformation fills a SYSTEM_POOLTAG_INFORMATION. A buffer that is too small
 * returns STATUS_INFO_LENGTH_MISMATCH with the needed length in *ReturnLength.
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS NTAPI ZwQuerySystemInformation(
    _In_ SYSTEM_INFORMATION_CLASS SystemInformationClass,
    _Out_writes_bytes_opt_(SystemInformationLength) PVOID SystemInformation,
    _In_ ULONG SystemInformationLength,
    _Out_opt_ PULONG ReturnLength);

/* ============================================================================================
 * Strings and driver objects
 * ============================================================================================ */

/* Counted UTF-16 string; Length and MaximumLength are in bytes. */
typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

/* RTL_CONSTANT_STRING is in wdm_rtl.h (UNICODE_STRING and STRING forms, C and C++). */

typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;

/*
 * I/O request packets. The host sends no IRPs (it has no I/O manager): IRP is declared so that
 * dispatch routines and their tables compile, not laid out, and there is no IoCompleteRequest.
 */
typedef struct _IRP IRP, *PIRP;

/* Fast I/O entry points of file systems (declared, not laid out: the host makes no fast I/O calls). */
struct _FAST_IO_DISPATCH;
typedef struct _FAST_IO_DISPATCH FAST_IO_DISPATCH, *PFAST_IO_DISPATCH;

struct _DRIVER_OBJECT;

/* The driver's entry point: `DRIVER_INITIALIZE DriverEntry;` */
typedef _Function_class_(DRIVER_INITIALIZE) _IRQL_requires_same_
NTSTATUS NTAPI DRIVER_INITIALIZE(_In_ struct _DRIVER_OBJECT *DriverObject,
                                 _In_ PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;

/* The driver's unload routine: the host calls DriverObject->DriverUnload at WdfHostUnloadDriver. */
typedef _Function_class_(DRIVER_UNLOAD) _IRQL_requires_(PASSIVE_LEVEL) _IRQL_requires_same_
VOID NTAPI DRIVER_UNLOAD(_In_ struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;

/* A PnP driver's AddDevice routine (DriverObject->DriverExtension->AddDevice). */
typedef _Function_class_(DRIVER_ADD_DEVICE) _IRQL_requires_(PASSIVE_LEVEL) _IRQL_requires_same_
_When_(return >= 0, _Kernel_clear_do_init_(__yes))
NTSTATUS NTAPI DRIVER_ADD_DEVICE(_In_ struct _DRIVER_OBJECT *DriverObject,
                                 _In_ struct _DEVICE_OBJECT *PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;

/* A dispatch routine (DriverObject->MajorFunction[IRP_MJ_xxx]). */
typedef _Function_class_(DRIVER_DISPATCH) _IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_requires_same_
NTSTATUS NTAPI DRIVER_DISPATCH(_In_ struct _DEVICE_OBJECT *DeviceObject,
                               _Inout_ struct _IRP *Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_RAISED;
typedef DRIVER_DISPATCH DRIVER_DISPATCH_PAGED;

/* The driver's StartIo routine. */
typedef _Function_class_(DRIVER_STARTIO) _IRQL_always_function_min_(DISPATCH_LEVEL)
_IRQL_requires_(DISPATCH_LEVEL) _IRQL_requires_same_
VOID NTAPI DRIVER_STARTIO(_Inout_ struct _DEVICE_OBJECT *DeviceObject,
                          _Inout_ struct _IRP *Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;

/* Major function codes: indexes of DRIVER_OBJECT.MajorFunction. */
#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CREATE_NAMED_PIPE 0x01
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_QUERY_INFORMATION 0x05
#define IRP_MJ_SET_INFORMATION 0x06
#define IRP_MJ_QUERY_EA 0x07
#define IRP_MJ_SET_EA 0x08
#define IRP_MJ_FLUSH_BUFFERS 0x09
#define IRP_MJ_QUERY_VOLUME_INFORMATION 0x0a
#define IRP_MJ_SET_VOLUME_INFORMATION 0x0b
#define IRP_MJ_DIRECTORY_CONTROL 0x0c
#define IRP_MJ_FILE_SYSTEM_CONTROL 0x0d
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_SHUTDOWN 0x10
#define IRP_MJ_LOCK_CONTROL 0x11
#define IRP_MJ_CLEANUP 0x12
#define IRP_MJ_CREATE_MAILSLOT 0x13
#define IRP_MJ_QUERY_SECURITY 0x14
#define IRP_MJ_SET_SECURITY 0x15
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_DEVICE_CHANGE 0x18
#define IRP_MJ_QUERY_QUOTA 0x19
#define IRP_MJ_SET_QUOTA 0x1a
#define IRP_MJ_PNP 0x1b
#define IRP_MJ_PNP_POWER IRP_MJ_PNP
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b
#define IRP_MJ_SCSI IRP_MJ_INTERNAL_DEVICE_CONTROL

/* Object types (DRIVER_OBJECT.Type). */
#define IO_TYPE_DRIVER 0x00000004

/* DRIVER_OBJECT.Flags. */
#define DRVO_UNLOAD_INVOKED 0x00000001
#define DRVO_LEGACY_DRIVER 0x00000002
#define DRVO_BUILTIN_DRIVER 0x00000004

/*
 * The driver extension (40 bytes), DriverObject->DriverExtension: the host makes it with the
 * driver object. AddDevice is where a WDM driver puts its AddDevice routine (the host keeps
 * it; it plays no PnP for WDM drivers: WdfHostAddDevice is for KMDF drivers). ServiceKeyName is
 * the service name, Count 0.
 */
typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;                /* 0x00 */
    PDRIVER_ADD_DEVICE AddDevice;                       /* 0x08 */
    ULONG Count;                                        /* 0x10 */
    UNICODE_STRING ServiceKeyName;                      /* 0x18 */
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

/*
 * The driver object (336 bytes, the WDK's layout), made by WdfHostLoadDriver before DriverEntry:
 * Type IO_TYPE_DRIVER, Size, DriverStart/DriverSize (the loaded image that holds DriverEntry,
 * as the dynamic loader maps it), DriverExtension, DriverName (`\Driver\<ServiceName>`),
 * HardwareDatabase (`\REGISTRY\MACHINE\HARDWARE\DESCRIPTION\SYSTEM`), DriverInit
 * (DriverEntry) and every MajorFunction entry set to a routine that returns
 * STATUS_INVALID_DEVICE_REQUEST, as the I/O manager does. DeviceObject stays NULL (no device
 * objects), DriverSection NULL, FastIoDispatch and DriverStartIo are the driver's to set.
 * WdfHostUnloadDriver calls DriverUnload when the driver set one (after EvtDriverUnload, for a
 * KMDF driver).
 */
typedef struct _DRIVER_OBJECT {
    CSHORT Type;                                        /* 0x00 */
    CSHORT Size;                                        /* 0x02 */
    PDEVICE_OBJECT DeviceObject;                        /* 0x08 */
    ULONG Flags;                                        /* 0x10 */
    PVOID DriverStart;                                  /* 0x18 */
    ULONG DriverSize;                                   /* 0x20 */
    PVOID DriverSection;                                /* 0x28 */
    PDRIVER_EXTENSION DriverExtension;                  /* 0x30 */
    UNICODE_STRING DriverName;                          /* 0x38 */
    PUNICODE_STRING HardwareDatabase;                   /* 0x48 */
    PFAST_IO_DISPATCH FastIoDispatch;                   /* 0x50 */
    PDRIVER_INITIALIZE DriverInit;                      /* 0x58 */
    PDRIVER_STARTIO DriverStartIo;                      /* 0x60 */
    PDRIVER_UNLOAD DriverUnload;                        /* 0x68 */
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1]; /* 0x70 */
} DRIVER_OBJECT, *PDRIVER_OBJECT;

#ifdef __cplusplus
} /* extern "C" */
#endif

/* Assertions, interlocked operations, SLISTs, strings and the Rtl string routines. */
#include "wdm_rtl.h"

/* Spin locks with IRQL semantics. */
#include "wdm_sync.h"

/* The current WDK's pool routines (Zero/Uninitialized/Quota/Priority forms, ExAllocatePool3). */
#include "wdm_pool.h"

#endif /* _WDM_H_ */

/* ============================================================================================
 * DEFINE_GUID
 *
 * Deliberately outside the include guard, as in the WDK: a translation unit that defines INITGUID
 * and includes this header again (after other headers already pulled it in) gets definitions
 * instead of declarations. With INITGUID the constant is defined (weak, so several translation
 * units may define it); without it, it is declared extern.
 * ============================================================================================ */

#ifdef DEFINE_GUID
#undef DEFINE_GUID
#endif

#ifdef INITGUID
#ifdef __cplusplus
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    extern "C" const GUID name DECLSPEC_SELECTANY                    \
        = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    const GUID name DECLSPEC_SELECTANY                               \
        = { l, w1, w2, { b1, b2, b3, b4, b5, b6, b7, b8 } }
#endif
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    EXTERN_C const GUID name
#endif
