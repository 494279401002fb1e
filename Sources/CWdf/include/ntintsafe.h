/*
 * ntintsafe.h - overflow-checked integer arithmetic and conversions for kernel code, as the WDK's
 * ntintsafe.h: inline functions (the WDK's are too). Each returns STATUS_SUCCESS with the result,
 * or STATUS_INTEGER_OVERFLOW with the result set to the type's error value (its maximum for
 * unsigned types, -1 for signed ones) when the exact result does not fit.
 */
#ifndef _NTINTSAFE_H_INCLUDED_
#define _NTINTSAFE_H_INCLUDED_

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int INT;
typedef unsigned int UINT;
typedef INT *PINT;
typedef UINT *PUINT;
typedef intptr_t SSIZE_T;
typedef SSIZE_T *PSSIZE_T;

#define USHORT_ERROR ((USHORT)0xffff)
#define UINT_ERROR ((UINT)0xffffffffU)
#define ULONG_ERROR ((ULONG)0xffffffffU)
#define ULONGLONG_ERROR ((ULONGLONG)0xffffffffffffffffULL)
#define SIZET_ERROR ((SIZE_T)-1)
#define ULONG_PTR_ERROR ((ULONG_PTR)-1)
#define INT_ERROR (-1)
#define LONG_ERROR (-1)
#define LONGLONG_ERROR (-1LL)
#define LONG_PTR_ERROR ((LONG_PTR)-1)
#define SSIZET_ERROR ((SSIZE_T)-1)
#define BYTE_ERROR ((UCHAR)0xff)
#define UCHAR_ERROR ((UCHAR)0xff)
#define CHAR_ERROR ((CHAR)-1)
#define SHORT_ERROR ((SHORT)-1)

/* name(a, b, &result) for add, sub and mult of one type. */
#define _NTINTSAFE_OP(Name, Type, Builtin, Error)                                                   \
    FORCEINLINE NTSTATUS Name(_In_ Type Augend, _In_ Type Addend, _Out_ Type *Result)             \
    {                                                                                              \
        if (Builtin(Augend, Addend, Result)) {                                                     \
            *Result = (Type)(Error);                                                               \
            return STATUS_INTEGER_OVERFLOW;                                                        \
        }                                                                                          \
        return STATUS_SUCCESS;                                                                     \
    }
#define _NTINTSAFE_MATH(Prefix, Type, Error)                                                        \
    _NTINTSAFE_OP(Rtl##Prefix##Add, Type, __builtin_add_overflow, Error)                           \
    _NTINTSAFE_OP(Rtl##Prefix##Sub, Type, __builtin_sub_overflow, Error)                           \
    _NTINTSAFE_OP(Rtl##Prefix##Mult, Type, __builtin_mul_overflow, Error)

_NTINTSAFE_MATH(UShort, USHORT, USHORT_ERROR)
_NTINTSAFE_MATH(UInt, UINT, UINT_ERROR)
_NTINTSAFE_MATH(ULong, ULONG, ULONG_ERROR)
_NTINTSAFE_MATH(ULongLong, ULONGLONG, ULONGLONG_ERROR)
_NTINTSAFE_MATH(SizeT, SIZE_T, SIZET_ERROR)
_NTINTSAFE_MATH(ULongPtr, ULONG_PTR, ULONG_PTR_ERROR)
_NTINTSAFE_MATH(UIntPtr, UINT_PTR, ULONG_PTR_ERROR)
_NTINTSAFE_MATH(DWordPtr, ULONG_PTR, ULONG_PTR_ERROR)
_NTINTSAFE_MATH(ULong64, ULONG64, ULONGLONG_ERROR)
_NTINTSAFE_MATH(DWord64, ULONG64, ULONGLONG_ERROR)
_NTINTSAFE_MATH(UInt64, UINT64, ULONGLONG_ERROR)
_NTINTSAFE_MATH(UInt8, UINT8, BYTE_ERROR)
_NTINTSAFE_MATH(Short, SHORT, SHORT_ERROR)
_NTINTSAFE_MATH(Int, INT, INT_ERROR)
_NTINTSAFE_MATH(Long, LONG, LONG_ERROR)
_NTINTSAFE_MATH(LongLong, LONGLONG, LONGLONG_ERROR)
_NTINTSAFE_MATH(LongPtr, LONG_PTR, LONG_PTR_ERROR)
_NTINTSAFE_MATH(IntPtr, INT_PTR, LONG_PTR_ERROR)
_NTINTSAFE_MATH(SSIZET, SSIZE_T, SSIZET_ERROR)
_NTINTSAFE_MATH(Long64, LONG64, LONGLONG_ERROR)
_NTINTSAFE_MATH(Int64, INT64, LONGLONG_ERROR)

/* RtlFromToTo(value, &result): the value when it fits the target type exactly. */
#define _NTINTSAFE_CONVERT(Name, From, To, Error)                                                   \
    FORCEINLINE NTSTATUS Name(_In_ From Operand, _Out_ To *Result)                                 \
    {                                                                                              \
        if (__builtin_add_overflow(Operand, 0, Result)) {                                          \
            *Result = (To)(Error);                                                                 \
            return STATUS_INTEGER_OVERFLOW;                                                        \
        }                                                                                          \
        return STATUS_SUCCESS;                                                                     \
    }

_NTINTSAFE_CONVERT(RtlUShortToUChar, USHORT, UCHAR, UCHAR_ERROR)
_NTINTSAFE_CONVERT(RtlUShortToShort, USHORT, SHORT, SHORT_ERROR)
_NTINTSAFE_CONVERT(RtlShortToUShort, SHORT, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlUIntToUChar, UINT, UCHAR, UCHAR_ERROR)
_NTINTSAFE_CONVERT(RtlUIntToUShort, UINT, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlUIntToInt, UINT, INT, INT_ERROR)
_NTINTSAFE_CONVERT(RtlUIntToLong, UINT, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlIntToUChar, INT, UCHAR, UCHAR_ERROR)
_NTINTSAFE_CONVERT(RtlIntToUShort, INT, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlIntToUInt, INT, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlIntToULong, INT, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlIntToULongLong, INT, ULONGLONG, ULONGLONG_ERROR)
_NTINTSAFE_CONVERT(RtlIntToSizeT, INT, SIZE_T, SIZET_ERROR)
_NTINTSAFE_CONVERT(RtlULongToUChar, ULONG, UCHAR, UCHAR_ERROR)
_NTINTSAFE_CONVERT(RtlULongToUShort, ULONG, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlULongToShort, ULONG, SHORT, SHORT_ERROR)
_NTINTSAFE_CONVERT(RtlULongToInt, ULONG, INT, INT_ERROR)
_NTINTSAFE_CONVERT(RtlULongToLong, ULONG, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongToUInt, ULONG, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlLongToUChar, LONG, UCHAR, UCHAR_ERROR)
_NTINTSAFE_CONVERT(RtlLongToUShort, LONG, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlLongToUInt, LONG, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlLongToULong, LONG, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongToULongLong, LONG, ULONGLONG, ULONGLONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongToSizeT, LONG, SIZE_T, SIZET_ERROR)
_NTINTSAFE_CONVERT(RtlLongToInt, LONG, INT, INT_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToUShort, ULONGLONG, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToUInt, ULONGLONG, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToULong, ULONGLONG, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToLong, ULONGLONG, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToLongLong, ULONGLONG, LONGLONG, LONGLONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToSizeT, ULONGLONG, SIZE_T, SIZET_ERROR)
_NTINTSAFE_CONVERT(RtlULongLongToULongPtr, ULONGLONG, ULONG_PTR, ULONG_PTR_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToUInt, LONGLONG, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToULong, LONGLONG, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToLong, LONGLONG, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToInt, LONGLONG, INT, INT_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToULongLong, LONGLONG, ULONGLONG, ULONGLONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongLongToSizeT, LONGLONG, SIZE_T, SIZET_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToUShort, SIZE_T, USHORT, USHORT_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToUInt, SIZE_T, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToULong, SIZE_T, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToInt, SIZE_T, INT, INT_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToLong, SIZE_T, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToLongLong, SIZE_T, LONGLONG, LONGLONG_ERROR)
_NTINTSAFE_CONVERT(RtlSizeTToDWord, SIZE_T, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongPtrToULong, ULONG_PTR, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlULongPtrToUInt, ULONG_PTR, UINT, UINT_ERROR)
_NTINTSAFE_CONVERT(RtlULongPtrToLong, ULONG_PTR, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongPtrToULong, LONG_PTR, ULONG, ULONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongPtrToLong, LONG_PTR, LONG, LONG_ERROR)
_NTINTSAFE_CONVERT(RtlLongPtrToULongPtr, LONG_PTR, ULONG_PTR, ULONG_PTR_ERROR)
_NTINTSAFE_CONVERT(RtlSSIZETToSizeT, SSIZE_T, SIZE_T, SIZET_ERROR)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _NTINTSAFE_H_INCLUDED_ */
