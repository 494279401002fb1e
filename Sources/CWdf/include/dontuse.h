/*
 * dontuse.h - as in the WDK: marks the C run-time string routines that cannot bound their
 * output (strcpy, strcat, sprintf, vsprintf, wcscpy, wcscat and the n forms, which do not
 * terminate) as deprecated, steering drivers to ntstrsafe.h. A driver that includes it and calls
 * one gets a -Wdeprecated-declarations warning naming the replacement (an error with -Werror, as
 * the WDK's C4995 is with its default /WX); a driver that includes it and calls none compiles
 * unchanged. The routines are redeclared with the deprecation attribute after the C library's
 * own declarations (glibc's, whose exception specifications they repeat for C++). Not done with
 * _FORTIFY_SOURCE (glibc then defines them inline) or when WDF_DONTUSE_ALLOW_CRT_STRINGS is
 * defined.
 */
#ifndef _DONTUSE_H_INCLUDED_
#define _DONTUSE_H_INCLUDED_

#include "wdm.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__GLIBC__) && !defined(WDF_DONTUSE_ALLOW_CRT_STRINGS)
#include <string.h>
#include <stdio.h>
#include <stdarg.h>
#include <wchar.h>

/* With _FORTIFY_SOURCE the C library defines these routines inline (and sprintf as a macro):
   a later declaration cannot add the attribute, so nothing is deprecated then. */
#if !defined(__USE_FORTIFY_LEVEL) || __USE_FORTIFY_LEVEL == 0
#ifdef __cplusplus
extern "C" {
#endif

#define _WDF_DONTUSE(replacement) __attribute__((__deprecated__("banned by dontuse.h: use " replacement " (ntstrsafe.h)")))

extern char *strcpy(char *__restrict __dest, const char *__restrict __src) __THROW
    _WDF_DONTUSE("RtlStringCbCopyA or RtlStringCchCopyA");
extern char *strcat(char *__restrict __dest, const char *__restrict __src) __THROW
    _WDF_DONTUSE("RtlStringCbCatA or RtlStringCchCatA");
extern char *strncpy(char *__restrict __dest, const char *__restrict __src, size_t __n) __THROW
    _WDF_DONTUSE("RtlStringCbCopyNA or RtlStringCchCopyNA");
extern char *strncat(char *__restrict __dest, const char *__restrict __src, size_t __n) __THROW
    _WDF_DONTUSE("RtlStringCbCatNA or RtlStringCchCatNA");
extern int sprintf(char *__restrict __s, const char *__restrict __format, ...) __THROWNL
    _WDF_DONTUSE("RtlStringCbPrintfA or RtlStringCchPrintfA");
extern int vsprintf(char *__restrict __s, const char *__restrict __format, __gnuc_va_list __arg) __THROWNL
    _WDF_DONTUSE("RtlStringCbVPrintfA or RtlStringCchVPrintfA");
extern wchar_t *wcscpy(wchar_t *__restrict __dest, const wchar_t *__restrict __src) __THROW
    _WDF_DONTUSE("RtlStringCbCopyW or RtlStringCchCopyW");
extern wchar_t *wcscat(wchar_t *__restrict __dest, const wchar_t *__restrict __src) __THROW
    _WDF_DONTUSE("RtlStringCbCatW or RtlStringCchCatW");
extern wchar_t *wcsncpy(wchar_t *__restrict __dest, const wchar_t *__restrict __src, size_t __n) __THROW
    _WDF_DONTUSE("RtlStringCbCopyNW or RtlStringCchCopyNW");
extern wchar_t *wcsncat(wchar_t *__restrict __dest, const wchar_t *__restrict __src, size_t __n) __THROW
    _WDF_DONTUSE("RtlStringCbCatNW or RtlStringCchCatNW");

#undef _WDF_DONTUSE

#ifdef __cplusplus
} /* extern "C" */
#endif
#endif /* no _FORTIFY_SOURCE */
#endif

#endif /* _DONTUSE_H_INCLUDED_ */
