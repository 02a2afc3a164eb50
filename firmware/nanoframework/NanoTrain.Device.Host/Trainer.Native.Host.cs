using System;
using System.Runtime.InteropServices;
using System.Text;
using NanoTrain.Native;

namespace NanoTrain.Device
{
    /// <summary>
    /// The native methods of the net10.0 build: each calls the same C function (firmware/nanoframework/native/
    /// nt_nf_device.c) the nanoFramework stubs call, in the host engine library. <see cref="HostDevice"/> attaches the
    /// board they run on.
    /// </summary>
    public partial class Trainer
    {
        private static string _lastDetail = string.Empty;

        private static int NativeVersion() => HostDevice.NativeVersion;

        private static unsafe int NativeLoad(byte[] plan, int[] where)
        {
            HostDevice.EnsureAttached();
            Failure failure;
            int status;
            fixed (byte* p = plan)
            {
                status = NtNf.Load(p, (uint)plan.Length, &failure);
            }
            where[0] = (int)failure.Index;
            where[1] = failure.Section;
            _lastDetail = failure.DetailText();
            return status;
        }

        private static string NativeLastDetail() => _lastDetail;

        private static unsafe int NativePlanShape(int[] shape)
        {
            HostDevice.EnsureAttached();
            fixed (int* s = shape)
            {
                return NtNf.PlanShape(s);
            }
        }

        private static unsafe int NativeTrain(byte[] pixels, sbyte[] signedPixels, byte[] labels, float learningRate, float[] loss, byte[] predictions, long[] instructions)
        {
            HostDevice.EnsureAttached();
            byte[] bytes = PixelBytes(pixels, signedPixels);
            fixed (byte* px = bytes)
            fixed (byte* l = labels)
            fixed (float* lo = loss)
            fixed (byte* pr = predictions)
            fixed (long* ins = instructions)
            {
                return NtNf.Train(px, (uint)bytes.Length, pixels == null ? 1 : 0, l, (uint)labels.Length, learningRate, lo, pr, ins);
            }
        }

        private static unsafe int NativeInfer(byte[] pixels, sbyte[] signedPixels, byte[] predictions, long[] instructions, float[] logits)
        {
            HostDevice.EnsureAttached();
            byte[] bytes = PixelBytes(pixels, signedPixels);
            fixed (byte* px = bytes)
            fixed (byte* pr = predictions)
            fixed (long* ins = instructions)
            fixed (float* lg = logits)
            {
                return NtNf.Infer(px, (uint)bytes.Length, pixels == null ? 1 : 0, pr, ins, lg, (uint)logits.Length);
            }
        }

        /// <summary>The sample's bytes: the unsigned pixels, or the signed ones seen as bytes (the native side knows which).</summary>
        private static byte[] PixelBytes(byte[] pixels, sbyte[] signedPixels) => pixels ?? (byte[])(object)signedPixels;

        private static int NativeSetSpeed(float rho, int window, int calibration)
        {
            HostDevice.EnsureAttached();
            return NtNf.SetSpeed(rho, (ushort)window, (ushort)calibration);
        }

        private static unsafe int NativeSave(int[] slotAndSequence)
        {
            HostDevice.EnsureAttached();
            uint slot, sequence;
            int status = NtNf.Save(&slot, &sequence);
            slotAndSequence[0] = (int)slot;
            slotAndSequence[1] = (int)sequence;
            return status;
        }

        private static unsafe int NativeRestore(int[] sequence)
        {
            HostDevice.EnsureAttached();
            uint restored;
            int status = NtNf.Restore(&restored);
            sequence[0] = (int)restored;
            return status;
        }

        private static void NativeUnload()
        {
            HostDevice.EnsureAttached();
            NtNf.Unload();
        }

        private static string NativeBoardId() => HostDevice.Current.Id;

        private static int NativeBoardNumbers(int[] numbers)
        {
            BoardInfo board = HostDevice.Current;
            numbers[0] = board.ClockHz;
            numbers[1] = board.FlashBytes;
            numbers[2] = board.BankNames.Length;
            for (int i = 0; i < board.BankNames.Length && 3 + i < numbers.Length; i++)
            {
                numbers[3 + i] = board.BankFreeBytes[i];
            }
            return 0;
        }

        private static string NativeBankName(int index) => HostDevice.Current.BankNames[index];

        /// <summary>nt_failure_t.</summary>
        [StructLayout(LayoutKind.Sequential)]
        private unsafe struct Failure
        {
            public int Status;
            public uint Index;
            public byte Section;
            public fixed byte Detail[96];

            public string DetailText()
            {
                fixed (byte* d = Detail)
                {
                    int n = 0;
                    while (n < 96 && d[n] != 0)
                    {
                        n++;
                    }
                    return Encoding.ASCII.GetString(d, n);
                }
            }
        }

        private static unsafe class NtNf
        {
            [DllImport("ntengine", EntryPoint = "nt_nf_load")]
            public static extern int Load(byte* plan, uint len, Failure* failure);

            [DllImport("ntengine", EntryPoint = "nt_nf_plan_shape")]
            public static extern int PlanShape(int* shape);

            [DllImport("ntengine", EntryPoint = "nt_nf_train")]
            public static extern int Train(byte* pixels, uint count, int isSigned, byte* labels, uint nLabels, float lr, float* loss, byte* predictions, long* instructions);

            [DllImport("ntengine", EntryPoint = "nt_nf_infer")]
            public static extern int Infer(byte* pixels, uint count, int isSigned, byte* predictions, long* instructions, float* logits, uint logitsLen);

            [DllImport("ntengine", EntryPoint = "nt_nf_set_speed")]
            public static extern int SetSpeed(float rho, ushort window, ushort calibration);

            [DllImport("ntengine", EntryPoint = "nt_nf_save")]
            public static extern int Save(uint* slot, uint* sequence);

            [DllImport("ntengine", EntryPoint = "nt_nf_restore")]
            public static extern int Restore(uint* sequence);

            [DllImport("ntengine", EntryPoint = "nt_nf_unload")]
            public static extern void Unload();
        }
    }
}
