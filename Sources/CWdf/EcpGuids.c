/*
 * EcpGuids.c - definitions of the system-defined ECP type GUIDs that fltkernel.h declares
 * (GUID_ECP_OPLOCK_KEY, ...), so that a driver that does not define INITGUID links.
 */
#define INITGUID
#include "fltkernel.h"
