/*
 * ntstrsafe.h - bounded string copy, concatenation, formatting and length routines for kernel
 * code, as the WDK's ntstrsafe.h: inline functions (the WDK's are too), A forms on char and W
 * forms on WCHAR, Cb forms counting bytes and Cch forms counting characters, Ex forms with
 * STRSAFE_* flags, and the UNICODE_STRING forms (RtlUnicodeString*).
 *
 * Results as documented: STATUS_SUCCESS; STATUS_BUFFER_OVERFLOW when the result was cut to fit
 * (it is still NUL-terminated); STATUS_INVALID_PARAMETER for a zero or too large destination size,
 * a destination that holds no NUL (Cat), a NULL string without STRSAFE_IGNORE_NULLS, or unknown
 * flags. The UNICODE_STRING forms never write a NUL and keep Length within MaximumLength.
 * Formatting follows the kernel's rules (`%wZ`, `%ws`, 32-bit `%ld`; see _vsnprintf in wdm.h).
 */
#ifndef _NTSTRSAFE_H_INCLUDED_
#define _NTSTRSAFE_H_INCLUDED_

#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NTSTRSAFE_MAX_CCH 2147483647
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH (0xffff / sizeof(WCHAR))

#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000
#define STRSAFE_FILL_BEHIND STRSAFE_FILL_BEHIND_NULL
#define STRSAFE_ZERO_LENGTH_ON_FAILURE STRSAFE_NULL_ON_FAILURE
#define STRSAFE_VALID_FLAGS 0x00001FFF
#define STRSAFE_UNICODE_STRING_VALID_FLAGS 0x00001F00
#define STRSAFE_FILL_BYTE(x) ((ULONG)(((x) & 0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((ULONG)(((x) & 0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags) & 0x000000FF))

typedef char *NTSTRSAFE_PSTR;
typedef const char *NTSTRSAFE_PCSTR;
typedef WCHAR *NTSTRSAFE_PWSTR;
typedef const WCHAR *NTSTRSAFE_PCWSTR;
typedef const WCHAR *NTSTRSAFE_PCUWSTR;

#define NTSTRSAFEDDI FORCEINLINE NTSTATUS

#ifdef __cplusplus
#define _NTSS_UNCONST_W(p) const_cast<PWCH>(p)
#else
#define _NTSS_UNCONST_W(p) ((PWCH)(ULONG_PTR)(p))
#endif

/* ---- shared workers (units of 1 or 2 bytes) ------------------------------------------------ */

FORCEINLINE unsigned _NtssGet(const void *s, int w, size_t i)
{
    return w ? WDM_CAST(const WCHAR *, s)[i] : WDM_CAST(unsigned char, WDM_CAST(const char *, s)[i]);
}

FORCEINLINE void _NtssSet(void *d, int w, size_t i, unsigned v)
{
    if (w) WDM_CAST(WCHAR *, d)[i] = WDM_CAST(WCHAR, v);
    else WDM_CAST(char *, d)[i] = WDM_CAST(char, v);
}

/* What the Ex flags ask once the work is done; returns Status. */
FORCEINLINE NTSTATUS _NtssFinish(NTSTATUS Status, void *Dest, size_t CchDest, int w, size_t Start, size_t Length,
                                 void **End, size_t *Remaining, ULONG Flags)
{
    size_t unit = w ? 2 : 1;
    if (Dest != NULL && CchDest != 0) {
        if (NT_SUCCESS(Status)) {
            if ((Flags & STRSAFE_FILL_BEHIND_NULL) && Length + 1 < CchDest) {
                memset(WDM_CAST(char *, Dest) + (Length + 1) * unit, STRSAFE_GET_FILL_PATTERN(Flags),
                       (CchDest - Length - 1) * unit);
            }
        } else if (Flags & (STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)) {
            if (Flags & STRSAFE_FILL_ON_FAILURE) {
                memset(Dest, STRSAFE_GET_FILL_PATTERN(Flags), CchDest * unit);
                _NtssSet(Dest, w, CchDest - 1, 0);
                Length = CchDest - 1;
            }
            if (Flags & (STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)) {
                Length = (Flags & STRSAFE_NULL_ON_FAILURE) ? 0 : Start;
                _NtssSet(Dest, w, Length, 0);
            }
        }
    }
    if (End != NULL) *End = Dest == NULL ? NULL : WDM_CAST(char *, Dest) + Length * unit;
    if (Remaining != NULL) *Remaining = CchDest - Length;
    return Status;
}

/* Copy (Append 0) or concatenation (Append 1) of at most CchToCopy units of Src. */
FORCEINLINE NTSTATUS _NtssCopy(void *Dest, size_t CchDest, const void *Src, size_t CchToCopy, int w, int Append,
                               void **End, size_t *Remaining, ULONG Flags, int Ex)
{
    static const WCHAR empty[1] = { 0 };
    size_t start = 0, length, copied = 0;
    if ((Flags & ~WDM_CAST(ULONG, STRSAFE_VALID_FLAGS)) != 0 || CchDest > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
    if (Src == NULL) {
        if (!(Flags & STRSAFE_IGNORE_NULLS)) return STATUS_INVALID_PARAMETER;
        Src = empty;
    }
    if (Dest == NULL && !((Flags & STRSAFE_IGNORE_NULLS) && CchDest == 0)) return STATUS_INVALID_PARAMETER;
    if (CchDest == 0) {
        if (!Ex) return STATUS_INVALID_PARAMETER;
        if (End != NULL) *End = Dest;
        if (Remaining != NULL) *Remaining = 0;
        return (CchToCopy == 0 || _NtssGet(Src, w, 0) == 0) ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
    }
    if (Append) {
        while (start < CchDest && _NtssGet(Dest, w, start) != 0) start++;
        if (start == CchDest) return STATUS_INVALID_PARAMETER;
    }
    length = start;
    while (length < CchDest - 1 && copied < CchToCopy && _NtssGet(Src, w, copied) != 0) {
        _NtssSet(Dest, w, length++, _NtssGet(Src, w, copied++));
    }
    _NtssSet(Dest, w, length, 0);
    return _NtssFinish((copied < CchToCopy && _NtssGet(Src, w, copied) != 0) ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS,
                       Dest, CchDest, w, start, length, End, Remaining, Flags);
}

FORCEINLINE NTSTATUS _NtssVPrintf(void *Dest, size_t CchDest, int w, void **End, size_t *Remaining, ULONG Flags,
                                  int Ex, const void *Format, va_list Arguments)
{
    static const WCHAR empty[1] = { 0 };
    int written;
    size_t length;
    NTSTATUS status = STATUS_SUCCESS;
    if ((Flags & ~WDM_CAST(ULONG, STRSAFE_VALID_FLAGS)) != 0 || CchDest > NTSTRSAFE_MAX_CCH) return STATUS_INVALID_PARAMETER;
    if (Format == NULL) {
        if (!(Flags & STRSAFE_IGNORE_NULLS)) return STATUS_INVALID_PARAMETER;
        Format = empty;
    }
    if (Dest == NULL && !((Flags & STRSAFE_IGNORE_NULLS) && CchDest == 0)) return STATUS_INVALID_PARAMETER;
    if (CchDest == 0) {
        if (!Ex) return STATUS_INVALID_PARAMETER;
        if (End != NULL) *End = Dest;
        if (Remaining != NULL) *Remaining = 0;
        return _NtssGet(Format, w, 0) == 0 ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
    }
    written = w ? _vsnwprintf(WDM_CAST(WCHAR *, Dest), CchDest - 1, WDM_CAST(const WCHAR *, Format), Arguments)
                : _vsnprintf(WDM_CAST(char *, Dest), CchDest - 1, WDM_CAST(const char *, Format), Arguments);
    if (written < 0 || WDM_CAST(size_t, written) > CchDest - 1) {
        length = CchDest - 1;
        status = STATUS_BUFFER_OVERFLOW;
    } else {
        length = WDM_CAST(size_t, written);
    }
    _NtssSet(Dest, w, length, 0);
    return _NtssFinish(status, Dest, CchDest, w, 0, length, End, Remaining, Flags);
}

FORCEINLINE NTSTATUS _NtssLength(const void *Psz, size_t CchMax, int w, size_t *Length)
{
    size_t count = 0;
    if (Psz == NULL || CchMax > NTSTRSAFE_MAX_CCH || CchMax == 0) {
        if (Length != NULL) *Length = 0;
        return STATUS_INVALID_PARAMETER;
    }
    while (count < CchMax && _NtssGet(Psz, w, count) != 0) count++;
    if (count == CchMax) {
        if (Length != NULL) *Length = 0;
        return STATUS_INVALID_PARAMETER;
    }
    if (Length != NULL) *Length = count;
    return STATUS_SUCCESS;
}

/* ---- Copy ---------------------------------------------------------------------------------- */

NTSTRSAFEDDI RtlStringCchCopyA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCSTR pszSrc)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 0, 0, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCchCopyW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCWSTR pszSrc)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 1, 0, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCbCopyA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCSTR pszSrc)
{ return _NtssCopy(pszDest, cbDest, pszSrc, WDM_CAST(size_t, -1), 0, 0, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCbCopyW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCWSTR pszSrc)
{ return _NtssCopy(pszDest, cbDest / sizeof(WCHAR), pszSrc, WDM_CAST(size_t, -1), 1, 0, NULL, NULL, 0, 0); }

NTSTRSAFEDDI RtlStringCchCopyNA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToCopy)
{ return cchToCopy > NTSTRSAFE_MAX_LENGTH ? STATUS_INVALID_PARAMETER : _NtssCopy(pszDest, cchDest, pszSrc, cchToCopy, 0, 0, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCchCopyNW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToCopy)
{ return cchToCopy > NTSTRSAFE_MAX_LENGTH ? STATUS_INVALID_PARAMETER : _NtssCopy(pszDest, cchDest, pszSrc, cchToCopy, 1, 0, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCbCopyNA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToCopy)
{ return RtlStringCchCopyNA(pszDest, cbDest, pszSrc, cbToCopy); }
NTSTRSAFEDDI RtlStringCbCopyNW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToCopy)
{ return RtlStringCchCopyNW(pszDest, cbDest / sizeof(WCHAR), pszSrc, cbToCopy / sizeof(WCHAR)); }

NTSTRSAFEDDI RtlStringCchCopyExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCSTR pszSrc,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 0, 0, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1); }
NTSTRSAFEDDI RtlStringCchCopyExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCWSTR pszSrc,
                                 _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 1, 0, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1); }
NTSTRSAFEDDI RtlStringCbCopyExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCSTR pszSrc,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags)
{ return RtlStringCchCopyExA(pszDest, cbDest, pszSrc, ppszDestEnd, pcbRemaining, dwFlags); }
NTSTRSAFEDDI RtlStringCbCopyExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCWSTR pszSrc,
                                _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags)
{
    size_t remaining = 0;
    NTSTATUS status = RtlStringCchCopyExW(pszDest, cbDest / sizeof(WCHAR), pszSrc, ppszDestEnd, &remaining, dwFlags);
    if (pcbRemaining != NULL) *pcbRemaining = remaining * sizeof(WCHAR) + (cbDest % sizeof(WCHAR));
    return status;
}

/* ---- Cat ----------------------------------------------------------------------------------- */

NTSTRSAFEDDI RtlStringCchCatA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCSTR pszSrc)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 0, 1, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCchCatW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCWSTR pszSrc)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 1, 1, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCbCatA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCSTR pszSrc)
{ return RtlStringCchCatA(pszDest, cbDest, pszSrc); }
NTSTRSAFEDDI RtlStringCbCatW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCWSTR pszSrc)
{ return RtlStringCchCatW(pszDest, cbDest / sizeof(WCHAR), pszSrc); }
NTSTRSAFEDDI RtlStringCchCatNA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToAppend)
{ return cchToAppend > NTSTRSAFE_MAX_LENGTH ? STATUS_INVALID_PARAMETER : _NtssCopy(pszDest, cchDest, pszSrc, cchToAppend, 0, 1, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCchCatNW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToAppend)
{ return cchToAppend > NTSTRSAFE_MAX_LENGTH ? STATUS_INVALID_PARAMETER : _NtssCopy(pszDest, cchDest, pszSrc, cchToAppend, 1, 1, NULL, NULL, 0, 0); }
NTSTRSAFEDDI RtlStringCbCatNA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToAppend)
{ return RtlStringCchCatNA(pszDest, cbDest, pszSrc, cbToAppend); }
NTSTRSAFEDDI RtlStringCbCatNW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToAppend)
{ return RtlStringCchCatNW(pszDest, cbDest / sizeof(WCHAR), pszSrc, cbToAppend / sizeof(WCHAR)); }
NTSTRSAFEDDI RtlStringCchCatExA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCSTR pszSrc,
                                _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 0, 1, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1); }
NTSTRSAFEDDI RtlStringCchCatExW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ NTSTRSAFE_PCWSTR pszSrc,
                                _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags)
{ return _NtssCopy(pszDest, cchDest, pszSrc, WDM_CAST(size_t, -1), 1, 1, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1); }
NTSTRSAFEDDI RtlStringCbCatExA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCSTR pszSrc,
                               _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags)
{ return RtlStringCchCatExA(pszDest, cbDest, pszSrc, ppszDestEnd, pcbRemaining, dwFlags); }
NTSTRSAFEDDI RtlStringCbCatExW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ NTSTRSAFE_PCWSTR pszSrc,
                               _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags)
{
    size_t remaining = 0;
    NTSTATUS status = RtlStringCchCatExW(pszDest, cbDest / sizeof(WCHAR), pszSrc, ppszDestEnd, &remaining, dwFlags);
    if (pcbRemaining != NULL) *pcbRemaining = remaining * sizeof(WCHAR) + (cbDest % sizeof(WCHAR));
    return status;
}

/* ---- Printf -------------------------------------------------------------------------------- */

NTSTRSAFEDDI RtlStringCchVPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList)
{ return _NtssVPrintf(pszDest, cchDest, 0, NULL, NULL, 0, 0, pszFormat, argList); }
NTSTRSAFEDDI RtlStringCchVPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList)
{ return _NtssVPrintf(pszDest, cchDest, 1, NULL, NULL, 0, 0, pszFormat, argList); }
NTSTRSAFEDDI RtlStringCbVPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList)
{ return _NtssVPrintf(pszDest, cbDest, 0, NULL, NULL, 0, 0, pszFormat, argList); }
NTSTRSAFEDDI RtlStringCbVPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList)
{ return _NtssVPrintf(pszDest, cbDest / sizeof(WCHAR), 1, NULL, NULL, 0, 0, pszFormat, argList); }

#define _NTSS_PRINTF(call)             \
    NTSTATUS status;                    \
    va_list argList;                    \
    va_start(argList, pszFormat);       \
    status = call;                      \
    va_end(argList);                    \
    return status

NTSTRSAFEDDI RtlStringCchPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cchDest, 0, NULL, NULL, 0, 0, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCchPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cchDest, 1, NULL, NULL, 0, 0, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCbPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cbDest, 0, NULL, NULL, 0, 0, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCbPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cbDest / sizeof(WCHAR), 1, NULL, NULL, 0, 0, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCchPrintfExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest, _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cchDest, 0, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCchPrintfExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest, _Outptr_opt_result_buffer_(*pcchRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                   _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cchDest, 1, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcchRemaining, dwFlags, 1, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCbPrintfExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest, _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...)
{ _NTSS_PRINTF(_NtssVPrintf(pszDest, cbDest, 0, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), pcbRemaining, dwFlags, 1, pszFormat, argList)); }
NTSTRSAFEDDI RtlStringCbPrintfExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest, _Outptr_opt_result_bytebuffer_(*pcbRemaining) NTSTRSAFE_PWSTR *ppszDestEnd,
                                  _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...)
{
    size_t remaining = 0;
    NTSTATUS status;
    va_list argList;
    va_start(argList, pszFormat);
    status = _NtssVPrintf(pszDest, cbDest / sizeof(WCHAR), 1, WDM_CAST(void **, WDM_CAST(void *, ppszDestEnd)), &remaining, dwFlags, 1, pszFormat, argList);
    va_end(argList);
    if (pcbRemaining != NULL) *pcbRemaining = remaining * sizeof(WCHAR) + (cbDest % sizeof(WCHAR));
    return status;
}

/* ---- Length -------------------------------------------------------------------------------- */

NTSTRSAFEDDI RtlStringCchLengthA(_In_reads_or_z_(cchMax) NTSTRSAFE_PCSTR psz, _In_ size_t cchMax, _Out_opt_ size_t *pcchLength)
{ return _NtssLength(psz, cchMax, 0, pcchLength); }
NTSTRSAFEDDI RtlStringCchLengthW(_In_reads_or_z_(cchMax) NTSTRSAFE_PCWSTR psz, _In_ size_t cchMax, _Out_opt_ size_t *pcchLength)
{ return _NtssLength(psz, cchMax, 1, pcchLength); }
NTSTRSAFEDDI RtlStringCbLengthA(_In_reads_or_z_(cbMax) NTSTRSAFE_PCSTR psz, _In_ size_t cbMax, _Out_opt_ size_t *pcbLength)
{ return _NtssLength(psz, cbMax, 0, pcbLength); }
NTSTRSAFEDDI RtlStringCbLengthW(_In_reads_or_z_(cbMax / sizeof(WCHAR)) NTSTRSAFE_PCWSTR psz, _In_ size_t cbMax, _Out_opt_ size_t *pcbLength)
{
    size_t length = 0;
    NTSTATUS status = _NtssLength(psz, cbMax / sizeof(WCHAR), 1, &length);
    if (pcbLength != NULL) *pcbLength = length * sizeof(WCHAR);
    return status;
}

/* ---- UNICODE_STRING forms (no NUL is written; Length never exceeds MaximumLength) ---------- */

NTSTRSAFEDDI RtlUnicodeStringValidate(_In_opt_ PCUNICODE_STRING SourceString)
{
    if (SourceString == NULL) return STATUS_INVALID_PARAMETER;
    if ((SourceString->Length & 1) || (SourceString->MaximumLength & 1) || SourceString->Length > SourceString->MaximumLength ||
        (SourceString->Buffer == NULL && SourceString->MaximumLength != 0)) {
        return STATUS_INVALID_PARAMETER;
    }
    return STATUS_SUCCESS;
}

NTSTRSAFEDDI RtlUnicodeStringInit(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc)
{
    size_t length = 0;
    if (DestinationString == NULL) return STATUS_INVALID_PARAMETER;
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = _NTSS_UNCONST_W(pszSrc);
    if (pszSrc == NULL) return STATUS_SUCCESS;
    while (pszSrc[length] != 0) {
        if (++length > NTSTRSAFE_UNICODE_STRING_MAX_CCH - 1) {
            DestinationString->Buffer = NULL;
            return STATUS_INVALID_PARAMETER;
        }
    }
    DestinationString->Length = WDM_CAST(USHORT, length * sizeof(WCHAR));
    DestinationString->MaximumLength = WDM_CAST(USHORT, (length + 1) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

/* Writes Count units of Src at the end (Append) or start of Dest; what does not fit is cut. */
FORCEINLINE NTSTATUS _NtssUnicodePut(PUNICODE_STRING Dest, const WCHAR *Src, size_t Count, int Append)
{
    size_t start, room, n;
    if (!NT_SUCCESS(RtlUnicodeStringValidate(Dest)) || (Src == NULL && Count != 0)) return STATUS_INVALID_PARAMETER;
    start = Append ? Dest->Length / sizeof(WCHAR) : 0;
    room = Dest->MaximumLength / sizeof(WCHAR) - start;
    n = Count < room ? Count : room;
    if (n != 0) memmove(Dest->Buffer + start, Src, n * sizeof(WCHAR));
    Dest->Length = WDM_CAST(USHORT, (start + n) * sizeof(WCHAR));
    return n < Count ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTRSAFEDDI RtlUnicodeStringCopy(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString)
{
    if (!NT_SUCCESS(RtlUnicodeStringValidate(SourceString))) return STATUS_INVALID_PARAMETER;
    return _NtssUnicodePut(DestinationString, SourceString->Buffer, SourceString->Length / sizeof(WCHAR), 0);
}

NTSTRSAFEDDI RtlUnicodeStringCat(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString)
{
    if (!NT_SUCCESS(RtlUnicodeStringValidate(SourceString))) return STATUS_INVALID_PARAMETER;
    return _NtssUnicodePut(DestinationString, SourceString->Buffer, SourceString->Length / sizeof(WCHAR), 1);
}

NTSTRSAFEDDI RtlUnicodeStringCopyString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc)
{
    size_t length = 0;
    if (pszSrc == NULL) return STATUS_INVALID_PARAMETER;
    while (pszSrc[length] != 0) length++;
    return _NtssUnicodePut(DestinationString, pszSrc, length, 0);
}

NTSTRSAFEDDI RtlUnicodeStringCatString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc)
{
    size_t length = 0;
    if (pszSrc == NULL) return STATUS_INVALID_PARAMETER;
    while (pszSrc[length] != 0) length++;
    return _NtssUnicodePut(DestinationString, pszSrc, length, 1);
}

NTSTRSAFEDDI RtlUnicodeStringVPrintf(_Inout_ PUNICODE_STRING DestinationString, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList)
{
    size_t capacity;
    int written;
    if (!NT_SUCCESS(RtlUnicodeStringValidate(DestinationString)) || pszFormat == NULL) return STATUS_INVALID_PARAMETER;
    capacity = DestinationString->MaximumLength / sizeof(WCHAR);
    written = _vsnwprintf(DestinationString->Buffer, capacity, pszFormat, argList);
    if (written < 0 || WDM_CAST(size_t, written) > capacity) {
        DestinationString->Length = WDM_CAST(USHORT, capacity * sizeof(WCHAR));
        return STATUS_BUFFER_OVERFLOW;
    }
    DestinationString->Length = WDM_CAST(USHORT, WDM_CAST(size_t, written) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTRSAFEDDI RtlUnicodeStringPrintf(_Inout_ PUNICODE_STRING DestinationString, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...)
{
    NTSTATUS status;
    va_list argList;
    va_start(argList, pszFormat);
    status = RtlUnicodeStringVPrintf(DestinationString, pszFormat, argList);
    va_end(argList);
    return status;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _NTSTRSAFE_H_INCLUDED_ */
