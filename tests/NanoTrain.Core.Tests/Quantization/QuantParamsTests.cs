using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Core.Tests.Quantization;

public class QuantParamsTests
{
    [Theory]
    [InlineData(-1f, 1f)]
    [InlineData(0f, 6f)]
    [InlineData(-3.5f, 0.25f)]
    [InlineData(0.5f, 2f)] // widened to include 0
    public void RangeMapsToTheWholeInt8RangeWithZeroExact(float min, float max)
    {
        var q = QuantParams.FromRange(min, max);
        Assert.Equal(0f, q.Dequantize(q.Quantize(0f)));
        float lo = Math.Min(min, 0f);
        float hi = Math.Max(max, 0f);
        Assert.InRange(q.Quantize(lo), -128, -126);
        Assert.InRange(q.Quantize(hi), 125, 127);
        // Round trip error within half a step across the range.
        for (float v = lo; v <= hi; v += (hi - lo) / 97)
        {
            Assert.True(Math.Abs(q.Dequantize(q.Quantize(v)) - v) <= (q.Scale / 2) + 1e-6f, $"{v}");
        }
    }

    [Fact]
    public void NonFiniteRangeIsRefused() =>
        Assert.Equal(ErrorKind.BadInput, Assert.Throws<NanoTrainException>(() => QuantParams.FromRange(float.NaN, 1f)).Kind);

    [Theory]
    [InlineData(0.75)]
    [InlineData(1e-3)]
    [InlineData(2.5)]
    public void FixedPointMultiplierIsNormalised(double real)
    {
        var (m, s) = FixedPointMultiplier.Quantize(real);
        Assert.InRange(m, 1 << 30, int.MaxValue);
        Assert.Equal(real, m * Math.Pow(2, s - 31), real * 1e-9);
    }

    [Fact]
    public void SpreadKeepsTheClassBalanceOfAClassOrderedSplit()
    {
        var labels = Enumerable.Range(0, 1000).Select(i => (byte)(i / 100)).ToArray();
        var images = new LabeledImages("t", 10, labels, new byte[1000 * DatasetSpec.ImageBytes]);
        Assert.Equal(Enumerable.Repeat(10, 10), images.Spread(100).PerClassCounts());
        Assert.Same(images, images.Spread(5000));
    }
}
