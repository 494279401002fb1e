/*
 * CWdf.c - the routines implemented in C: debug output (and, in Format.c, the printf formatting
 * it shares with _vsnprintf/_vsnwprintf, which read a C va_list). Everything else declared by the
 * public headers is implemented in Swift and exported by the Wdf01000 module.
 */
#include <stdarg.h>
#include <stdio.h>

#include "wdm.h"

ULONG wdm_debug_vprint(const char *Format, va_list arguments);

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list arguments;
    va_start(arguments, Format);
    wdm_debug_vprint(Format, arguments);
    va_end(arguments);
    return (ULONG)STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list arguments;
    (void)ComponentId;
    (void)Level;
    va_start(arguments, Format);
    wdm_debug_vprint(Format, arguments);
    va_end(arguments);
    return (ULONG)STATUS_SUCCESS;
}
