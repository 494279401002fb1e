/*
 * wdm_pool.h - the pool routines of the current WDK beyond ExAllocatePoolWithTag/ExAllocatePool2.
 * Included at the end of wdm.h; not meant to be included on its own.
 *
 * As in the WDK, ExAllocatePoolZero/Uninitialized, ExAllocatePoolQuotaZero/Uninitialized,
 * ExAllocatePoolPriorityZero/Uninitialized and ExAllocatePool are inline wrappers; the Zero forms
 * zero the block, the Uninitialized forms do not; the Quota forms charge the current process
 * (and raise on failure unless POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is given), as
 * ExAllocatePoolWithQuotaTag. ExAllocatePoolWithTagPriority and ExAllocatePool3 are exported.
 * A priority only matters when memory is low on Windows; here it changes nothing.
 */
#ifndef _WDM_POOL_H_
#define _WDM_POOL_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef enum _EX_POOL_PRIORITY {
    LowPoolPriority,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/* Like ExAllocatePoolWithTag; Priority is accepted (it matters only under memory pressure). */
_IRQL_requires_max_(DISPATCH_LEVEL) _Ret_maybenull_ __drv_allocatesMem(Mem)
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTagPriority(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes,
                                                      _In_ ULONG Tag, _In_ EX_POOL_PRIORITY Priority);

typedef enum POOL_EXTENDED_PARAMETER_TYPE {
    PoolExtendedParameterInvalidType = 0,
    PoolExtendedParameterPriority,
    PoolExtendedParameterSecurePool,
    PoolExtendedParameterNumaNode,
    PoolExtendedParameterMax
} POOL_EXTENDED_PARAMETER_TYPE;

#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS (64 - POOL_EXTENDED_PARAMETER_TYPE_BITS - POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)
#define MM_ANY_NODE_OK 0x80000000
typedef ULONG POOL_NODE_REQUIREMENT;

typedef struct _POOL_EXTENDED_PARAMETER {
    __extension__ struct {
        ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
        ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
        ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
    };
    union {
        ULONG64 Reserved2;
        PVOID Reserved3;
        EX_POOL_PRIORITY Priority;
        PVOID SecurePoolParams;
        POOL_NODE_REQUIREMENT PreferredNode;
    };
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;
typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;

/*
 * ExAllocatePool2 with extended parameters: a priority (accepted), a preferred NUMA node (one
 * node here: any is satisfied). Secure pool is not available here: a required secure-pool
 * parameter fails the call (NULL), an optional one is ignored. An unknown type fails the call.
 */
_IRQL_requires_max_(DISPATCH_LEVEL) _Ret_maybenull_ __drv_allocatesMem(Mem)
NTKERNELAPI PVOID NTAPI ExAllocatePool3(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                                        _In_reads_opt_(ExtendedParametersCount) PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                                        _In_ ULONG ExtendedParametersCount);

FORCEINLINE PVOID _WdmZeroed(PVOID Block, SIZE_T NumberOfBytes)
{
    if (Block != NULL) memset(Block, 0, NumberOfBytes);
    return Block;
}

FORCEINLINE PVOID ExAllocatePoolZero(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag)
{ return _WdmZeroed(ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag), NumberOfBytes); }
FORCEINLINE PVOID ExAllocatePoolUninitialized(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag)
{ return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag); }
FORCEINLINE PVOID ExAllocatePoolQuotaZero(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag)
{ return _WdmZeroed(ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag), NumberOfBytes); }
FORCEINLINE PVOID ExAllocatePoolQuotaUninitialized(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag)
{ return ExAllocatePoolWithQuotaTag(PoolType, NumberOfBytes, Tag); }
FORCEINLINE PVOID ExAllocatePoolPriorityZero(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                                             _In_ EX_POOL_PRIORITY Priority)
{ return _WdmZeroed(ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority), NumberOfBytes); }
FORCEINLINE PVOID ExAllocatePoolPriorityUninitialized(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag,
                                                      _In_ EX_POOL_PRIORITY Priority)
{ return ExAllocatePoolWithTagPriority(PoolType, NumberOfBytes, Tag, Priority); }

/* The deprecated untagged forms: the WDK gives them the tag 'None' ("enoN" in the source). */
#define ExAllocatePool(PoolType, NumberOfBytes) ExAllocatePoolWithTag((PoolType), (NumberOfBytes), 0x656E6F4EU)
#define ExAllocatePoolWithQuota(PoolType, NumberOfBytes) ExAllocatePoolWithQuotaTag((PoolType), (NumberOfBytes), 0x656E6F4EU)

/*
 * ExInitializeDriverRuntime(DrvRtPoolNxOptIn): from then on the driver's NonPagedPool means
 * NonPagedPoolNx when it is built with POOL_NX_OPTIN=1 (as in the WDK, NonPagedPool then names the
 * variable ExDefaultNonPagedPoolType). Both are the same non-paged pool here: execution rights
 * of pool memory do not exist in a Linux process.
 */
#define DrvRtPoolNxOptIn 0x00000001
#define MdlMappingNoExecute 0x40000000

#if !defined(__swift__)
DECLSPEC_SELECTANY POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPool;
DECLSPEC_SELECTANY ULONG ExDefaultMdlProtection = 0;

FORCEINLINE VOID ExInitializeDriverRuntime(_In_ ULONG RuntimeFlags)
{
    if (RuntimeFlags & DrvRtPoolNxOptIn) {
        ExDefaultNonPagedPoolType = NonPagedPoolNx;
        ExDefaultMdlProtection = MdlMappingNoExecute;
    }
}

#if defined(POOL_NX_OPTIN) && POOL_NX_OPTIN
#define NonPagedPool ExDefaultNonPagedPoolType
#endif
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _WDM_POOL_H_ */
