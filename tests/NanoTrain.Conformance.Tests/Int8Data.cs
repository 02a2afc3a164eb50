using NanoTrain.Core.Common;
using NanoTrain.Core.Quantization;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

/// <summary>Seeded int8 tensors and quantization parameters spanning the ranges the kernels accept.</summary>
internal static class Int8Data
{
    public static sbyte[] Int8(SplitMix64 rng, int length) =>
        Enumerable.Range(0, length).Select(_ => (sbyte)((int)rng.NextBelow(256) - 128)).ToArray();

    public static int[] Bias(SplitMix64 rng, int length) =>
        Enumerable.Range(0, length).Select(_ => (int)rng.NextBelow(40001) - 20000).ToArray();

    /// <summary>Per-channel requantization: multipliers for real scales between 2^-12 and 2^-4, offsets across the range.</summary>
    public static S8Quant Quant(SplitMix64 rng, int channels, bool relu6)
    {
        var mult = new int[channels];
        var shift = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            double real = Math.Pow(2, -12 + (8 * (rng.Next() >> 11) / (double)(1ul << 53)));
            (mult[c], shift[c]) = FixedPointMultiplier.Quantize(real);
        }
        int inputOffset = (int)rng.NextBelow(256) - 127;
        int outputOffset = (int)rng.NextBelow(256) - 128;
        return relu6
            ? new S8Quant(inputOffset, outputOffset, Math.Max(-128, outputOffset), Math.Min(127, outputOffset + 60), mult, shift)
            : new S8Quant(inputOffset, outputOffset, -128, 127, mult, shift);
    }

    /// <summary>Calls <paramref name="call"/> with the native view of <paramref name="q"/>, its arrays pinned.</summary>
    public static unsafe void WithNative(S8Quant q, Action<IntPtr> call)
    {
        fixed (int* m = q.Multiplier, s = q.Shift)
        {
            var native = new S8QuantNative
            {
                InputOffset = q.InputOffset, OutputOffset = q.OutputOffset, ActMin = q.ActMin, ActMax = q.ActMax, Multiplier = m, Shift = s,
            };
            call((IntPtr)(&native));
        }
    }
}
