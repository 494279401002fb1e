#!/bin/sh
# Header checks for Sources/CWdf/include (run by CI; exits non-zero on the first failure).
#
#  1. every public header alone, then all of them together, compiles warning-free as C11
#     (clang and gcc, -Wall -Wextra -Werror -pedantic) and as C++17 (clang++ and g++);
#  2. layout.c: static assertions on type sizes, structure offsets and constant values;
#  3. usage.c: driver-style code written as the WDK reference pages show it; fltusage.c: the same
#     for a minifilter (FLT_REGISTRATION, ECP lookaside lists, every ECP routine);
#  4. CWdf.c compiles with the same flags;
#  5. link_main.c + link_other.c + CWdf.c link and run (DEFINE_GUID/INITGUID, DbgPrint, one
#     type-information object per context type across translation units);
#  6. handle types: any specific handle converts to WDFOBJECT without a cast, but a WDFMEMORY
#     where a WDFDEVICE is expected is diagnosed (an error with -Werror, checked both ways); so is
#     a PECP_LIST where a PFLT_FILTER is expected;
#  7. when swiftc is available: the headers import into Swift as a clang module and the status
#     constants keep their NTSTATUS type and values.
#
# Override the compilers with CCS="..." and CXXS="..." (space separated).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
INC="$ROOT/Sources/CWdf/include"
CWDF_C="$ROOT/Sources/CWdf/CWdf.c"
HEADERS="wdm.h wdf.h fltkernel.h wdfhost.h ntddk.h ntifs.h fltKernel.h ntstatus.h dontuse.h initguid.h ntstrsafe.h ntintsafe.h"

CCS=${CCS:-"clang gcc"}
CXXS=${CXXS:-"clang++ g++"}

CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic"
CXXFLAGS="-std=c++17 -Wall -Wextra -Werror -pedantic"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

failures=0
run() {
    # run DESCRIPTION COMMAND...
    desc=$1
    shift
    if "$@" >"$WORK/out.txt" 2>&1; then
        echo "ok    $desc"
    else
        echo "FAIL  $desc"
        echo "      $*"
        sed 's/^/      /' "$WORK/out.txt"
        failures=$((failures + 1))
    fi
}

for tool in $CCS $CXXS; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL  compiler not found: $tool"
        exit 1
    fi
done

# Test translation units: each header alone, all together (both orders).
for h in $HEADERS; do
    printf '#include <%s>\n' "$h" >"$WORK/only_${h%.h}.c"
done
{
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done
} >"$WORK/all.c"
{
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done | sort -r
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done
} >"$WORK/all_reversed_twice.c"

for cc in $CCS; do
    for f in "$WORK"/only_*.c "$WORK/all.c" "$WORK/all_reversed_twice.c"; do
        run "$cc C11 $(basename "$f")" $cc $CFLAGS -I"$INC" -fsyntax-only "$f"
    done
    run "$cc C11 layout.c" $cc $CFLAGS -I"$INC" -fsyntax-only "$HERE/layout.c"
    run "$cc C11 usage.c" $cc $CFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/usage.c"
    run "$cc C11 fltusage.c" $cc $CFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/fltusage.c"
    run "$cc C11 CWdf.c" $cc $CFLAGS -I"$INC" -c -o "$WORK/CWdf.o" "$CWDF_C"
    run "$cc C11 link + run" sh -c '
        "$1" $2 -I"$3" -o "$4/link_c" "$5/link_main.c" "$5/link_other.c" "$6" &&
        "$4/link_c" 2>"$4/stderr.txt" | grep -qx OK &&
        grep -qx "main 42" "$4/stderr.txt" && grep -qx "other tu" "$4/stderr.txt"' \
        sh "$cc" "$CFLAGS" "$INC" "$WORK" "$HERE" "$CWDF_C"
done

for cxx in $CXXS; do
    for f in "$WORK"/only_*.c "$WORK/all.c" "$WORK/all_reversed_twice.c"; do
        run "$cxx C++17 $(basename "$f")" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$f"
    done
    run "$cxx C++17 layout.c" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$HERE/layout.c"
    run "$cxx C++17 usage.c" $cxx -x c++ $CXXFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/usage.c"
    run "$cxx C++17 fltusage.c" $cxx -x c++ $CXXFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/fltusage.c"
    run "$cxx C++17 link + run" sh -c '
        "$1" -x c $2 -I"$3" -c -o "$4/CWdf_cxx.o" "$6" &&
        "$1" -x c++ $7 -I"$3" -o "$4/link_cxx" "$5/link_main.c" "$5/link_other.c" -x none "$4/CWdf_cxx.o" &&
        "$4/link_cxx" 2>"$4/stderr.txt" | grep -qx OK &&
        grep -qx "main 42" "$4/stderr.txt" && grep -qx "other tu" "$4/stderr.txt"' \
        sh "$cxx" "$CFLAGS" "$INC" "$WORK" "$HERE" "$CWDF_C" "$CXXFLAGS"
done

# Handle types. The control file must compile; each mismatch file must fail, and because of the
# handle types (the compiler names the incompatible types), not for another reason.
cat >"$WORK/handles_ok.c" <<'C'
#include <wdf.h>
void UseDevice(WDFDEVICE Device);
void UseObject(WDFOBJECT Object);
void HandlesOk(WDFDEVICE device, WDFMEMORY memory, WDFREQUEST request, WDFLOOKASIDE lookaside)
{
    WDF_OBJECT_ATTRIBUTES attributes;
    WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
    attributes.ParentObject = request;
    attributes.ParentObject = device;
    UseDevice(device);
    UseObject(memory);
    UseObject(lookaside);
    WdfObjectDelete(memory);
}
C
cat >"$WORK/handles_bad_argument.c" <<'C'
#include <wdf.h>
void UseDevice(WDFDEVICE Device);
void HandlesBad(WDFMEMORY memory)
{
    UseDevice(memory);
}
C
cat >"$WORK/handles_bad_assignment.c" <<'C'
#include <wdf.h>
WDFDEVICE HandlesBad(WDFMEMORY memory)
{
    WDFDEVICE device = memory;
    return device;
}
C
cat >"$WORK/handles_bad_library_call.c" <<'C'
#include <wdf.h>
NTSTATUS HandlesBad(WDFMEMORY memory)
{
    WDFMEMORY result;
    return WdfMemoryCreateFromLookaside(memory, &result);
}
C
cat >"$WORK/handles_ok_flt.c" <<'C'
#include <fltkernel.h>
void UseFilter(PFLT_FILTER Filter);
void HandlesOk(PFLT_FILTER filter, PECP_LIST list, NPAGED_LOOKASIDE_LIST *lookaside)
{
    PVOID any = list;
    UseFilter(filter);
    FltInitExtraCreateParameterLookasideList(filter, lookaside, FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL, 32, 0);
    FltFreeExtraCreateParameterList(filter, list);
    (void)any;
}
C
cat >"$WORK/handles_bad_flt_argument.c" <<'C'
#include <fltkernel.h>
void HandlesBad(PECP_LIST list)
{
    FltUnregisterFilter(list);
}
C
cat >"$WORK/handles_bad_flt_assignment.c" <<'C'
#include <fltkernel.h>
PFLT_FILTER HandlesBad(PECP_LIST list)
{
    PFLT_FILTER filter = list;
    return filter;
}
C
expect_rejected() {
    # expect_rejected COMPILER LANGUAGE-FLAGS... FILE
    f=$(eval echo "\${$#}")
    case "$f" in
        *_flt_*) pattern="_ECP_LIST" ;;
        *) pattern="WDFMEMORY__" ;;
    esac
    if "$@" >"$WORK/rejected.txt" 2>&1; then
        echo "compiled, but mixing handle types must be diagnosed: $f"
        return 1
    fi
    if ! grep -q "$pattern" "$WORK/rejected.txt"; then
        echo "failed for another reason than the handle types:"
        cat "$WORK/rejected.txt"
        return 1
    fi
}
# dontuse.h: a banned string routine is diagnosed, naming its ntstrsafe.h replacement.
cat >"$WORK/dontuse_bad.c" <<'C'
#include <ntddk.h>
#include <dontuse.h>
void DontUseBad(char *buffer) { strcpy(buffer, "x"); }
C
expect_banned() {
    if "$@" >"$WORK/banned.txt" 2>&1; then
        echo "compiled, but strcpy after dontuse.h must be diagnosed"
        return 1
    fi
    grep -q "banned by dontuse.h: use RtlStringCbCopyA" "$WORK/banned.txt" || { cat "$WORK/banned.txt"; return 1; }
}
for cc in $CCS; do
    run "$cc C11 dontuse.h bans strcpy" expect_banned $cc $CFLAGS -I"$INC" -fsyntax-only "$WORK/dontuse_bad.c"
done
for cxx in $CXXS; do
    run "$cxx C++17 dontuse.h bans strcpy" expect_banned $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$WORK/dontuse_bad.c"
done

for cc in $CCS; do
    run "$cc C11 handle conversions to WDFOBJECT" $cc $CFLAGS -I"$INC" -fsyntax-only "$WORK/handles_ok.c"
    run "$cc C11 filter handles" $cc $CFLAGS -I"$INC" -fsyntax-only "$WORK/handles_ok_flt.c"
    for f in "$WORK"/handles_bad_*.c; do
        run "$cc C11 rejects $(basename "$f")" expect_rejected $cc $CFLAGS -I"$INC" -fsyntax-only "$f"
    done
done
for cxx in $CXXS; do
    run "$cxx C++17 handle conversions to WDFOBJECT" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$WORK/handles_ok.c"
    run "$cxx C++17 filter handles" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$WORK/handles_ok_flt.c"
    for f in "$WORK"/handles_bad_*.c; do
        run "$cxx C++17 rejects $(basename "$f")" expect_rejected $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$f"
    done
done

# Swift import (optional: only where a Swift toolchain is installed).
if command -v swiftc >/dev/null 2>&1; then
    mkdir -p "$WORK/swift/CWdf"
    cp "$INC"/*.h "$WORK/swift/CWdf/"
    cat >"$WORK/swift/CWdf/module.modulemap" <<'MODULEMAP'
module CWdf {
    umbrella "."
    export *
}
MODULEMAP
    cat >"$WORK/swift/check.swift" <<'SWIFT'
import CWdf

let invalid: NTSTATUS = STATUS_INVALID_PARAMETER
precondition(UInt32(bitPattern: invalid) == 0xC000_000D)
precondition(UInt32(bitPattern: STATUS_WDF_PARENT_NOT_SPECIFIED) == 0xC020_0212)
precondition(STATUS_MORE_ENTRIES == 0x105 && STATUS_SUCCESS == 0)
let flags: POOL_FLAGS = POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED
precondition(flags == 0x42)
precondition(NonPagedPoolNx.rawValue == 512)
precondition(MemoryLayout<LOOKASIDE_LIST_EX>.size == 96)
// Types aligned above 16 bytes (GENERAL_LOOKASIDE, [N]PAGED_LOOKASIDE_LIST) do not import into
// Swift: their pointers arrive as OpaquePointer, and their first 96 bytes are a
// GENERAL_LOOKASIDE_POOL (layout.c asserts the identical offsets).
func legacyDepth(_ list: PNPAGED_LOOKASIDE_LIST) -> USHORT {
    UnsafeMutablePointer<GENERAL_LOOKASIDE_POOL>(list).pointee.Depth
}
let legacyInit: (PNPAGED_LOOKASIDE_LIST?, PALLOCATE_FUNCTION?, PFREE_FUNCTION?, ULONG, SIZE_T, ULONG, USHORT) -> Void = ExInitializeNPagedLookasideList
precondition(MemoryLayout<SYSTEM_POOLTAG>.size == 40)
precondition(MemoryLayout<DRIVER_OBJECT>.size == 0x150)
precondition(MemoryLayout<GUID>.size == 16)
precondition(MemoryLayout<WCHAR>.size == 2)
var list = LOOKASIDE_LIST_EX()
list.L.Depth = 4
list.L.AllocateMisses = 1
let bugCheck: (ULONG, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR) -> Never = KeBugCheckEx
let allocate: (POOL_FLAGS, SIZE_T, ULONG) -> PVOID? = ExAllocatePool2
let query: (SYSTEM_INFORMATION_CLASS, PVOID?, ULONG, PULONG?) -> NTSTATUS = ZwQuerySystemInformation
let load: (UnsafePointer<CChar>?, PDRIVER_INITIALIZE?, UnsafeMutablePointer<PDRIVER_OBJECT?>?) -> NTSTATUS = WdfHostLoadDriver
_ = (bugCheck, allocate, query, load, legacyDepth, legacyInit, WDF_VIOLATION as ULONG, PAGE_SIZE)

// KMDF: structures keep their layout and field names, the enums import as RawRepresentable
// structs, WDFOBJECT is a raw pointer and the specific handles are OpaquePointer.
precondition(MemoryLayout<WDF_OBJECT_ATTRIBUTES>.size == 56)
precondition(MemoryLayout<WDF_OBJECT_ATTRIBUTES>.offset(of: \.ContextTypeInfo) == 48)
precondition(MemoryLayout<WDF_OBJECT_CONTEXT_TYPE_INFO>.size == 40)
precondition(MemoryLayout<WDF_DRIVER_CONFIG>.size == 32)
precondition(MemoryLayout<WDFMEMORY_OFFSET>.size == 16)
var attributes = WDF_OBJECT_ATTRIBUTES()
WDF_OBJECT_ATTRIBUTES_INIT(&attributes)
precondition(attributes.Size == 56)
precondition(attributes.ExecutionLevel == WdfExecutionLevelInheritFromParent)
precondition(attributes.SynchronizationScope.rawValue == WdfSynchronizationScopeInheritFromParent.rawValue)
let level: WDF_EXECUTION_LEVEL = WdfExecutionLevelDispatch
precondition(level.rawValue == 3 && WdfSynchronizationScopeNone.rawValue == 4)
precondition(WdfVerifierOn.rawValue == 8)
let parent: WDFOBJECT? = attributes.ParentObject
let context: PCWDF_OBJECT_CONTEXT_TYPE_INFO? = attributes.ContextTypeInfo
let cleanup: PFN_WDF_OBJECT_CONTEXT_CLEANUP = { (_: WDFOBJECT?) in }
attributes.EvtCleanupCallback = cleanup
var typeInfo = WDF_OBJECT_CONTEXT_TYPE_INFO()
typeInfo.ContextSize = 24
var config = WDF_DRIVER_CONFIG()
WDF_DRIVER_CONFIG_INIT(&config, nil)
precondition(config.Size == 32 && config.DriverPoolTag == 0)
let deviceAdd: PFN_WDF_DRIVER_DEVICE_ADD = { (_: WDFDRIVER?, _: PWDFDEVICE_INIT?) in STATUS_SUCCESS }
config.EvtDriverDeviceAdd = deviceAdd
let memoryCreate: (PWDF_OBJECT_ATTRIBUTES?, POOL_TYPE, ULONG, Int, UnsafeMutablePointer<WDFMEMORY?>?, UnsafeMutablePointer<PVOID?>?) -> NTSTATUS = WdfMemoryCreate
let lookasideCreate: (PWDF_OBJECT_ATTRIBUTES?, Int, POOL_TYPE, PWDF_OBJECT_ATTRIBUTES?, ULONG, UnsafeMutablePointer<WDFLOOKASIDE?>?) -> NTSTATUS = WdfLookasideListCreate
let fromLookaside: (WDFLOOKASIDE?, UnsafeMutablePointer<WDFMEMORY?>?) -> NTSTATUS = WdfMemoryCreateFromLookaside
let getBuffer: (WDFMEMORY?, UnsafeMutablePointer<Int>?) -> PVOID? = WdfMemoryGetBuffer
let delete: (WDFOBJECT?) -> Void = WdfObjectDelete
let reference: (WDFOBJECT?, PVOID?, LONG, PCCH?) -> Void = WdfObjectReferenceActual
let worker: (WDFOBJECT?, PCWDF_OBJECT_CONTEXT_TYPE_INFO?) -> PVOID? = WdfObjectGetTypedContextWorker
let driverCreate: (PDRIVER_OBJECT?, PCUNICODE_STRING?, PWDF_OBJECT_ATTRIBUTES?, PWDF_DRIVER_CONFIG?, UnsafeMutablePointer<WDFDRIVER?>?) -> NTSTATUS = WdfDriverCreate
let deviceCreate: (UnsafeMutablePointer<PWDFDEVICE_INIT?>?, PWDF_OBJECT_ATTRIBUTES?, UnsafeMutablePointer<WDFDEVICE?>?) -> NTSTATUS = WdfDeviceCreate
let requestCreate: (PWDF_OBJECT_ATTRIBUTES?, WDFIOTARGET?, UnsafeMutablePointer<WDFREQUEST?>?) -> NTSTATUS = WdfRequestCreate
let addDevice: (PDRIVER_OBJECT?, UnsafeMutablePointer<WDFDEVICE?>?) -> NTSTATUS = WdfHostAddDevice
let opaque: OpaquePointer? = WDFMEMORY(bitPattern: 0x1000)
let asObject: WDFOBJECT? = opaque.map { UnsafeMutableRawPointer($0) }
_ = (parent, context, typeInfo, memoryCreate, lookasideCreate, fromLookaside, getBuffer, delete, reference, worker)
_ = (driverCreate, deviceCreate, requestCreate, addDevice, asObject, WdfGetDriver, WdfObjectContextGetObject)

// Filter Manager: PFLT_FILTER and PECP_LIST are OpaquePointer, LPCGUID UnsafePointer<GUID>, the
// callbacks @convention(c) function types; FLT_REGISTRATION keeps its layout (112 bytes).
precondition(MemoryLayout<FLT_REGISTRATION>.size == 112)
precondition(MemoryLayout<FLT_REGISTRATION>.offset(of: \.FilterUnloadCallback) == 24)
precondition(MemoryLayout<FLT_REGISTRATION>.offset(of: \.SectionNotificationCallback) == 104)
precondition(FLT_REGISTRATION_VERSION == 0x0203 && FLTFL_FILTER_UNLOAD_MANDATORY == 1)
let ecpFlags: FSRTL_ALLOCATE_ECP_FLAGS = FSRTL_ALLOCATE_ECP_FLAG_CHARGE_QUOTA | FSRTL_ALLOCATE_ECP_FLAG_NONPAGED_POOL
let lookasideFlags: FSRTL_ECP_LOOKASIDE_FLAGS = FSRTL_ECP_LOOKASIDE_FLAG_NONPAGED_POOL
let listFlags: FSRTL_ALLOCATE_ECPLIST_FLAGS = FSRTL_ALLOCATE_ECPLIST_FLAG_CHARGE_QUOTA
let registrationFlags: FLT_REGISTRATION_FLAGS = FLTFL_REGISTRATION_SUPPORT_NPFS_MSFS | FLTFL_REGISTRATION_SUPPORT_DAX_VOLUME
precondition(ecpFlags == 3 && lookasideFlags == 2 && listFlags == 1 && registrationFlags == 6)
precondition(FLT_FSTYPE_NTFS.rawValue == 2)
var registration = FLT_REGISTRATION()
registration.Size = USHORT(MemoryLayout<FLT_REGISTRATION>.size)
registration.Version = USHORT(FLT_REGISTRATION_VERSION)
let filterUnload: PFLT_FILTER_UNLOAD_CALLBACK = { (_: FLT_FILTER_UNLOAD_FLAGS) in STATUS_SUCCESS }
registration.FilterUnloadCallback = filterUnload
let contextRegistration: UnsafePointer<FLT_CONTEXT_REGISTRATION>? = registration.ContextRegistration
let operationRegistration: UnsafePointer<FLT_OPERATION_REGISTRATION>? = registration.OperationRegistration
let instanceSetup: PFLT_INSTANCE_SETUP_CALLBACK = { (_: PCFLT_RELATED_OBJECTS?, _: FLT_INSTANCE_SETUP_FLAGS, _: ULONG, _: FLT_FILESYSTEM_TYPE) in STATUS_SUCCESS }
registration.InstanceSetupCallback = instanceSetup
let ecpCleanup: PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK = { (_: PVOID?, _: LPCGUID?) in }
let asFilter: PFLT_FILTER? = OpaquePointer(bitPattern: 0x2000)
let asList: PECP_LIST? = OpaquePointer(bitPattern: 0x3000)
let registerFilter: (PDRIVER_OBJECT?, UnsafePointer<FLT_REGISTRATION>?, UnsafeMutablePointer<PFLT_FILTER?>?) -> NTSTATUS = FltRegisterFilter
let startFiltering: (PFLT_FILTER?) -> NTSTATUS = FltStartFiltering
let unregisterFilter: (PFLT_FILTER?) -> Void = FltUnregisterFilter
let initEcpLookaside: (PFLT_FILTER?, PVOID?, FSRTL_ECP_LOOKASIDE_FLAGS, SIZE_T, ULONG) -> Void = FltInitExtraCreateParameterLookasideList
let deleteEcpLookaside: (PFLT_FILTER?, PVOID?, FSRTL_ECP_LOOKASIDE_FLAGS) -> Void = FltDeleteExtraCreateParameterLookasideList
let allocateFromLookaside: (PFLT_FILTER?, UnsafePointer<GUID>?, ULONG, FSRTL_ALLOCATE_ECP_FLAGS, PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, PVOID?, UnsafeMutablePointer<PVOID?>?) -> NTSTATUS = FltAllocateExtraCreateParameterFromLookasideList
let allocateEcp: (PFLT_FILTER?, LPCGUID?, ULONG, FSRTL_ALLOCATE_ECP_FLAGS, PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, ULONG, UnsafeMutablePointer<PVOID?>?) -> NTSTATUS = FltAllocateExtraCreateParameter
let freeEcp: (PFLT_FILTER?, PVOID?) -> Void = FltFreeExtraCreateParameter
let allocateList: (PFLT_FILTER?, FSRTL_ALLOCATE_ECPLIST_FLAGS, UnsafeMutablePointer<PECP_LIST?>?) -> NTSTATUS = FltAllocateExtraCreateParameterList
let freeList: (PFLT_FILTER?, PECP_LIST?) -> Void = FltFreeExtraCreateParameterList
let insertEcp: (PFLT_FILTER?, PECP_LIST?, PVOID?) -> NTSTATUS = FltInsertExtraCreateParameter
let findEcp: (PFLT_FILTER?, PECP_LIST?, LPCGUID?, UnsafeMutablePointer<PVOID?>?, UnsafeMutablePointer<ULONG>?) -> NTSTATUS = FltFindExtraCreateParameter
let removeEcp: (PFLT_FILTER?, PECP_LIST?, LPCGUID?, UnsafeMutablePointer<PVOID?>?, UnsafeMutablePointer<ULONG>?) -> NTSTATUS = FltRemoveExtraCreateParameter
let nextEcp: (PFLT_FILTER?, PECP_LIST?, PVOID?, UnsafeMutablePointer<GUID>?, UnsafeMutablePointer<PVOID?>?, UnsafeMutablePointer<ULONG>?) -> NTSTATUS = FltGetNextExtraCreateParameter
let acknowledge: (PFLT_FILTER?, PVOID?) -> Void = FltAcknowledgeEcp
let isAcknowledged: (PFLT_FILTER?, PVOID?) -> BOOLEAN = FltIsEcpAcknowledged
let prepareToReuse: (PFLT_FILTER?, PVOID?) -> Void = FltPrepareToReuseEcp
let fromUserMode: (PFLT_FILTER?, PVOID?) -> BOOLEAN = FltIsEcpFromUserMode
_ = (contextRegistration, operationRegistration, ecpCleanup, asFilter, asList, registerFilter, startFiltering, unregisterFilter)
_ = (initEcpLookaside, deleteEcpLookaside, allocateFromLookaside, allocateEcp, freeEcp, allocateList, freeList)
_ = (insertEcp, findEcp, removeEcp, nextEcp, acknowledge, isAcknowledged, prepareToReuse, fromUserMode)

// The create path: WDK layouts, and the routines' Swift shapes.
precondition(MemoryLayout<FLT_CALLBACK_DATA>.size == 88 && MemoryLayout<FLT_CALLBACK_DATA>.offset(of: \.RequestorMode) == 80)
precondition(MemoryLayout<FLT_IO_PARAMETER_BLOCK>.size == 72 && MemoryLayout<FLT_PARAMETERS>.size == 48)
precondition(MemoryLayout<FLT_RELATED_OBJECTS>.size == 48 && MemoryLayout<FLT_OPERATION_REGISTRATION>.size == 32)
precondition(MemoryLayout<FILE_OBJECT>.size == 0xD8 && MemoryLayout<FILE_OBJECT>.offset(of: \.FileName) == 0x58)
precondition(MemoryLayout<IO_STATUS_BLOCK>.size == 16 && MemoryLayout<OBJECT_ATTRIBUTES>.size == 48)
precondition(MemoryLayout<IO_DRIVER_CREATE_CONTEXT>.size == 40 && MemoryLayout<IO_SECURITY_CONTEXT>.size == 24)
precondition(FLT_PREOP_COMPLETE.rawValue == 4 && FLT_POSTOP_FINISHED_PROCESSING.rawValue == 0)
precondition(IRP_MJ_CREATE == 0 && IRP_MJ_CLEANUP == 0x12 && IRP_MJ_CLOSE == 2 && FILE_OPEN_IF == 3)
let preCreate: PFLT_PRE_OPERATION_CALLBACK = { (_: PFLT_CALLBACK_DATA?, _: PCFLT_RELATED_OBJECTS?, _: UnsafeMutablePointer<PVOID?>?) in FLT_PREOP_SUCCESS_WITH_CALLBACK }
let operation = FLT_OPERATION_REGISTRATION(MajorFunction: UCHAR(IRP_MJ_CREATE), Flags: 0, PreOperation: preCreate, PostOperation: nil, Reserved1: nil)
let getEcpList: (PFLT_FILTER?, PFLT_CALLBACK_DATA?, UnsafeMutablePointer<PECP_LIST?>?) -> NTSTATUS = FltGetEcpListFromCallbackData
let setEcpList: (PFLT_FILTER?, PFLT_CALLBACK_DATA?, PECP_LIST?) -> NTSTATUS = FltSetEcpListIntoCallbackData
let createFile: (PFLT_FILTER?, PFLT_INSTANCE?, PHANDLE?, UnsafeMutablePointer<PFILE_OBJECT?>?, ACCESS_MASK, POBJECT_ATTRIBUTES?, PIO_STATUS_BLOCK?, PLARGE_INTEGER?, ULONG, ULONG, ULONG, ULONG, PVOID?, ULONG, ULONG, PIO_DRIVER_CREATE_CONTEXT?) -> NTSTATUS = FltCreateFileEx2
let ioCreate: (PHANDLE?, ACCESS_MASK, POBJECT_ATTRIBUTES?, PIO_STATUS_BLOCK?, PLARGE_INTEGER?, ULONG, ULONG, ULONG, ULONG, PVOID?, ULONG, CREATE_FILE_TYPE, PVOID?, ULONG, PIO_DRIVER_CREATE_CONTEXT?) -> NTSTATUS = IoCreateFileEx
let closes: [(HANDLE?) -> NTSTATUS] = [FltClose, ZwClose]
let fsRtlAllocate: (LPCGUID?, ULONG, FSRTL_ALLOCATE_ECP_FLAGS, PFSRTL_EXTRA_CREATE_PARAMETER_CLEANUP_CALLBACK?, ULONG, UnsafeMutablePointer<PVOID?>?) -> NTSTATUS = FsRtlAllocateExtraCreateParameter
let fsRtlFind: (PECP_LIST?, LPCGUID?, UnsafeMutablePointer<PVOID?>?, UnsafeMutablePointer<ULONG>?) -> NTSTATUS = FsRtlFindExtraCreateParameter
let hostCreate: (UnsafePointer<CChar>?, ACCESS_MASK, ULONG, ULONG, ULONG, KPROCESSOR_MODE, PECP_LIST?, PHANDLE?, PIO_STATUS_BLOCK?) -> NTSTATUS = WdfHostCreateFile
var oplockKey = OPLOCK_KEY_ECP_CONTEXT()
oplockKey.OplockKey = GUID_ECP_OPLOCK_KEY
_ = (operation, getEcpList, setEcpList, createFile, ioCreate, closes, fsRtlAllocate, fsRtlFind, hostCreate, oplockKey)
SWIFT
    run "swiftc import CWdf" swiftc -typecheck -I "$WORK/swift" "$WORK/swift/check.swift"
else
    echo "skip  swiftc not found: Swift import not checked"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all header checks passed"
