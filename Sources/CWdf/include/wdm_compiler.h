/*
 * wdm_compiler.h - what driver code written for Microsoft's compiler expects of the compiler,
 * mapped onto clang and gcc (C11 and C++17). Included by wdm.h before anything else it declares;
 * not meant to be included on its own.
 *
 * - Multi-character constants ('gaT1', the pool-tag idiom) and `#pragma warning(...)` lines
 *   compile without a warning once a driver includes the headers: the diagnostics are turned off
 *   for the rest of the translation unit. g++ before 13 decides on both while it reads the file,
 *   before any pragma applies (GCC bug 53431), so C++ drivers built with g++ also pass
 *   `-Wno-multichar -Wno-unknown-pragmas` (the SDK's pkg-config and CMake flags carry them).
 * - `__forceinline`, `__declspec(...)` (align, noinline, noreturn, selectany, dllimport,
 *   dllexport, restrict, noalias, nothrow, novtable, deprecated, allocate, code_seg, uuid),
 *   `__pragma(...)`, `__int8`..`__int64`, `__unaligned`, `__ptr64`, `__noop`, `__assume`.
 *   `__inline` is the compilers' own keyword: in C a non-static `__inline` function follows the
 *   C99 inline rules (give it `static`, or build with -fgnu89-inline).
 * - Structured exception handling (`__try`/`__except`/`__finally`/`__leave`) needs compiler and
 *   kernel support that a Linux process does not have: each keyword is a compile-time error
 *   saying so. Write the code without it (check pointers and statuses instead of catching access
 *   violations); what would have raised stops the process with a bug check report.
 */
#ifndef _WDM_COMPILER_H_
#define _WDM_COMPILER_H_

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wmultichar"
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wfour-char-constants"
#endif
#endif

/* __pragma(x): Microsoft's operator form of #pragma. */
#ifndef __pragma
#define __pragma(x) _Pragma(#x)
#endif

#ifndef __forceinline
#define __forceinline __inline__ __attribute__((__always_inline__))
#endif

#ifndef __noop
#define __noop(...) ((void)0)
#endif
#ifndef __assume
#define __assume(e) ((void)0)
#endif

#ifndef __unaligned
#define __unaligned
#endif
#ifndef UNALIGNED
#define UNALIGNED
#endif
#ifndef __ptr64
#define __ptr64
#endif
#ifndef __ptr32
#define __ptr32
#endif
#ifndef POINTER_64
#define POINTER_64
#endif
#ifndef POINTER_32
#define POINTER_32
#endif
#ifndef __int8
#define __int8 char
#endif
#ifndef __int16
#define __int16 short
#endif
#ifndef __int32
#define __int32 int
#endif
#ifndef __int64
#define __int64 long long
#endif

/*
 * __declspec(x) becomes _WDM_DECLSPEC_x: each form drivers use has a definition below; an unknown
 * one is an error naming it (_WDM_DECLSPEC_<form> undeclared), never silently dropped.
 */
#if !defined(__declspec) && !defined(_MSC_VER)
#define __declspec(x) _WDM_DECLSPEC_##x
#define _WDM_DECLSPEC_align(n) __attribute__((__aligned__(n)))
#define _WDM_DECLSPEC_noinline __attribute__((__noinline__))
#define _WDM_DECLSPEC_noreturn __attribute__((__noreturn__))
#define _WDM_DECLSPEC_selectany __attribute__((__weak__))
#define _WDM_DECLSPEC_dllimport
#define _WDM_DECLSPEC_dllexport __attribute__((__visibility__("default")))
#define _WDM_DECLSPEC_restrict
#define _WDM_DECLSPEC_noalias
#define _WDM_DECLSPEC_nothrow
#define _WDM_DECLSPEC_novtable
#define _WDM_DECLSPEC_deprecated
#define _WDM_DECLSPEC_allocate(section)
#define _WDM_DECLSPEC_code_seg(section)
#define _WDM_DECLSPEC_uuid(text)
#define _WDM_DECLSPEC_thread _Thread_local
#endif

/*
 * Structured exception handling: a clear compile error. (libstdc++ defines its own __try in C++
 * headers; when one of those came first, __except and __finally still report the error.)
 */
#ifdef __cplusplus
#define _WDM_SEH_ERROR static_assert(false, \
    "structured exception handling (__try/__except/__finally/__leave) cannot work in a Linux process: " \
    "remove it; check pointers and statuses instead (what would raise stops with a bug check report)")
#else
#define _WDM_SEH_ERROR _Static_assert(0, \
    "structured exception handling (__try/__except/__finally/__leave) cannot work in a Linux process: " \
    "remove it; check pointers and statuses instead (what would raise stops with a bug check report)")
#endif
#ifndef __try
#define __try _WDM_SEH_ERROR;
#endif
#define __except(...) _WDM_SEH_ERROR;
#define __finally _WDM_SEH_ERROR;
#define __leave _WDM_SEH_ERROR

#endif /* _WDM_COMPILER_H_ */
