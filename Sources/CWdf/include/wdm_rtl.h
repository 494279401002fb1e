/*
 * wdm_rtl.h - the everyday run-time surface of wdm.h beyond memory: assertions and debug output
 * macros, record and flag macros, interlocked operations and barriers, interlocked singly linked
 * lists (SLIST), counted strings and the Rtl string routines. Included at the end of wdm.h; not
 * meant to be included on its own.
 *
 * As in the WDK, the interlocked operations, barriers, list heads and a few string initializers
 * are inline code here (they are compiler intrinsics or header inline functions there); what the
 * WDK exports from the kernel (RtlAssert, the SLIST push/pop/flush, the Rtl string routines) is
 * exported by libWdf01000.so.
 */
#ifndef _WDM_RTL_H_
#define _WDM_RTL_H_

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Build flavour. DBG is 1 in a checked (debug) build, 0 in a free build, as the WDK build sets
 * it; when nothing sets it, 0.
 * ============================================================================================ */

#ifndef DBG
#define DBG 0
#endif

/* ============================================================================================
 * More base types and limits
 * ============================================================================================ */

typedef char CCHAR;
typedef CCHAR *PCCHAR;
typedef ULONG CLONG;
typedef ULONG LOGICAL, *PLOGICAL;
typedef LONG KPRIORITY;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;
typedef void *PVOID64;
typedef ULONG_PTR ERESOURCE_THREAD;

typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;

#define MINCHAR 0x80
#define MAXCHAR 0x7f
#define MINSHORT 0x8000
#define MAXSHORT 0x7fff
#define MINLONG 0x80000000
#define MAXLONG_PTR INTPTR_MAX
#define MAXULONG_PTR UINTPTR_MAX
#define MAXSIZE_T SIZE_MAX
#define MAXSSIZE_T INTPTR_MAX
#define MAXUINT32 ((UINT32)~((UINT32)0))
#define MAXUINT64 ((UINT64)~((UINT64)0))
#define MAXINT32 ((INT32)(MAXUINT32 >> 1))
#define MAXINT64 ((INT64)(MAXUINT64 >> 1))

#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
#define UNICODE_STRING_MAX_CHARS (32767)

/* An empty statement or expression, as in `while (*p++) NOTHING;`. */
#define NOTHING

#ifndef NOMINMAX
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif

/* ============================================================================================
 * Record, size and flag macros
 * ============================================================================================ */

#define RTL_FIELD_TYPE(type, field) __typeof__(((type *)0)->field)
#define RTL_SIZEOF_THROUGH_FIELD(type, field) \
    (offsetof(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_CONTAINS_FIELD(Struct, Size, Field) \
    ((((PCHAR)(&(Struct)->Field)) + sizeof((Struct)->Field)) <= (((PCHAR)(Struct)) + (Size)))
#define RTL_NUMBER_OF_V1(A) (sizeof(A) / sizeof((A)[0]))
#define RTL_NUMBER_OF_V2(A) RTL_NUMBER_OF_V1(A)
#define RTL_NUMBER_OF_FIELD(type, field) (RTL_NUMBER_OF(RTL_FIELD_TYPE(type, field)))
#define RTL_BITS_OF(sizeOfArg) (sizeof(sizeOfArg) * 8)
#define RTL_BITS_OF_FIELD(type, field) (RTL_BITS_OF(RTL_FIELD_TYPE(type, field)))
#define RTL_PADDING_BETWEEN_FIELDS(T, F1, F2) \
    ((FIELD_OFFSET(T, F2) > FIELD_OFFSET(T, F1)) \
         ? (FIELD_OFFSET(T, F2) - FIELD_OFFSET(T, F1) - RTL_FIELD_SIZE(T, F1)) \
         : (FIELD_OFFSET(T, F1) - FIELD_OFFSET(T, F2) - RTL_FIELD_SIZE(T, F2)))

#ifndef FlagOn
#define FlagOn(_F, _SF) ((_F) & (_SF))
#endif
#ifndef BooleanFlagOn
#define BooleanFlagOn(F, SF) ((BOOLEAN)(((F) & (SF)) != 0))
#endif
#ifndef SetFlag
#define SetFlag(_F, _SF) ((_F) |= (_SF))
#endif
#ifndef ClearFlag
#define ClearFlag(_F, _SF) ((_F) &= ~(_SF))
#endif
#ifndef Add2Ptr
#define Add2Ptr(P, I) ((PVOID)((PUCHAR)(P) + (I)))
#endif
#ifndef PtrOffset
#define PtrOffset(B, O) ((ULONG)((ULONG_PTR)(O) - (ULONG_PTR)(B)))
#endif
#define ROUND_TO_SIZE(Length, Alignment) \
    ((((ULONG_PTR)(Length)) + ((Alignment) - 1)) & ~(ULONG_PTR)((Alignment) - 1))

/* ============================================================================================
 * Assertions and debug output
 *
 * With DBG, a failing ASSERT, ASSERTMSG, NT_ASSERT, NT_ASSERTMSG, NT_VERIFY or FLT_ASSERT calls
 * RtlAssert, which stops the process with a report naming the expression, the message, the file
 * and the line (bug check KMODE_EXCEPTION_NOT_HANDLED, parameter 1 STATUS_BREAKPOINT: what an
 * assertion without a debugger attached does on Windows). Without DBG they compile to nothing,
 * except NT_VERIFY, which still evaluates its expression (as in the WDK).
 * ============================================================================================ */

/*
 * Reports a failed assertion and stops: "*** Assertion failed: <message> <expression>" and
 * "***   Source File: <file>, line <n>" on standard error, then the bug check report.
 */
NTSYSAPI VOID NTAPI RtlAssert(_In_ PVOID VoidFailedAssertion,
                              _In_ PVOID VoidFileName,
                              _In_ ULONG LineNumber,
                              _In_opt_ PSTR MutableMessage);

/* NT_VERIFY's value, through a call so that a statement `NT_VERIFY(x);` is not "without effect". */
FORCEINLINE BOOLEAN _WdmVerified(int Value) { return WDM_CAST(BOOLEAN, Value != 0); }

#define _WDM_ASSERT_FAIL(text, message) \
    RtlAssert((PVOID)(ULONG_PTR)(text), (PVOID)(ULONG_PTR)__FILE__, __LINE__, (PSTR)(ULONG_PTR)(message))

#if DBG
#define ASSERT(exp) ((void)((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, NULL), 0) : 1))
#define ASSERTMSG(msg, exp) ((void)((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, msg), 0) : 1))
#define RTL_SOFT_ASSERT(exp) ASSERT(exp)
#define RTL_SOFT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_ASSERTMSGW(msg, exp) ((void)((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, NULL), 0) : 1))
#define NT_ASSERT_ASSUME(exp) ASSERT(exp)
#define NT_ASSERT_NOASSUME(exp) ASSERT(exp)
#define NT_VERIFY(exp) _WdmVerified((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, NULL), 0) : 1)
#define NT_VERIFYMSG(msg, exp) _WdmVerified((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, msg), 0) : 1)
#define NT_VERIFYMSGW(msg, exp) _WdmVerified((!(exp)) ? (_WDM_ASSERT_FAIL(#exp, NULL), 0) : 1)
#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define PAGED_CODE()                                                                     \
    do {                                                                                 \
        if (KeGetCurrentIrql() > APC_LEVEL) {                                            \
            _WDM_ASSERT_FAIL("KeGetCurrentIrql() <= APC_LEVEL",                          \
                             "EX: Pageable code called at IRQL above APC_LEVEL");       \
        }                                                                                \
    } while (0)
#else
#define ASSERT(exp) ((void)0)
#define ASSERTMSG(msg, exp) ((void)0)
#define RTL_SOFT_ASSERT(exp) ((void)0)
#define RTL_SOFT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT(exp) ((void)0)
#define NT_ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERTMSGW(msg, exp) ((void)0)
#define NT_ASSERT_ASSUME(exp) ((void)0)
#define NT_ASSERT_NOASSUME(exp) ((void)0)
#define NT_VERIFY(exp) _WdmVerified((exp) ? 1 : 0)
#define NT_VERIFYMSG(msg, exp) _WdmVerified((exp) ? 1 : 0)
#define NT_VERIFYMSGW(msg, exp) _WdmVerified((exp) ? 1 : 0)
#define KdPrint(_x_)
#define KdPrintEx(_x_)
#define PAGED_CODE() ((void)0)
#endif
#define PAGED_CODE_LOCKED() ((void)0)

/*
 * The kernel's formatting routines with Windows' rules (DbgPrint uses the same): `l` is 32-bit,
 * `ll`/`I64` 64-bit, `I` pointer size; `%wZ` a PUNICODE_STRING, `%Z` a PANSI_STRING; `%ws`/`%S`
 * WCHAR text in a narrow format (`%s` in a wide one); `%p` 16 hexadecimal digits. At most Count
 * units; the count written, or -1 when the text did not fit (then not NUL-terminated).
 */
int _vsnprintf(_Out_writes_opt_(Count) char *Buffer, _In_ size_t Count, _In_z_ _Printf_format_string_ const char *Format,
               va_list ArgList);
int _vsnwprintf(_Out_writes_opt_(Count) WCHAR *Buffer, _In_ size_t Count, _In_z_ const WCHAR *Format, va_list ArgList);
int _snprintf(_Out_writes_opt_(Count) char *Buffer, _In_ size_t Count, _In_z_ _Printf_format_string_ const char *Format, ...);
int _snwprintf(_Out_writes_opt_(Count) WCHAR *Buffer, _In_ size_t Count, _In_z_ const WCHAR *Format, ...);

/* Filter Manager's assertion (fltKernel.h spells it this way). */
#ifndef FLT_ASSERT
#define FLT_ASSERT(exp) NT_ASSERT(exp)
#endif
#ifndef FLT_ASSERTMSG
#define FLT_ASSERTMSG(msg, exp) NT_ASSERTMSG(msg, exp)
#endif

/* ============================================================================================
 * Interlocked operations and barriers (compiler intrinsics in the WDK; sequentially consistent
 * read-modify-write operations here). The Acquire/Release/NoFence forms are the full ones.
 * ============================================================================================ */

FORCEINLINE LONG InterlockedIncrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedDecrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedExchange(_Inout_ _Interlocked_operand_ LONG volatile *Target, _In_ LONG Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedExchangeAdd(_Inout_ _Interlocked_operand_ LONG volatile *Addend, _In_ LONG Value)
{ return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedAdd(_Inout_ _Interlocked_operand_ LONG volatile *Addend, _In_ LONG Value)
{ return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedCompareExchange(_Inout_ _Interlocked_operand_ LONG volatile *Destination,
                                            _In_ LONG Exchange, _In_ LONG Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
FORCEINLINE LONG InterlockedOr(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedAnd(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG InterlockedXor(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST); }

FORCEINLINE LONG64 InterlockedIncrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedDecrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Target, _In_ LONG64 Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedExchangeAdd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend, _In_ LONG64 Value)
{ return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedAdd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend, _In_ LONG64 Value)
{ return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedCompareExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination,
                                                _In_ LONG64 Exchange, _In_ LONG64 Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
FORCEINLINE LONG64 InterlockedOr64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedAnd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE LONG64 InterlockedXor64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST); }

FORCEINLINE SHORT InterlockedIncrement16(_Inout_ _Interlocked_operand_ SHORT volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE SHORT InterlockedDecrement16(_Inout_ _Interlocked_operand_ SHORT volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
FORCEINLINE SHORT InterlockedCompareExchange16(_Inout_ _Interlocked_operand_ SHORT volatile *Destination,
                                               _In_ SHORT Exchange, _In_ SHORT Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
FORCEINLINE CHAR InterlockedExchange8(_Inout_ _Interlocked_operand_ CHAR volatile *Target, _In_ CHAR Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE CHAR InterlockedOr8(_Inout_ _Interlocked_operand_ CHAR volatile *Destination, _In_ CHAR Value)
{ return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE CHAR InterlockedAnd8(_Inout_ _Interlocked_operand_ CHAR volatile *Destination, _In_ CHAR Value)
{ return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST); }

FORCEINLINE PVOID InterlockedExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Target, _In_opt_ PVOID Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
FORCEINLINE PVOID InterlockedCompareExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Destination,
                                                    _In_opt_ PVOID Exchange, _In_opt_ PVOID Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

/* Atomically sets / clears bit Offset of *Base; returns the bit's previous value. */
FORCEINLINE BOOLEAN InterlockedBitTestAndSet(_Inout_ _Interlocked_operand_ LONG volatile *Base, _In_ LONG Offset)
{
    LONG mask = WDM_CAST(LONG, 1U << (Offset & 31));
    return WDM_CAST(BOOLEAN, (__atomic_fetch_or(Base + (Offset >> 5), mask, __ATOMIC_SEQ_CST) & mask) != 0);
}
FORCEINLINE BOOLEAN InterlockedBitTestAndReset(_Inout_ _Interlocked_operand_ LONG volatile *Base, _In_ LONG Offset)
{
    LONG mask = WDM_CAST(LONG, 1U << (Offset & 31));
    return WDM_CAST(BOOLEAN, (__atomic_fetch_and(Base + (Offset >> 5), ~mask, __ATOMIC_SEQ_CST) & mask) != 0);
}

#define InterlockedIncrementSizeT(a) ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(a)))
#define InterlockedDecrementSizeT(a) ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(a)))
#define InterlockedExchangeAddSizeT(a, b) ((SIZE_T)InterlockedExchangeAdd64((LONG64 volatile *)(a), (LONG64)(b)))
#define InterlockedIncrementULongPtr(a) ((ULONG_PTR)InterlockedIncrement64((LONG64 volatile *)(a)))

/* Intrinsic spellings and ordering variants. */
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedCompareExchange InterlockedCompareExchange
#define _InterlockedOr InterlockedOr
#define _InterlockedAnd InterlockedAnd
#define _InterlockedXor InterlockedXor
#define _InterlockedIncrement64 InterlockedIncrement64
#define _InterlockedDecrement64 InterlockedDecrement64
#define _InterlockedExchange64 InterlockedExchange64
#define _InterlockedExchangeAdd64 InterlockedExchangeAdd64
#define _InterlockedCompareExchange64 InterlockedCompareExchange64
#define _InterlockedExchangePointer InterlockedExchangePointer
#define _InterlockedCompareExchangePointer InterlockedCompareExchangePointer
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedExchangeNoFence InterlockedExchange
#define InterlockedExchangeAddNoFence InterlockedExchangeAdd
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedOrNoFence InterlockedOr
#define InterlockedAndNoFence InterlockedAnd
#define InterlockedExchangePointerAcquire InterlockedExchangePointer
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerNoFence InterlockedCompareExchangePointer

/* Barriers. KeMemoryBarrier orders every earlier load and store before every later one. */
#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __asm__ __volatile__("" ::: "memory")
#define _ReadWriteBarrier() __asm__ __volatile__("" ::: "memory")
#define _ReadBarrier() __asm__ __volatile__("" ::: "memory")
#define _WriteBarrier() __asm__ __volatile__("" ::: "memory")
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define YieldProcessor() __asm__ __volatile__("yield")
#else
#define YieldProcessor() ((void)0)
#endif
#define KeYieldProcessor() YieldProcessor()

FORCEINLINE LONG ReadNoFence(_In_reads_bytes_(sizeof(LONG)) LONG const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE LONG ReadAcquire(_In_reads_bytes_(sizeof(LONG)) LONG const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WriteNoFence(_Out_writes_bytes_all_(sizeof(LONG)) LONG volatile *Destination, _In_ LONG Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRelease(_Out_writes_bytes_all_(sizeof(LONG)) LONG volatile *Destination, _In_ LONG Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE LONG64 ReadNoFence64(_In_reads_bytes_(sizeof(LONG64)) LONG64 const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE LONG64 ReadAcquire64(_In_reads_bytes_(sizeof(LONG64)) LONG64 const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WriteNoFence64(_Out_writes_bytes_all_(sizeof(LONG64)) LONG64 volatile *Destination, _In_ LONG64 Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WriteRelease64(_Out_writes_bytes_all_(sizeof(LONG64)) LONG64 volatile *Destination, _In_ LONG64 Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
FORCEINLINE PVOID ReadPointerNoFence(_In_reads_bytes_(sizeof(PVOID)) PVOID const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
FORCEINLINE PVOID ReadPointerAcquire(_In_reads_bytes_(sizeof(PVOID)) PVOID const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
FORCEINLINE VOID WritePointerNoFence(_Out_writes_bytes_all_(sizeof(PVOID)) PVOID volatile *Destination, _In_opt_ PVOID Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
FORCEINLINE VOID WritePointerRelease(_Out_writes_bytes_all_(sizeof(PVOID)) PVOID volatile *Destination, _In_opt_ PVOID Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }

/* ============================================================================================
 * Interlocked singly linked lists (SLIST)
 *
 * The header keeps the 64-bit WDK's layout: Alignment holds the depth (bits 0-15) and a sequence
 * number (bits 16-63), Region the first entry. Push, pop and flush are lock-free (a 16-byte
 * compare-and-exchange of the whole header) and safe from any number of threads at any IRQL.
 * Entries must be 16-byte aligned (SLIST_ENTRY is). As on Windows, a pop may read the Next field
 * of an entry another thread has just popped: an entry freed to memory that is no longer mapped
 * (special pool) while a pop races for it can fault.
 * ============================================================================================ */

#define SLIST_ENTRY_DEPTH_MASK 0xFFFFULL

#ifdef __cplusplus
#define _WDM_INT_TO_POINTER(type, value) reinterpret_cast<type>(value)
#else
#define _WDM_INT_TO_POINTER(type, value) ((type)(value))
#endif

FORCEINLINE VOID InitializeSListHead(_Out_ PSLIST_HEADER SListHead)
{
    SListHead->Alignment = 0;
    SListHead->Region = 0;
}
#define RtlInitializeSListHead InitializeSListHead

/* Number of entries (a snapshot while other threads push and pop). */
FORCEINLINE USHORT ExQueryDepthSList(_In_ PSLIST_HEADER SListHead)
{
    return WDM_CAST(USHORT, __atomic_load_n(&SListHead->Alignment, __ATOMIC_RELAXED) & SLIST_ENTRY_DEPTH_MASK);
}
#define QueryDepthSList(Head) ExQueryDepthSList(Head)
#define RtlQueryDepthSList(Head) ExQueryDepthSList(Head)

/* First entry without removing it (a snapshot). */
FORCEINLINE PSLIST_ENTRY RtlFirstEntrySList(_In_ const SLIST_HEADER *ListHead)
{
    return _WDM_INT_TO_POINTER(PSLIST_ENTRY, WDM_CAST(ULONG_PTR, __atomic_load_n(&ListHead->Region, __ATOMIC_ACQUIRE)));
}

/* Pushes Entry; returns the previous first entry (NULL when the list was empty). */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPushEntrySList(_Inout_ PSLIST_HEADER ListHead,
                                                          _Inout_ __drv_aliasesMem PSLIST_ENTRY ListEntry);

/* Pops the first entry; NULL when the list is empty. */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPopEntrySList(_Inout_ PSLIST_HEADER ListHead);

/* Removes every entry at once; returns the first (the chain stays linked through Next). */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedFlushSList(_Inout_ PSLIST_HEADER ListHead);

/* Pushes the chain List..ListEnd (Count entries, linked through Next) in one operation; returns
   the previous first entry. */
NTKERNELAPI PSLIST_ENTRY NTAPI InterlockedPushListSListEx(_Inout_ PSLIST_HEADER ListHead,
                                                          _Inout_ __drv_aliasesMem PSLIST_ENTRY List,
                                                          _Inout_ PSLIST_ENTRY ListEnd,
                                                          _In_ ULONG Count);

/* The 64-bit WDK's Ex forms take a spin lock they do not use. */
#define ExInterlockedPushEntrySList(Head, Entry, Lock) InterlockedPushEntrySList(Head, Entry)
#define ExInterlockedPopEntrySList(Head, Lock) InterlockedPopEntrySList(Head)
#define ExInterlockedFlushSList(Head) InterlockedFlushSList(Head)
#define RtlInterlockedPushEntrySList InterlockedPushEntrySList
#define RtlInterlockedPopEntrySList InterlockedPopEntrySList
#define RtlInterlockedFlushSList InterlockedFlushSList

/* ============================================================================================
 * Counted strings
 *
 * STRING/ANSI_STRING hold 8-bit characters, UNICODE_STRING UTF-16 code units; Length and
 * MaximumLength are in bytes and the buffer need not be NUL-terminated. The ANSI code page here is
 * Windows-1252's Latin-1 subset: code units up to U+00FF convert to one byte, others to '?'.
 * Buffers the Rtl routines allocate (AllocateDestinationString TRUE, RtlCreateUnicodeString,
 * RtlDuplicateUnicodeString) come from paged pool with tag 'GrtS' ("StrG"), as on Windows; free
 * them with RtlFreeUnicodeString / RtlFreeAnsiString.
 * ============================================================================================ */

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING;
typedef const STRING *PCSTRING;
typedef const ANSI_STRING *PCANSI_STRING;
typedef const OEM_STRING *PCOEM_STRING;
typedef const CHAR *PCSZ;

#ifdef __cplusplus
} /* extern "C" */
/* RTL_CONSTANT_STRING in C++: the literal is const, the Buffer field is not (as the WDK's
   template helper does it). */
inline PWCH _WdmConstantStringBuffer(const WCHAR *s) { return const_cast<PWCH>(s); }
inline PCHAR _WdmConstantStringBuffer(const CHAR *s) { return const_cast<PCHAR>(s); }
#define _WDM_CONSTANT_STRING_BUFFER(s) _WdmConstantStringBuffer(s)
extern "C" {
#else
#define _WDM_CONSTANT_STRING_BUFFER(s) (s)
#endif

/* Initializer of a UNICODE_STRING (from a WCHAR literal) or STRING (from a char literal). */
#ifdef RTL_CONSTANT_STRING
#undef RTL_CONSTANT_STRING
#endif
#define RTL_CONSTANT_STRING(s) \
    { (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), _WDM_CONSTANT_STRING_BUFFER(s) }

/* A UNICODE_STRING variable initialized from a literal (the literal is not copied). */
#define DECLARE_CONST_UNICODE_STRING(_var, _string)                                            \
    const WCHAR _var##_buffer[] = _string;                                                     \
    const UNICODE_STRING _var = { sizeof(_string) - sizeof(WCHAR), sizeof(_string),            \
                                  (PWCH)(ULONG_PTR)_var##_buffer }
#define DECLARE_GLOBAL_CONST_UNICODE_STRING(_var, _str) \
    extern const UNICODE_STRING _var = RTL_CONSTANT_STRING(_str)

/* A UNICODE_STRING with a stack buffer of _size characters, empty. */
#define DECLARE_UNICODE_STRING_SIZE(_var, _size)                                              \
    WCHAR _var##_buffer[_size];                                                                \
    UNICODE_STRING _var = { 0, (_size) * sizeof(WCHAR), _var##_buffer }

FORCEINLINE VOID RtlInitEmptyUnicodeString(_Out_ PUNICODE_STRING UnicodeString,
                                           _Pre_maybenull_ PWCHAR Buffer,
                                           _In_ USHORT BufferSize)
{
    UnicodeString->Length = 0;
    UnicodeString->MaximumLength = BufferSize;
    UnicodeString->Buffer = Buffer;
}

FORCEINLINE VOID RtlInitEmptyAnsiString(_Out_ PANSI_STRING AnsiString,
                                        _Pre_maybenull_ PCHAR Buffer,
                                        _In_ USHORT BufferSize)
{
    AnsiString->Length = 0;
    AnsiString->MaximumLength = BufferSize;
    AnsiString->Buffer = Buffer;
}

/* Points Destination at the NUL-terminated Source (not copied); Length excludes the NUL. */
NTSYSAPI VOID NTAPI RtlInitUnicodeString(_Out_ PUNICODE_STRING DestinationString,
                                         _In_opt_z_ PCWSTR SourceString);
/* Same, failing with STATUS_NAME_TOO_LONG when Source has more than 32766 characters. */
NTSYSAPI NTSTATUS NTAPI RtlInitUnicodeStringEx(_Out_ PUNICODE_STRING DestinationString,
                                               _In_opt_z_ PCWSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitString(_Out_ PSTRING DestinationString, _In_opt_z_ PCSZ SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(_Out_ PANSI_STRING DestinationString, _In_opt_z_ PCSZ SourceString);

/* Copies as much of Source as fits in Destination (Length set; NUL-terminated when there is
   room); a NULL Source empties Destination. */
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                         _In_opt_ PCUNICODE_STRING SourceString);
NTSYSAPI VOID NTAPI RtlCopyString(_Out_ PSTRING DestinationString, _In_opt_ const STRING *SourceString);

/* <0, 0 or >0 as String1 sorts before, equal to or after String2 (code-unit order, upcased when
   CaseInSensitive). */
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(_In_ PCUNICODE_STRING String1,
                                            _In_ PCUNICODE_STRING String2,
                                            _In_ BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(_In_ PCUNICODE_STRING String1,
                                             _In_ PCUNICODE_STRING String2,
                                             _In_ BOOLEAN CaseInSensitive);
/* TRUE when String1 is a prefix of String2. */
NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(_In_ PCUNICODE_STRING String1,
                                              _In_ PCUNICODE_STRING String2,
                                              _In_ BOOLEAN CaseInSensitive);
NTSYSAPI LONG NTAPI RtlCompareString(_In_ const STRING *String1, _In_ const STRING *String2,
                                     _In_ BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualString(_In_ const STRING *String1, _In_ const STRING *String2,
                                      _In_ BOOLEAN CaseInSensitive);

/* Appends; STATUS_BUFFER_TOO_SMALL (nothing changed) when the result does not fit. */
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(_Inout_ PUNICODE_STRING Destination,
                                                       _In_ PCUNICODE_STRING Source);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(_Inout_ PUNICODE_STRING Destination,
                                                 _In_opt_z_ PCWSTR Source);

NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(_In_ WCHAR SourceCharacter);
NTSYSAPI WCHAR NTAPI RtlDowncaseUnicodeChar(_In_ WCHAR SourceCharacter);
/* Upcases / downcases Source into Destination (allocated when AllocateDestinationString). */
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                               _In_ PCUNICODE_STRING SourceString,
                                               _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlDowncaseUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                                 _In_ PCUNICODE_STRING SourceString,
                                                 _In_ BOOLEAN AllocateDestinationString);

/* Conversions; without allocation a Destination too small gets what fits and
   STATUS_BUFFER_OVERFLOW. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(_When_(AllocateDestinationString, _Out_)
                                                     _When_(!AllocateDestinationString, _Inout_)
                                                     PANSI_STRING DestinationString,
                                                     _In_ PCUNICODE_STRING SourceString,
                                                     _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(_When_(AllocateDestinationString, _Out_)
                                                     _When_(!AllocateDestinationString, _Inout_)
                                                     PUNICODE_STRING DestinationString,
                                                     _In_ PCANSI_STRING SourceString,
                                                     _In_ BOOLEAN AllocateDestinationString);
/* Bytes RtlUnicodeStringToAnsiString needs, the terminating NUL included. */
NTSYSAPI ULONG NTAPI RtlxUnicodeStringToAnsiSize(_In_ PCUNICODE_STRING UnicodeString);
#define RtlUnicodeStringToAnsiSize(S) RtlxUnicodeStringToAnsiSize(S)
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(_In_ PCANSI_STRING AnsiString);
#define RtlAnsiStringToUnicodeSize(S) RtlxAnsiStringToUnicodeSize(S)

/* Allocates a NUL-terminated copy of SourceString; FALSE when out of memory. */
NTSYSAPI BOOLEAN NTAPI RtlCreateUnicodeString(_Out_ PUNICODE_STRING DestinationString,
                                              _In_z_ PCWSTR SourceString);

#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 1
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 2
/* Allocates a copy of StringIn (flags above); STATUS_INVALID_PARAMETER for other flags. */
NTSYSAPI NTSTATUS NTAPI RtlDuplicateUnicodeString(_In_ ULONG Flags,
                                                  _In_ PCUNICODE_STRING StringIn,
                                                  _Out_ PUNICODE_STRING StringOut);

/* Frees a buffer an Rtl routine allocated and empties the string. */
NTSYSAPI VOID NTAPI RtlFreeUnicodeString(_Inout_ PUNICODE_STRING UnicodeString);
NTSYSAPI VOID NTAPI RtlFreeAnsiString(_Inout_ PANSI_STRING AnsiString);

/* Value in Base 2, 8, 10 or 16 (0 = 10); STATUS_BUFFER_OVERFLOW when it does not fit,
   STATUS_INVALID_PARAMETER for another base. */
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(_In_ ULONG Value, _In_opt_ ULONG Base,
                                                  _Inout_ PUNICODE_STRING String);
/* Parses leading blanks, a sign, a 0x/0o/0b prefix when Base is 0, then digits; stops at the
   first other character. STATUS_INVALID_PARAMETER for a bad base. */
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(_In_ PCUNICODE_STRING String, _In_opt_ ULONG Base,
                                                  _Out_ PULONG Value);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDM_RTL_H_ */
