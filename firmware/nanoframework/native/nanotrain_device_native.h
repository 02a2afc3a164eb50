// Untested here: needs the nanoFramework interpreter's headers (nf-interpreter), which this machine does not have.
// Interop stubs of the NanoTrain.Device assembly, in the shape nanoFramework's metadata processor generates: one
// static function per native method of Trainer (Trainer.Native.cs), each unpacking the CLR's arguments and calling
// nt_nf_device.h.
#ifndef NANOTRAIN_DEVICE_NATIVE_H
#define NANOTRAIN_DEVICE_NATIVE_H

#include <nanoCLR_Interop.h>
#include <nanoCLR_Runtime.h>
#include <nanoPackStruct.h>

struct Library_nanotrain_device_native_NanoTrain_Device_Trainer
{
    NANOCLR_NATIVE_DECLARE(NativeVersion___STATIC__I4);
    NANOCLR_NATIVE_DECLARE(NativeLoad___STATIC__I4__SZARRAY_U1__SZARRAY_I4);
    NANOCLR_NATIVE_DECLARE(NativeLastDetail___STATIC__STRING);
    NANOCLR_NATIVE_DECLARE(NativePlanShape___STATIC__I4__SZARRAY_I4);
    NANOCLR_NATIVE_DECLARE(NativeTrain___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__R4__SZARRAY_R4__SZARRAY_U1__SZARRAY_I8);
    NANOCLR_NATIVE_DECLARE(NativeInfer___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__SZARRAY_I8__SZARRAY_R4);
    NANOCLR_NATIVE_DECLARE(NativeSetSpeed___STATIC__I4__R4__I4__I4);
    NANOCLR_NATIVE_DECLARE(NativeSave___STATIC__I4__SZARRAY_I4);
    NANOCLR_NATIVE_DECLARE(NativeRestore___STATIC__I4__SZARRAY_I4);
    NANOCLR_NATIVE_DECLARE(NativeUnload___STATIC__VOID);
    NANOCLR_NATIVE_DECLARE(NativeBoardId___STATIC__STRING);
    NANOCLR_NATIVE_DECLARE(NativeBoardNumbers___STATIC__I4__SZARRAY_I4);
    NANOCLR_NATIVE_DECLARE(NativeBankName___STATIC__STRING__I4);

    //--//
};

extern const CLR_RT_NativeAssemblyData g_CLR_AssemblyNative_NanoTrain_Device;

#endif // NANOTRAIN_DEVICE_NATIVE_H
