// Untested here: needs the nanoFramework interpreter's headers (nf-interpreter), which this machine does not have.
// The NanoTrain.Device assembly's native method table. The metadata processor of a nanoFramework build writes this
// table (one entry per method of the assembly, NULL for managed ones) and the assembly checksum from the compiled
// NanoTrain.Device.pe: after building NanoTrain.Device.nfproj, compare with its generated stubs and take its order
// and checksum; the entries below follow the declaration order of Trainer.Native.cs.
#include "nanotrain_device_native.h"

// clang-format off

static const CLR_RT_MethodHandler method_lookup[] =
{
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeVersion___STATIC__I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeLoad___STATIC__I4__SZARRAY_U1__SZARRAY_I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeLastDetail___STATIC__STRING,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativePlanShape___STATIC__I4__SZARRAY_I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeTrain___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__R4__SZARRAY_R4__SZARRAY_U1__SZARRAY_I8,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeInfer___STATIC__I4__SZARRAY_U1__SZARRAY_I1__SZARRAY_U1__SZARRAY_I8__SZARRAY_R4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeSetSpeed___STATIC__I4__R4__I4__I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeSave___STATIC__I4__SZARRAY_I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeRestore___STATIC__I4__SZARRAY_I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeUnload___STATIC__VOID,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeBoardId___STATIC__STRING,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeBoardNumbers___STATIC__I4__SZARRAY_I4,
    Library_nanotrain_device_native_NanoTrain_Device_Trainer::NativeBankName___STATIC__STRING__I4,
};

const CLR_RT_NativeAssemblyData g_CLR_AssemblyNative_NanoTrain_Device =
{
    "NanoTrain.Device",
    0x00000000, // the assembly checksum the metadata processor prints for NanoTrain.Device.pe
    method_lookup,
    { 1, 0, 0, 0 }
};

// clang-format on
