using NanoTrain.Core.Common;

namespace NanoTrain.Conformance.Tests;

/// <summary>Seeded random tensors and exact comparisons.</summary>
internal static class TestData
{
    public static float[] Uniform(SplitMix64 rng, int length, float lo = -1f, float hi = 1f)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = lo + ((hi - lo) * (float)((rng.Next() >> 40) / (double)(1ul << 24)));
        }
        return a;
    }

    /// <summary>Asserts two arrays are equal bit for bit, naming the first differing element.</summary>
    public static void BitExact(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} differs: C# {expected[i]:R}, C {actual[i]:R}");
            }
        }
    }

    /// <summary>Asserts |a-b| ≤ rel·max(|a|,|b|) + abs element-wise.</summary>
    public static void Close(float[] expected, float[] actual, float rel, float abs, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tol = (rel * Math.Max(Math.Abs(expected[i]), Math.Abs(actual[i]))) + abs;
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
            {
                Assert.Fail($"{what}: element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol:G3})");
            }
        }
    }

    public static float[] Copy(float[] a) => (float[])a.Clone();
}
