using NanoTrain.Core.Common;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

public unsafe class QuantizeTests
{
    [Theory]
    [InlineData(2f / 255, -1)]
    [InlineData(0.0235f, -128)]
    [InlineData(0.5f, 17)]
    public void MatchesReferenceBitForBitIncludingTiesAndClamps(float scale, int zeroPoint)
    {
        var rng = new SplitMix64((ulong)(zeroPoint + 200));
        var x = TestData.Uniform(rng, 999, -200 * scale, 200 * scale);
        x[0] = 0.5f * scale;   // exact ties round away from zero
        x[1] = -0.5f * scale;
        x[2] = 1000 * scale;   // clamps
        x[3] = -1000 * scale;
        var expected = new sbyte[x.Length];
        var actual = new sbyte[x.Length];
        Quantize.Forward(scale, zeroPoint, x, expected);
        fixed (float* px = x)
        fixed (sbyte* py = actual)
        {
            EngineApi.QuantizeFwd(x.Length, scale, zeroPoint, px, py);
        }
        Assert.Equal(expected, actual);
        Assert.Equal(Math.Clamp(1 + zeroPoint, -128, 127), expected[0]);
        Assert.Equal(127, expected[2]);
        Assert.Equal(-128, expected[3]);
    }
}

public unsafe class DequantizeTests
{
    [Fact]
    public void MatchesReferenceBitForBitOverTheWholeRange()
    {
        var x = Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray();
        var expected = new float[x.Length];
        var actual = new float[x.Length];
        Dequantize.Forward(0.0173f, -5, x, expected);
        fixed (sbyte* px = x)
        fixed (float* py = actual)
        {
            EngineApi.DequantizeFwd(x.Length, 0.0173f, -5, px, py);
        }
        TestData.BitExact(expected, actual, "dequantize");
        Assert.Equal(0f, expected[128 - 5]);
    }
}
