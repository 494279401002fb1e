#include "CRuntimeShims.h"

_Thread_local void *nt_thread_context_storage __attribute__((tls_model("initial-exec")));
