/*
 * CWdf.c - the routines implemented in C: debug output and the printf formatting it shares with
 * _vsnprintf/_vsnwprintf (they read a C va_list by the format, which Swift cannot do). Everything
 * else declared by the public headers is implemented in Swift and exported by the Wdf01000 module.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wdm.h"

static ULONG wdm_debug_vprint(const char *Format, va_list arguments);

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

/*
 * The kernel's printf formatting, with Windows' rules: DbgPrint, DbgPrintEx, _vsnprintf,
 * _vsnwprintf, _snprintf, _snwprintf (and through them ntstrsafe.h's RtlString*Printf).
 *
 * It is C because it reads a C va_list by the format, which Swift cannot do. The rules that
 * differ from glibc's printf, and that driver code relies on:
 *   - `l` on an integer is 32 bits (LONG/ULONG), `ll`/`I64` 64 bits, `I` pointer size,
 *     `I32` 32 bits, `h` 16, `hh` 8, `z`/`j`/`t` pointer size;
 *   - `%wZ` prints a PUNICODE_STRING, `%Z` a PANSI_STRING (its Length, no NUL needed);
 *   - `%ws`, `%ls`, `%S` (in a narrow format) print a WCHAR string, `%hs` a narrow one; in a wide
 *     format `%s` is wide and `%S` narrow; `%c`/`%C`/`%wc`/`%hc` likewise for characters;
 *   - `%p` prints 16 upper-case hexadecimal digits without 0x; a NULL string prints "(null)";
 *   - `%n` writes nothing.
 * WCHAR text goes into narrow output as UTF-8; narrow text into wide output byte by byte.
 */

typedef struct {
    void *buffer;     /* char or WCHAR units, or NULL to count only */
    size_t capacity;  /* units the buffer holds */
    size_t length;    /* units produced (may exceed capacity) */
    int wide;
} wdm_output;

static void put_unit(wdm_output *out, unsigned unit)
{
    if (out->buffer != NULL && out->length < out->capacity) {
        if (out->wide) ((WCHAR *)out->buffer)[out->length] = (WCHAR)unit;
        else ((char *)out->buffer)[out->length] = (char)unit;
    }
    out->length++;
}

/* A Unicode code point into the output: UTF-16 when wide, UTF-8 when narrow. */
static void put_code_point(wdm_output *out, uint32_t point)
{
    if (out->wide) {
        if (point >= 0x10000) {
            point -= 0x10000;
            put_unit(out, 0xD800 + (point >> 10));
            put_unit(out, 0xDC00 + (point & 0x3FF));
        } else {
            put_unit(out, point);
        }
        return;
    }
    if (point < 0x80) {
        put_unit(out, point);
    } else if (point < 0x800) {
        put_unit(out, 0xC0 | (point >> 6));
        put_unit(out, 0x80 | (point & 0x3F));
    } else if (point < 0x10000) {
        put_unit(out, 0xE0 | (point >> 12));
        put_unit(out, 0x80 | ((point >> 6) & 0x3F));
        put_unit(out, 0x80 | (point & 0x3F));
    } else {
        put_unit(out, 0xF0 | (point >> 18));
        put_unit(out, 0x80 | ((point >> 12) & 0x3F));
        put_unit(out, 0x80 | ((point >> 6) & 0x3F));
        put_unit(out, 0x80 | (point & 0x3F));
    }
}

static void put_padding(wdm_output *out, long count)
{
    while (count-- > 0) put_unit(out, ' ');
}

/* Narrow text: bytes as they are into narrow output, as Latin-1 code points into wide output. */
static void put_narrow(wdm_output *out, const char *text, size_t count, int width, int left)
{
    if (!left) put_padding(out, (long)width - (long)count);
    for (size_t i = 0; i < count; i++) {
        if (out->wide) put_unit(out, (unsigned char)text[i]);
        else put_unit(out, (unsigned char)text[i]);
    }
    if (left) put_padding(out, (long)width - (long)count);
}

/* UTF-16 text: as it is into wide output, as UTF-8 into narrow output. */
static void put_wide(wdm_output *out, const WCHAR *text, size_t count, int width, int left)
{
    if (!left) put_padding(out, (long)width - (long)count);
    for (size_t i = 0; i < count; i++) {
        uint32_t unit = text[i];
        if (!out->wide && unit >= 0xD800 && unit < 0xDC00 && i + 1 < count && text[i + 1] >= 0xDC00 &&
            text[i + 1] < 0xE000) {
            unit = 0x10000 + ((unit - 0xD800) << 10) + (text[i + 1] - 0xDC00);
            i++;
        }
        if (out->wide) put_unit(out, unit);
        else put_code_point(out, unit);
    }
    if (left) put_padding(out, (long)width - (long)count);
}

static unsigned format_unit(const void *format, int wide, size_t index)
{
    return wide ? ((const WCHAR *)format)[index] : (unsigned char)((const char *)format)[index];
}

/* Formats into out; the format is WCHAR text when format_wide. */
static void wdm_format(wdm_output *out, const void *format, int format_wide, va_list arguments)
{
    size_t i = 0;
    unsigned c;
    while ((c = format_unit(format, format_wide, i)) != 0) {
        if (c != '%') {
            if (format_wide) put_code_point(out, c);
            else put_unit(out, c);
            i++;
            continue;
        }
        i++;
        char flags[8];
        int flag_count = 0;
        int left = 0;
        while ((c = format_unit(format, format_wide, i)) != 0 && strchr("-+ #0", (int)c) != NULL) {
            if (flag_count < 5) flags[flag_count++] = (char)c;
            if (c == '-') left = 1;
            i++;
        }
        flags[flag_count] = 0;
        int width = -1, precision = -1;
        if (c == '*') {
            width = va_arg(arguments, int);
            if (width < 0) { left = 1; width = -width; }
            i++;
        } else {
            while ((c = format_unit(format, format_wide, i)) >= '0' && c <= '9') {
                width = (width < 0 ? 0 : width) * 10 + (int)(c - '0');
                if (width > 4096) width = 4096;
                i++;
            }
        }
        if (format_unit(format, format_wide, i) == '.') {
            i++;
            precision = 0;
            if (format_unit(format, format_wide, i) == '*') {
                precision = va_arg(arguments, int);
                i++;
            } else {
                while ((c = format_unit(format, format_wide, i)) >= '0' && c <= '9') {
                    precision = precision * 10 + (int)(c - '0');
                    if (precision > 4096) precision = 4096;
                    i++;
                }
            }
        }
        /* Size: 0 default (int), 1 char, 2 short, 4 32-bit, 8 64-bit; 'w' wide, 'h' narrow text. */
        int size = 0, text = 0, is_long_double = 0;
        for (;;) {
            c = format_unit(format, format_wide, i);
            if (c == 'h') {
                if (format_unit(format, format_wide, i + 1) == 'h') { size = 1; i += 2; }
                else { size = 2; text = 'h'; i++; }
            } else if (c == 'l') {
                if (format_unit(format, format_wide, i + 1) == 'l') { size = 8; i += 2; }
                else { size = 4; text = 'w'; i++; }
            } else if (c == 'w') {
                text = 'w';
                i++;
            } else if (c == 'L') {
                is_long_double = 1;
                size = 8;
                i++;
            } else if (c == 'I') {
                if (format_unit(format, format_wide, i + 1) == '6' && format_unit(format, format_wide, i + 2) == '4') {
                    size = 8;
                    i += 3;
                } else if (format_unit(format, format_wide, i + 1) == '3' && format_unit(format, format_wide, i + 2) == '2') {
                    size = 4;
                    i += 3;
                } else {
                    size = 8;
                    i++;
                }
            } else if (c == 'z' || c == 'j' || c == 't') {
                size = 8;
                i++;
            } else {
                break;
            }
        }
        c = format_unit(format, format_wide, i);
        if (c == 0) break;
        i++;
        switch (c) {
        case '%':
            put_unit(out, '%');
            break;
        case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
            char spec[32], digits[4200];
            unsigned long long value;
            int is_signed = (c == 'd' || c == 'i');
            if (size == 8) {
                value = va_arg(arguments, unsigned long long);
            } else {
                unsigned int raw = va_arg(arguments, unsigned int);
                if (size == 1) value = is_signed ? (unsigned long long)(long long)(signed char)raw : (unsigned char)raw;
                else if (size == 2) value = is_signed ? (unsigned long long)(long long)(short)raw : (unsigned short)raw;
                else value = is_signed ? (unsigned long long)(long long)(int)raw : raw;
            }
            snprintf(spec, sizeof spec, "%%%s%s%s%sll%c", flags, width >= 0 ? "*" : "", precision >= 0 ? "." : "",
                     precision >= 0 ? "*" : "", (char)c);
            int n;
            if (width >= 0 && precision >= 0) n = snprintf(digits, sizeof digits, spec, width, precision, value);
            else if (width >= 0) n = snprintf(digits, sizeof digits, spec, width, value);
            else if (precision >= 0) n = snprintf(digits, sizeof digits, spec, precision, value);
            else n = snprintf(digits, sizeof digits, spec, value);
            if (n > (int)sizeof digits - 1) n = (int)sizeof digits - 1;
            put_narrow(out, digits, n < 0 ? 0 : (size_t)n, 0, 0);
            break;
        }
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A': {
            char spec[32], digits[4200];
            double value = is_long_double ? (double)va_arg(arguments, long double) : va_arg(arguments, double);
            snprintf(spec, sizeof spec, "%%%s%s%s%s%c", flags, width >= 0 ? "*" : "", precision >= 0 ? "." : "",
                     precision >= 0 ? "*" : "", (char)c);
            int n;
            if (width >= 0 && precision >= 0) n = snprintf(digits, sizeof digits, spec, width, precision, value);
            else if (width >= 0) n = snprintf(digits, sizeof digits, spec, width, value);
            else if (precision >= 0) n = snprintf(digits, sizeof digits, spec, precision, value);
            else n = snprintf(digits, sizeof digits, spec, value);
            if (n > (int)sizeof digits - 1) n = (int)sizeof digits - 1;
            put_narrow(out, digits, n < 0 ? 0 : (size_t)n, 0, 0);
            break;
        }
        case 'p': {
            char digits[32];
            int n = snprintf(digits, sizeof digits, "%016llX", (unsigned long long)(uintptr_t)va_arg(arguments, void *));
            put_narrow(out, digits, (size_t)n, width < 0 ? 0 : width, left);
            break;
        }
        case 'c': case 'C': {
            int wide_char = text == 'w' || (text != 'h' && ((c == 'c') == (format_wide != 0)));
            unsigned value = (unsigned)va_arg(arguments, int);
            if (wide_char) {
                WCHAR unit = (WCHAR)value;
                put_wide(out, &unit, 1, width < 0 ? 0 : width, left);
            } else {
                char unit = (char)value;
                put_narrow(out, &unit, 1, width < 0 ? 0 : width, left);
            }
            break;
        }
        case 's': case 'S': {
            int wide_text = text == 'w' || (text != 'h' && ((c == 's') == (format_wide != 0)));
            const void *string = va_arg(arguments, const void *);
            if (string == NULL) {
                put_narrow(out, "(null)", 6, width < 0 ? 0 : width, left);
            } else if (wide_text) {
                const WCHAR *units = (const WCHAR *)string;
                size_t count = 0;
                while ((precision < 0 || count < (size_t)precision) && units[count] != 0) count++;
                put_wide(out, units, count, width < 0 ? 0 : width, left);
            } else {
                const char *bytes = (const char *)string;
                size_t count = 0;
                while ((precision < 0 || count < (size_t)precision) && bytes[count] != 0) count++;
                put_narrow(out, bytes, count, width < 0 ? 0 : width, left);
            }
            break;
        }
        case 'Z': {
            const void *string = va_arg(arguments, const void *);
            if (text == 'w') {
                const UNICODE_STRING *unicode = (const UNICODE_STRING *)string;
                if (unicode == NULL || unicode->Buffer == NULL) {
                    put_narrow(out, "(null)", 6, width < 0 ? 0 : width, left);
                } else {
                    size_t count = unicode->Length / sizeof(WCHAR);
                    if (precision >= 0 && count > (size_t)precision) count = (size_t)precision;
                    put_wide(out, unicode->Buffer, count, width < 0 ? 0 : width, left);
                }
            } else {
                const ANSI_STRING *ansi = (const ANSI_STRING *)string;
                if (ansi == NULL || ansi->Buffer == NULL) {
                    put_narrow(out, "(null)", 6, width < 0 ? 0 : width, left);
                } else {
                    size_t count = ansi->Length;
                    if (precision >= 0 && count > (size_t)precision) count = (size_t)precision;
                    put_narrow(out, ansi->Buffer, count, width < 0 ? 0 : width, left);
                }
            }
            break;
        }
        case 'n':
            (void)va_arg(arguments, void *);
            break;
        default:
            /* Not a conversion: printed as written. */
            put_unit(out, '%');
            put_unit(out, c);
            break;
        }
    }
}

/* Windows' _vsnprintf: at most Count units; the count written, or -1 when the text (without its
   NUL) did not fit; NUL-terminated only when there was room. */
static int wdm_vsn(void *buffer, size_t count, int wide, const void *format, va_list arguments)
{
    wdm_output out = { buffer, count, 0, wide };
    wdm_format(&out, format, wide, arguments);
    if (out.length < count) {
        put_unit(&out, 0);
        return (int)(out.length - 1);
    }
    return out.length == count ? (int)count : -1;
}

int _vsnprintf(char *Buffer, size_t Count, const char *Format, va_list ArgList)
{
    if (Format == NULL) return -1;
    return wdm_vsn(Buffer, Buffer == NULL ? 0 : Count, 0, Format, ArgList);
}

int _vsnwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, va_list ArgList)
{
    if (Format == NULL) return -1;
    return wdm_vsn(Buffer, Buffer == NULL ? 0 : Count, 1, Format, ArgList);
}

int _snprintf(char *Buffer, size_t Count, const char *Format, ...)
{
    va_list arguments;
    va_start(arguments, Format);
    int result = _vsnprintf(Buffer, Count, Format, arguments);
    va_end(arguments);
    return result;
}

int _snwprintf(WCHAR *Buffer, size_t Count, const WCHAR *Format, ...)
{
    va_list arguments;
    va_start(arguments, Format);
    int result = _vsnwprintf(Buffer, Count, Format, arguments);
    va_end(arguments);
    return result;
}

/* DbgPrint's output: formatted with the rules above, written to standard error in one write. */
static ULONG wdm_debug_vprint(const char *Format, va_list arguments)
{
    char stack[1024];
    va_list copy;
    va_copy(copy, arguments);
    wdm_output out = { stack, sizeof stack, 0, 0 };
    wdm_format(&out, Format, 0, arguments);
    if (out.length <= sizeof stack) {
        fwrite(stack, 1, out.length, stderr);
    } else {
        char big[16384];
        wdm_output again = { big, sizeof big, 0, 0 };
        wdm_format(&again, Format, 0, copy);
        fwrite(big, 1, again.length < sizeof big ? again.length : sizeof big, stderr);
    }
    va_end(copy);
    return (ULONG)STATUS_SUCCESS;
}
