// Untested here: needs the nanoFramework interpreter's headers (nf-interpreter), which this machine does not have.
// The native methods of NanoTrain.Device.Trainer: each checks its CLR arguments, calls nt_nf_device.h (the same C
// the host build's tests drive through P/Invoke) and maps its nt_status to the Int32 the managed side turns into a
// TrainerStatus. Arrays are pinned for the length of the call only: the engine keeps no pointer into managed memory
// (a plan is copied into the plan buffer).
#include "nanotrain_device_native.h"

extern "C"
{
#include "nt_nf_device.h"
}

static nt_failure_t last_failure;

typedef Library_nanotrain_device_native_NanoTrain_Device_Trainer Trainer;

// The bytes of an array argument and their count; NULL for a null reference.
static CLR_UINT8 *ArrayBytes(CLR_RT_HeapBlock &arg, CLR_UINT32 &count)
{
    CLR_RT_HeapBlock_Array *array = arg.DereferenceArray();
    count = array != NULL ? array->m_numOfElements : 0;
    return array != NULL ? array->GetFirstElement() : NULL;
}

HRESULT Trainer::NativeVersion___STATIC__I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    stack.SetResult_I4(NT_NF_NATIVE_VERSION);
    NANOCLR_NOCLEANUP_NOLABEL();
}

HRESULT Trainer::NativeLoad___STATIC__I4__SZARRAY_U1__SZARRAY_I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 len, where_count;
        CLR_UINT8 *plan = ArrayBytes(stack.Arg0(), len);
        CLR_INT32 *where = (CLR_INT32 *)ArrayBytes(stack.Arg1(), where_count);
        FAULT_ON_NULL_ARG(plan);
        if (where == NULL || where_count < 2)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        nt_status st = nt_nf_load(plan, len, &last_failure);
        where[0] = (CLR_INT32)last_failure.index;
        where[1] = last_failure.section;
        stack.SetResult_I4((CLR_INT32)st);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeLastDetail___STATIC__STRING(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    NANOCLR_SET_AND_LEAVE(stack.SetResult_String(last_failure.detail));
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativePlanShape___STATIC__I4__SZARRAY_I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 count;
        CLR_INT32 *shape = (CLR_INT32 *)ArrayBytes(stack.Arg0(), count);
        if (shape == NULL || count < 8)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        stack.SetResult_I4((CLR_INT32)nt_nf_plan_shape(shape));
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeTrain___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__R4__SZARRAY_R4__SZARRAY_U1__SZARRAY_I8(
    CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 unsigned_count, signed_count, label_count, loss_count, prediction_count, phase_count;
        CLR_UINT8 *pixels = ArrayBytes(stack.Arg0(), unsigned_count);
        CLR_UINT8 *signed_pixels = ArrayBytes(stack.Arg1(), signed_count);
        CLR_UINT8 *labels = ArrayBytes(stack.Arg2(), label_count);
        float lr = stack.Arg3().NumericByRef().r4;
        float *loss = (float *)ArrayBytes(stack.Arg4(), loss_count);
        CLR_UINT8 *predictions = ArrayBytes(stack.Arg5(), prediction_count);
        CLR_INT64 *instructions = (CLR_INT64 *)ArrayBytes(stack.Arg6(), phase_count);
        if ((pixels == NULL) == (signed_pixels == NULL) || labels == NULL || loss == NULL || loss_count < 1 ||
            predictions == NULL || prediction_count < label_count || instructions == NULL || phase_count < NT_NF_PHASES)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        const int is_signed = pixels == NULL;
        nt_status st = nt_nf_train(is_signed ? signed_pixels : pixels, is_signed ? signed_count : unsigned_count, is_signed,
                                   labels, label_count, lr, loss, predictions, (int64_t *)instructions);
        stack.SetResult_I4((CLR_INT32)st);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeInfer___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__SZARRAY_I8__SZARRAY_R4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 unsigned_count, signed_count, prediction_count, instruction_count, logit_count;
        CLR_UINT8 *pixels = ArrayBytes(stack.Arg0(), unsigned_count);
        CLR_UINT8 *signed_pixels = ArrayBytes(stack.Arg1(), signed_count);
        CLR_UINT8 *predictions = ArrayBytes(stack.Arg2(), prediction_count);
        CLR_INT64 *instructions = (CLR_INT64 *)ArrayBytes(stack.Arg3(), instruction_count);
        float *logits = (float *)ArrayBytes(stack.Arg4(), logit_count);
        const nt_session_t *session = nt_nf_session();
        if ((pixels == NULL) == (signed_pixels == NULL) || predictions == NULL || instructions == NULL ||
            instruction_count < 1 || (session->running && prediction_count < session->plan.batch))
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        const int is_signed = pixels == NULL;
        nt_status st = nt_nf_infer(is_signed ? signed_pixels : pixels, is_signed ? signed_count : unsigned_count, is_signed,
                                   predictions, (int64_t *)instructions, logits, logit_count);
        stack.SetResult_I4((CLR_INT32)st);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeSetSpeed___STATIC__I4__R4__I4__I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        float rho = stack.Arg0().NumericByRef().r4;
        CLR_INT32 window = stack.Arg1().NumericByRef().s4;
        CLR_INT32 calibration = stack.Arg2().NumericByRef().s4;
        if (window < 1 || window > 65535 || calibration < 1 || calibration > 65535)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_OUT_OF_RANGE);
        }
        stack.SetResult_I4((CLR_INT32)nt_nf_set_speed(rho, (uint16_t)window, (uint16_t)calibration));
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeSave___STATIC__I4__SZARRAY_I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 count;
        CLR_INT32 *out = (CLR_INT32 *)ArrayBytes(stack.Arg0(), count);
        if (out == NULL || count < 2)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        uint32_t slot = 0, sequence = 0;
        nt_status st = nt_nf_save(&slot, &sequence);
        out[0] = (CLR_INT32)slot;
        out[1] = (CLR_INT32)sequence;
        stack.SetResult_I4((CLR_INT32)st);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeRestore___STATIC__I4__SZARRAY_I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 count;
        CLR_INT32 *out = (CLR_INT32 *)ArrayBytes(stack.Arg0(), count);
        if (out == NULL || count < 1)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        uint32_t sequence = 0;
        nt_status st = nt_nf_restore(&sequence);
        out[0] = (CLR_INT32)sequence;
        stack.SetResult_I4((CLR_INT32)st);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeUnload___STATIC__VOID(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    (void)stack;
    nt_nf_unload();
    NANOCLR_NOCLEANUP_NOLABEL();
}

HRESULT Trainer::NativeBoardId___STATIC__STRING(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        const nt_nf_platform_t *p = nt_nf_platform();
        NANOCLR_SET_AND_LEAVE(stack.SetResult_String(p != NULL ? p->board.id : ""));
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeBoardNumbers___STATIC__I4__SZARRAY_I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_UINT32 count;
        CLR_INT32 *numbers = (CLR_INT32 *)ArrayBytes(stack.Arg0(), count);
        const nt_nf_platform_t *p = nt_nf_platform();
        if (numbers == NULL || count < 3)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_PARAMETER);
        }
        if (p == NULL)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_INVALID_OPERATION);
        }
        numbers[0] = (CLR_INT32)p->clock_hz;
        numbers[1] = (CLR_INT32)p->flash_bytes;
        numbers[2] = (CLR_INT32)p->board.n_banks;
        for (CLR_UINT32 b = 0; b < p->board.n_banks && 3 + b < count; b++)
        {
            numbers[3 + b] = (CLR_INT32)(p->board.banks[b].limit - p->board.banks[b].start);
        }
        stack.SetResult_I4(0);
    }
    NANOCLR_NOCLEANUP();
}

HRESULT Trainer::NativeBankName___STATIC__STRING__I4(CLR_RT_StackFrame &stack)
{
    NANOCLR_HEADER();
    {
        CLR_INT32 index = stack.Arg0().NumericByRef().s4;
        const nt_nf_platform_t *p = nt_nf_platform();
        if (p == NULL || index < 0 || (CLR_UINT32)index >= p->board.n_banks)
        {
            NANOCLR_SET_AND_LEAVE(CLR_E_OUT_OF_RANGE);
        }
        NANOCLR_SET_AND_LEAVE(stack.SetResult_String(p->board.banks[index].name));
    }
    NANOCLR_NOCLEANUP();
}
