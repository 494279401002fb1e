/*
 * suppress.h - the WDK's code-analysis suppression macros. There is no code analysis here: they
 * compile to nothing (pragmas that the compilers ignore).
 */
#ifndef _SUPPRESS_H_
#define _SUPPRESS_H_

#include "sal.h"

#ifndef _PREFAST_
#define _SUPPRESS_NOTHING_
#endif

#ifndef __PREfastPagedCode
#define __PREfastPagedCode()
#endif
#ifndef __PREfastPagedCodeLocked
#define __PREfastPagedCodeLocked()
#endif
#ifndef _Analysis_suppress_
#define _Analysis_suppress_(...)
#endif
#ifndef __prefast_suppress
#define __prefast_suppress(...)
#endif

#endif /* _SUPPRESS_H_ */
