// Untested here: built only by NanoTrain.Device.nfproj with the nanoFramework toolchain, which cannot be installed on this machine.
using System.Runtime.CompilerServices;

namespace NanoTrain.Device
{
    /// <summary>
    /// The native methods, implemented in firmware/nanoframework/native (nanotrain_device_native_*.cpp over
    /// nt_nf_device.c). Order and signatures match the stubs' method table; bump NT_NF_NATIVE_VERSION and
    /// <see cref="ExpectedNativeVersion"/> together when they change. The net10.0 build replaces this file with
    /// Trainer.Native.Host.cs.
    /// </summary>
    public partial class Trainer
    {
        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeVersion();

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeLoad(byte[] plan, int[] where);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern string NativeLastDetail();

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativePlanShape(int[] shape);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeTrain(byte[] pixels, sbyte[] signedPixels, byte[] labels, float learningRate, float[] loss, byte[] predictions, long[] instructions);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeInfer(byte[] pixels, sbyte[] signedPixels, byte[] predictions, long[] instructions, float[] logits);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeSetSpeed(float rho, int window, int calibration);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeSave(int[] slotAndSequence);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeRestore(int[] sequence);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern void NativeUnload();

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern string NativeBoardId();

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern int NativeBoardNumbers(int[] numbers);

        [MethodImpl(MethodImplOptions.InternalCall)]
        private static extern string NativeBankName(int index);
    }
}
