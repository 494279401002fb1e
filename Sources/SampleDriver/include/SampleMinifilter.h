/*
 * SampleMinifilter.h - two sample minifilters whose create-path ECP code is written as for
 * Windows, run through the host's Filter Manager (see SampleMinifilter.c).
 *
 * A host loads both (WdfHostLoadDriver(SAMPLE_MINIFILTER_LOWER_SERVICE, SampleMinifilterLowerEntry,
 * ...) then the upper one), lets SampleMinifilterRunCreates issue creates on a thread until *Stop
 * becomes non-zero, and unloads both with WdfHostUnloadDriver (upper first).
 */
#ifndef SAMPLE_MINIFILTER_H
#define SAMPLE_MINIFILTER_H

#include <fltkernel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Service names and the altitudes the host should give them (WdfHostSetServiceParameter "Altitude"). */
#define SAMPLE_MINIFILTER_UPPER_SERVICE "SampleFltUp"
#define SAMPLE_MINIFILTER_LOWER_SERVICE "SampleFltDn"
#define SAMPLE_MINIFILTER_UPPER_ALTITUDE 385201U
#define SAMPLE_MINIFILTER_LOWER_ALTITUDE 365201U

/* The upper filter: tags its own opens with an ECP from its ECP lookaside list. */
DRIVER_INITIALIZE SampleMinifilterUpperEntry;
/* The lower filter: finds, checks and acknowledges the upper filter's ECPs. */
DRIVER_INITIALIZE SampleMinifilterLowerEntry;

/*
 * Until *Stop becomes non-zero: the upper filter opens files on the host's volume with
 * FltCreateFileEx2 and an ECP list (its hint ECP, and now and then a system-defined oplock-key
 * ECP), checks that the lower filter acknowledged them, frees the list and closes the file; and
 * the host issues user-mode creates, to which the upper filter attaches a list of its own
 * (FltSetEcpListIntoCallbackData). Returns the number of ECPs allocated. PASSIVE_LEVEL, between
 * the filters' load and unload; Seed selects the sequence of names.
 */
ULONG64 SampleMinifilterRunCreates(ULONG Seed, volatile const int *Stop);

/* Creates whose ECPs were not acknowledged as expected (0 when the filters work). */
ULONG SampleMinifilterUnacknowledged(VOID);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SAMPLE_MINIFILTER_H */
