/*
 * CWdf.c - the only routines implemented in C: debug output.
 * Everything else declared by the public headers is implemented in Swift and exported by the
 * Wdf01000 module.
 */
#include <stdarg.h>
#include <stdio.h>

#include "wdm.h"

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list arguments;
    va_start(arguments, Format);
    vfprintf(stderr, Format, arguments);
    va_end(arguments);
    return (ULONG)STATUS_SUCCESS;
}

ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list arguments;
    (void)ComponentId;
    (void)Level;
    va_start(arguments, Format);
    vfprintf(stderr, Format, arguments);
    va_end(arguments);
    return (ULONG)STATUS_SUCCESS;
}
