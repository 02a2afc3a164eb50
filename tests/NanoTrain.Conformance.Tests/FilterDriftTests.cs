using NanoTrain.Core.Common;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

/// <summary>The drift op's C kernels equal the reference: scores bit for bit, and the same filters chosen round after round.</summary>
public unsafe class FilterDriftTests
{
    [Theory]
    [InlineData(1, 4, 96, 0.9f)]
    [InlineData(2, 1, 320, 0.5f)]
    [InlineData(1, 9, 7, 0f)]
    public void ScoresMatchTheReferenceBitForBit(int n, int positions, int c, float momentum)
    {
        var rng = new SplitMix64((ulong)(c + positions));
        var y = Enumerable.Range(0, n * positions * c).Select(_ => (sbyte)((int)rng.NextBelow(256) - 128)).ToArray();
        var source = TestData.Uniform(rng, 2 * c, -1f, 1f);
        for (int ch = 0; ch < c; ch++)
        {
            source[c + ch] = 0.1f + Math.Abs(source[c + ch]) * 5;
        }
        var expected = TestData.Uniform(rng, c, 0f, 3f);
        var actual = (float[])expected.Clone();
        FilterDrift.Forward(n, positions, c, 0.043f, -9, y, source, momentum, expected);
        fixed (sbyte* py = y)
        fixed (float* ps = source, pa = actual)
        {
            EngineApi.FilterDriftS8Fwd(n, positions, c, 0.043f, -9, py, ps, momentum, pa);
        }
        TestData.BitExact(expected, actual, "drift scores");
    }

    [Theory]
    [InlineData(96, 48, 2)]
    [InlineData(320, 32, 10)]
    [InlineData(13, 1, 13)]
    public void ChoicesMatchTheReferenceOverRounds(int c, int count, int horizon)
    {
        var rng = new SplitMix64((ulong)c);
        var expected = new byte[c];
        var actual = new byte[c];
        for (int round = 0; round < 50; round++)
        {
            // Scores with ties (a coarse grid) and zeros, as channels that never drift give.
            var score = Enumerable.Range(0, c).Select(_ => rng.NextBelow(4) == 0 ? 0f : rng.NextBelow(8) * 0.25f).ToArray();
            FilterDrift.Select(count, horizon, score, expected);
            fixed (float* ps = score)
            fixed (byte* pa = actual)
            {
                EngineApi.FilterDriftSelect(c, count, horizon, ps, pa);
            }
            Assert.Equal(expected, actual);
            Assert.Equal(count, actual.Count(a => a == 0));
        }
    }
}
