#!/usr/bin/env python3
"""Writes Sources/CWdf/include/sal.h: the WDK's source annotations (SAL 2, the older SAL 1
spellings and the driver annotations of driverspecs.h), all compiling to nothing.

Run from the repository root: python3 scripts/gen-sal.py. The names are facts from Microsoft's
SAL and driver-annotation reference; the header is ours.
"""
import re, pathlib

# Annotations written without an argument list.
PLAIN = """
_In_ _In_opt_ _In_z_ _In_opt_z_ _In_nz_ _In_opt_nz_ _Out_ _Out_opt_ _Out_z_ _Inout_ _Inout_opt_
_Inout_z_ _Inout_opt_z_ _Inout_nz_ _Inout_opt_nz_ _In_defensive_ _Out_defensive_ _Inout_defensive_
_Outptr_ _Outptr_opt_ _Outptr_result_maybenull_ _Outptr_opt_result_maybenull_ _Outptr_result_z_
_Outptr_opt_result_z_ _Outptr_result_maybenull_z_ _Outptr_opt_result_maybenull_z_
_Outptr_result_nullonfailure_ _Outptr_opt_result_nullonfailure_ _Outptr_result_notnull_ _COM_Outptr_
_COM_Outptr_opt_ _COM_Outptr_result_maybenull_ _COM_Outptr_opt_result_maybenull_ _Outref_
_Outref_result_maybenull_ _Outref_result_nullonfailure_ _Deref_out_ _Deref_out_opt_ _Deref_opt_out_
_Deref_opt_out_opt_ _Deref_out_z_ _Deref_out_opt_z_ _Deref_opt_out_z_ _Deref_opt_out_opt_z_
_Deref_in_ _Deref_inout_ _Deref_inout_z_ _Deref_pre_z_ _Deref_post_z_ _Deref_pre_maybenull_
_Deref_post_maybenull_ _Deref_pre_notnull_ _Deref_post_notnull_ _Deref_pre_null_ _Deref_post_null_
_Deref_pre_valid_ _Deref_post_valid_ _Deref_pre_invalid_ _Deref_post_invalid_ _Deref_pre_readonly_
_Deref_ret_z_ _Deref_ret_opt_z_ _Deref2_pre_readonly_ _Ret_ _Ret_z_ _Ret_opt_z_ _Ret_maybenull_
_Ret_maybenull_z_ _Ret_notnull_ _Ret_null_ _Ret_valid_ _Ret_opt_ _Ret_opt_valid_
_Result_nullonfailure_ _Result_zeroonfailure_ _Must_inspect_result_ _Check_return_
_Use_decl_annotations_ _Null_terminated_ _NullNull_terminated_ _Notnull_ _Maybenull_ _Null_ _Valid_
_Notvalid_ _Pre_valid_ _Post_valid_ _Pre_opt_valid_ _Pre_invalid_ _Post_invalid_ _Post_ptr_invalid_
_Pre_notnull_ _Pre_maybenull_ _Pre_null_ _Post_notnull_ _Post_maybenull_ _Post_null_ _Pre_z_
_Post_z_ _Pre_readonly_ _Pre_defensive_ _Post_defensive_ _Printf_format_string_
_Scanf_format_string_ _Scanf_s_format_string_ _Frees_ptr_ _Frees_ptr_opt_ _Reserved_ _Const_
_Literal_ _Notliteral_ _Points_to_data_ _Analysis_noreturn_ _Field_z_ _Strict_type_match_
_Post_equals_last_error_ _Interlocked_operand_ _Interlocked_ _Requires_no_locks_held_
_No_competing_thread_ _No_competing_thread_begin_ _No_competing_thread_end_ _Benign_race_begin_
_Benign_race_end_ _Analysis_suppress_lock_checking_ _Function_ignore_lock_checking_
_Lock_kind_mutex_ _Lock_kind_event_ _Lock_kind_semaphore_ _Lock_kind_spin_lock_
_Lock_kind_critical_section_ _Global_interlock_ _Global_cancel_spin_lock_ _Global_critical_region_
_Global_priority_region_ _Enum_is_bitflag_ _Strict_type_match_ _Maybe_raises_SEH_exception_
_Raises_SEH_exception_ _Ret_reallocated_bytes_ _Notref_ _Pre_ _Post_ _Deref_ _Deref2_
_IRQL_requires_same_ _IRQL_saves_ _IRQL_restores_ _IRQL_uses_cancel_ _IRQL_is_cancel_
_Kernel_float_saved_ _Kernel_float_restored_ _Kernel_float_used_ _Kernel_IoGetDmaAdapter_
_Flt_CompletionContext_Outptr_ _Flt_ConnectionCookie_Outptr_ _Flt_FileContext_Outptr_
__drv_aliasesMem __drv_dispatchType_other __drv_sameIRQL __drv_useCancelIRQL __drv_isCancelIRQL
__drv_acquiresCancelSpinLock __drv_releasesCancelSpinLock __drv_mustHoldCancelSpinLock
__drv_neverHoldCancelSpinLock __drv_acquiresCriticalRegion __drv_releasesCriticalRegion
__drv_mustHoldCriticalRegion __drv_neverHoldCriticalRegion __drv_acquiresPriorityRegion
__drv_releasesPriorityRegion __drv_mustHoldPriorityRegion __drv_neverHoldPriorityRegion
__drv_floatSaved __drv_floatRestored __drv_floatUsed __drv_interlocked __drv_inTry __drv_notInTry
__drv_isObjectPointer __drv_savesIRQL __drv_restoresIRQL __drv_typeConst __drv_typeCond
__drv_typeBitset __drv_typeExpr __drv_nonConstant __drv_constant __in __out __inout __in_opt
__out_opt __inout_opt __in_z __in_opt_z __out_z __out_z_opt __inout_z __inout_opt_z __in_nz
__in_opt_nz __out_nz __out_nz_opt __inout_nz __deref_out __deref_out_opt __deref_opt_out
__deref_opt_out_opt __deref_out_z __deref_out_opt_z __deref_opt_out_z __deref_in __deref_in_opt
__deref_inout __deref_inout_opt __deref_inout_z __deref_opt_inout __deref_opt_in __reserved
__checkReturn __nullterminated __nullnullterminated __notnull __maybenull __valid __notvalid
__readonly __callback __override __fallthrough __format_string __possibly_notnullterminated __post
__pre __deref __exceptthat __refparam __inner_checkReturn __bound __drv_out_deref __drv_in_deref
__deref_in_z __deref_inout_opt_z __kernel_entry __inner_callback __inner_fallthrough
__inner_blocksOn
""".split()

# Annotations that take arguments: a variadic macro accepts any list.
WITH_ARGUMENTS = """
_In_reads_ _In_reads_opt_ _In_reads_bytes_ _In_reads_bytes_opt_ _In_reads_z_ _In_reads_opt_z_
_In_reads_or_z_ _In_reads_or_z_opt_ _In_reads_to_ptr_ _In_reads_to_ptr_opt_ _In_reads_to_ptr_z_
_In_reads_to_ptr_opt_z_ _Out_writes_ _Out_writes_opt_ _Out_writes_bytes_ _Out_writes_bytes_opt_
_Out_writes_z_ _Out_writes_opt_z_ _Out_writes_to_ _Out_writes_to_opt_ _Out_writes_all_
_Out_writes_all_opt_ _Out_writes_bytes_to_ _Out_writes_bytes_to_opt_ _Out_writes_bytes_all_
_Out_writes_bytes_all_opt_ _Out_writes_to_ptr_ _Out_writes_to_ptr_opt_ _Out_writes_to_ptr_z_
_Out_writes_to_ptr_opt_z_ _Inout_updates_ _Inout_updates_opt_ _Inout_updates_z_ _Inout_updates_opt_z_
_Inout_updates_to_ _Inout_updates_to_opt_ _Inout_updates_all_ _Inout_updates_all_opt_
_Inout_updates_bytes_ _Inout_updates_bytes_opt_ _Inout_updates_bytes_to_ _Inout_updates_bytes_to_opt_
_Inout_updates_bytes_all_ _Inout_updates_bytes_all_opt_ _Outptr_result_buffer_
_Outptr_opt_result_buffer_ _Outptr_result_buffer_to_ _Outptr_opt_result_buffer_to_
_Outptr_result_buffer_all_ _Outptr_opt_result_buffer_all_ _Outptr_result_buffer_maybenull_
_Outptr_opt_result_buffer_maybenull_ _Outptr_result_buffer_to_maybenull_
_Outptr_opt_result_buffer_to_maybenull_ _Outptr_result_buffer_all_maybenull_
_Outptr_opt_result_buffer_all_maybenull_ _Outptr_result_bytebuffer_ _Outptr_opt_result_bytebuffer_
_Outptr_result_bytebuffer_to_ _Outptr_opt_result_bytebuffer_to_ _Outptr_result_bytebuffer_all_
_Outptr_opt_result_bytebuffer_all_ _Outptr_result_bytebuffer_maybenull_
_Outptr_opt_result_bytebuffer_maybenull_ _Outptr_result_bytebuffer_to_maybenull_
_Outptr_opt_result_bytebuffer_to_maybenull_ _Outptr_result_bytebuffer_all_maybenull_
_Outptr_opt_result_bytebuffer_all_maybenull_ _Outref_result_buffer_ _Outref_result_bytebuffer_
_Outref_result_buffer_to_ _Outref_result_bytebuffer_to_ _Outref_result_buffer_all_
_Outref_result_bytebuffer_all_ _Outref_result_buffer_maybenull_ _Outref_result_bytebuffer_maybenull_
_Deref_out_range_ _Deref_in_range_ _Deref_inout_range_ _Deref_ret_range_ _Deref_pre_readable_size_
_Deref_pre_writable_size_ _Deref_pre_readable_bytesize_ _Deref_pre_writable_bytesize_
_Deref_post_readable_size_ _Deref_post_writable_size_ _Deref_post_readable_byte_size_
_Deref_post_writable_byte_size_ _Deref_out_bound_ _Deref_in_bound_
_Ret_writes_ _Ret_writes_z_ _Ret_writes_bytes_ _Ret_writes_to_ _Ret_writes_bytes_to_
_Ret_writes_maybenull_ _Ret_writes_maybenull_z_ _Ret_writes_bytes_maybenull_
_Ret_writes_to_maybenull_ _Ret_writes_bytes_to_maybenull_ _Ret_range_ _Ret_satisfies_
_Ret_maybenull_size_? _Field_size_ _Field_size_opt_ _Field_size_part_ _Field_size_part_opt_
_Field_size_full_ _Field_size_full_opt_ _Field_size_bytes_ _Field_size_bytes_opt_
_Field_size_bytes_part_ _Field_size_bytes_part_opt_ _Field_size_bytes_full_ _Field_size_bytes_full_opt_
_Field_range_ _Struct_size_bytes_ _Pre_satisfies_ _Post_satisfies_ _Pre_equal_to_ _Post_equal_to_
_In_range_ _Out_range_ _Pre_readable_size_ _Pre_writable_size_ _Pre_readable_byte_size_
_Pre_writable_byte_size_ _Post_readable_size_ _Post_writable_size_ _Post_readable_byte_size_
_Post_writable_byte_size_ _Readable_bytes_ _Writable_bytes_ _Readable_elements_ _Writable_elements_
_Pre_cap_ _Pre_bytecap_ _Post_cap_ _Post_bytecap_ _Pre_count_ _Post_count_ _Pre_bytecount_
_Post_bytecount_ _Success_ _Return_type_success_ _When_ _Satisfies_ _At_ _At_buffer_ _On_failure_
_Always_ _Group_ _Unchanged_ _Printf_format_string_params_ _Function_class_ _Requires_lock_held_
_Requires_lock_not_held_ _Requires_exclusive_lock_held_ _Requires_shared_lock_held_ _Acquires_lock_
_Releases_lock_ _Acquires_exclusive_lock_ _Releases_exclusive_lock_ _Acquires_shared_lock_
_Releases_shared_lock_ _Acquires_nonreentrant_lock_ _Releases_nonreentrant_lock_ _Guarded_by_
_Write_guarded_by_ _Has_lock_kind_ _Has_lock_level_ _Lock_level_order_ _Create_lock_level_
_Analysis_assume_lock_held_ _Analysis_assume_lock_acquired_ _Analysis_assume_lock_released_
_Analysis_assume_lock_not_held_ _Analysis_assume_same_lock_ _Post_same_lock_ _Internal_lock_level_order_
_Analysis_mode_ _Inexpressible_ _Pre_satisfies_ _Null_terminated_size_
_In_count_ _In_opt_count_ _In_bytecount_ _In_opt_bytecount_ _Out_cap_ _Out_opt_cap_ _Out_bytecap_
_Out_opt_bytecap_ _Out_cap_c_ _Out_bytecap_c_ _Inout_cap_ _Inout_bytecap_ _Inout_count_
_Inout_bytecount_ _Out_z_cap_ _Out_bytecap_part_ _Out_cap_part_ _Deref_out_z_cap_c_
_IRQL_requires_max_ _IRQL_requires_min_ _IRQL_requires_ _IRQL_raises_ _IRQL_saves_global_
_IRQL_restores_global_ _IRQL_always_function_max_ _IRQL_always_function_min_ _IRQL_limited_to_
_Kernel_requires_resource_held_ _Kernel_requires_resource_not_held_ _Kernel_acquires_resource_
_Kernel_releases_resource_ _Kernel_clear_do_init_ _Kernel_float_saved_ _Kernel_float_restored_
_Kernel_float_used_ _Dispatch_type_ _Kernel_requires_resource_held_ _Kernel_ReleaseIoLock_
_Kernel_AcquireIoLock_ _Kernel_IoGetDmaAdapter_ _Kernel_acquires_resource_
__drv_allocatesMem __drv_freesMem __drv_strictTypeMatch __drv_strictType __drv_reportError
__drv_maxIRQL __drv_minIRQL __drv_setsIRQL __drv_raisesIRQL __drv_requiresIRQL __drv_savesIRQLGlobal
__drv_restoresIRQLGlobal __drv_maxFunctionIRQL __drv_minFunctionIRQL __drv_functionClass __drv_when
__drv_arg __drv_in __drv_out __drv_deref __drv_fun __drv_ret __drv_at __drv_valueIs
__drv_formatString __drv_preferredFunction __drv_innerMustHoldGlobal __drv_mustHold
__drv_mustHoldGlobal __drv_neverHold __drv_neverHoldGlobal __drv_acquiresResource
__drv_releasesResource __drv_acquiresResourceGlobal __drv_releasesResourceGlobal __drv_clearDoInit
__drv_dispatchType __drv_completionType __drv_acquiresExclusiveResource
__drv_releasesExclusiveResource __drv_acquiresExclusiveResourceGlobal
__drv_releasesExclusiveResourceGlobal __drv_innerAcquiresGlobal __drv_innerReleasesGlobal
__drv_innerNeverHoldGlobal __drv_inTry __drv_callbackType __drv_IoGetDmaAdapter __drv_aliasesMem_
__drv_Mode __drv_out_deref_ __drv_requiresIRQLGlobal __drv_functionClassAnnotation __drv_unit
__success __in_ecount __in_bcount __out_ecount __out_bcount __inout_ecount __inout_bcount
__in_ecount_opt __in_bcount_opt __out_ecount_opt __out_bcount_opt __inout_ecount_opt
__inout_bcount_opt __out_ecount_part __out_bcount_part __out_ecount_full __out_bcount_full
__inout_ecount_part __inout_bcount_part __inout_ecount_full __inout_bcount_full __out_ecount_z
__out_bcount_z __in_ecount_z __in_bcount_z __out_ecount_part_opt __out_bcount_part_opt
__out_ecount_full_opt __out_bcount_full_opt __inout_ecount_part_opt __inout_bcount_part_opt
__inout_ecount_z __inout_bcount_z __inout_ecount_z_opt __inout_bcount_z_opt __out_ecount_z_opt
__out_bcount_z_opt __in_ecount_z_opt __in_bcount_z_opt __in_ecount_nz __in_bcount_nz
__out_ecount_nz __out_bcount_nz __inout_ecount_nz __inout_bcount_nz __deref_out_ecount
__deref_out_bcount __deref_out_ecount_opt __deref_out_bcount_opt __deref_opt_out_bcount
__deref_opt_out_ecount __deref_out_ecount_part __deref_out_bcount_part __deref_out_ecount_full
__deref_out_bcount_full __deref_inout_ecount __deref_inout_bcount __deref_in_ecount __deref_in_bcount
__deref_out_ecount_z __deref_out_bcount_z __deref_out_ecount_part_opt __deref_out_bcount_part_opt
__deref_out_ecount_full_opt __deref_out_bcount_full_opt __deref_opt_out_ecount_part
__deref_opt_out_bcount_part __deref_opt_out_ecount_full __deref_opt_out_bcount_full
__ecount __bcount __xcount __ecount_opt __bcount_opt __field_ecount __field_bcount __field_xcount
__field_ecount_opt __field_bcount_opt __field_ecount_part __field_bcount_part __field_ecount_part_opt
__field_bcount_part_opt __field_ecount_full __field_bcount_full __field_ecount_full_opt
__field_bcount_full_opt __field_range __field_nullterminated __in_range __out_range __deref_in_range
__deref_out_range __deref_inout_range __range __struct_bcount __struct_xcount __in_xcount
__out_xcount __inout_xcount __in_xcount_opt __out_xcount_opt __inout_xcount_opt __out_xcount_part
__out_xcount_full __blocksOn __control_entrypoint __data_entrypoint __typefix __assume_bound
__in_bound __out_bound __deref_out_bound __in_data_source __out_data_source __this_out_data_source
__post_invalid __pre_invalid __declspec_uuid __file_parser __file_parser_class __file_parser_library
__source_code_content __analysis_noreturn __inexpressible_readableTo __inexpressible_writableTo
""".split()

# Annotations used as statements: `_Analysis_assume_(p != NULL);` does nothing (as __noop).
STATEMENTS = ["_Analysis_assume_", "__analysis_assume", "__analysis_assert", "_Analysis_assume_nullterminated_",
              "__assume_validated", "__analysis_assume_nullterminated"]

def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    seen = set()
    lines = []
    def emit(name, text):
        name = name.rstrip("?")
        if name in seen or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return
        seen.add(name)
        lines.append(f"#ifndef {name}\n#define {name}{text}\n#endif")
    for name in STATEMENTS:
        emit(name, "(...) ((void)0)")
    for name in PLAIN:
        if name in ("__in", "__out", "__inout"):
            continue
        emit(name, "")
    for name in WITH_ARGUMENTS:
        emit(name, "(...)")
    legacy = "\n".join(f"#ifndef {n}\n#define {n}\n#endif" for n in ("__in", "__out", "__inout"))
    header = f"""/*
 * sal.h - the source-code annotation language (SAL) as the WDK spells it: SAL 2 (`_In_`,
 * `_Out_writes_bytes_(n)`, `_Requires_lock_held_(l)`, `_IRQL_requires_max_(DISPATCH_LEVEL)`,
 * `_When_(c, a)`, ...), the older SAL 1 forms (`__in`, `__out_bcount(n)`, `__checkReturn`, ...) and
 * the driver annotations (`__drv_maxIRQL(2)`, `__drv_allocatesMem(Mem)`, ...). Nothing here runs an
 * analysis: every annotation compiles to nothing (and `_Analysis_assume_(e)` to a statement that
 * does nothing, as the WDK's `__noop`). An annotation the driver defined itself first is kept.
 *
 * `__in`, `__out` and `__inout` are also parameter names inside libstdc++'s stream headers: a C++
 * file that includes <iostream> or <istream> after these headers defines
 * WDF01000_NO_SAL1_IN_OUT before including them (kernel code does not use those headers).
 *
 * Generated by scripts/gen-sal.py ({len(seen) + 3} names); edit the script, not this file.
 */
#ifndef _WDF01000_SAL_H_
#define _WDF01000_SAL_H_

""" + "\n".join(lines) + f"""

#ifndef WDF01000_NO_SAL1_IN_OUT
{legacy}
#endif

#endif /* _WDF01000_SAL_H_ */
"""
    (root / "Sources/CWdf/include/sal.h").write_text(header)

main()
