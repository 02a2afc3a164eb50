using NanoTrain.Core.Common;
using NanoTrain.Core.Quantization;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

/// <summary>int8 kernels: the C reference equals the C# reference bit for bit (integer arithmetic, exact).</summary>
public unsafe class Int8KernelTests
{
    [Theory]
    [InlineData(1, 8, 8, 12, 16, 1, 1, 0, 1, false)]   // 1x1 conv
    [InlineData(1, 9, 9, 24, 24, 3, 1, 1, 24, true)]   // depthwise 3x3
    [InlineData(1, 9, 9, 24, 24, 3, 2, 1, 24, true)]   // depthwise 3x3 stride 2
    [InlineData(1, 11, 11, 16, 16, 5, 2, 2, 16, true)] // depthwise 5x5
    [InlineData(1, 11, 11, 8, 8, 7, 1, 3, 8, true)]    // depthwise 7x7
    [InlineData(2, 12, 12, 1, 8, 3, 2, 1, 1, true)]    // stem
    [InlineData(1, 6, 6, 8, 12, 3, 1, 1, 2, false)]    // grouped
    public void ConvMatchesReference(int n, int h, int w, int cin, int cout, int k, int s, int pad, int g, bool relu6)
    {
        var rng = new SplitMix64((ulong)(n + h * 3 + cin * 5 + k * 7 + g));
        var shape = new Conv2dShape(n, h, w, cin, cout, k, s, pad, g);
        var c = Conv2dParams.Create(n, h, w, cin, cout, k, s, pad, g);
        var x = Int8Data.Int8(rng, shape.InputLength);
        var wt = Int8Data.Int8(rng, shape.WeightLength);
        var b = Int8Data.Bias(rng, cout);
        var q = Int8Data.Quant(rng, cout, relu6);
        var expected = new sbyte[shape.OutputLength];
        var actual = new sbyte[shape.OutputLength];
        Conv2d.ForwardS8(shape, q, x, wt, b, expected);
        Int8Data.WithNative(q, nq =>
        {
            var p = c;
            fixed (sbyte* px = x, pw = wt, py = actual)
            fixed (int* pb = b)
            {
                EngineApi.Conv2dS8Fwd(&p, (S8QuantNative*)nq, px, pw, pb, py);
            }
        });
        Assert.Equal(expected, actual);
        Assert.Contains(expected, v => v != expected[0]); // not a degenerate all-clamped output
    }

    [Theory]
    [InlineData(1, 112, 10)]
    [InlineData(3, 33, 7)]
    public void FcMatchesReference(int n, int input, int output)
    {
        var rng = new SplitMix64((ulong)(n * 100 + input + output));
        var x = Int8Data.Int8(rng, n * input);
        var wt = Int8Data.Int8(rng, input * output);
        var b = Int8Data.Bias(rng, output);
        var q = Int8Data.Quant(rng, output, relu6: false);
        var expected = new sbyte[n * output];
        var actual = new sbyte[n * output];
        Fc.ForwardS8(n, input, output, q, x, wt, b, expected);
        Int8Data.WithNative(q, nq =>
        {
            fixed (sbyte* px = x, pw = wt, py = actual)
            fixed (int* pb = b)
            {
                EngineApi.FcS8Fwd(n, input, output, (S8QuantNative*)nq, px, pw, pb, py);
            }
        });
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void AddMatchesReference()
    {
        var rng = new SplitMix64(77);
        var a = Int8Data.Int8(rng, 999);
        var b = Int8Data.Int8(rng, 999);
        var (m1, s1) = FixedPointMultiplier.Quantize(0.4);
        var (m2, s2) = FixedPointMultiplier.Quantize(0.5);
        var (mo, so) = FixedPointMultiplier.Quantize(1.7 / (1 << 20));
        var q = new AddS8Quant(5, -3, m1, s1, m2, s2, mo, so, -7, 20, -128, 127);
        var expected = new sbyte[a.Length];
        var actual = new sbyte[a.Length];
        Add.ForwardS8(q, a, b, expected);
        var nq = new AddS8QuantNative
        {
            Input1Offset = q.Input1Offset, Input2Offset = q.Input2Offset, Input1Multiplier = m1, Input1Shift = s1,
            Input2Multiplier = m2, Input2Shift = s2, OutputMultiplier = mo, OutputShift = so, OutputOffset = q.OutputOffset,
            LeftShift = 20, ActMin = -128, ActMax = 127,
        };
        fixed (sbyte* pa = a, pb = b, py = actual)
        {
            EngineApi.AddS8Fwd(a.Length, &nq, pa, pb, py);
        }
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(1, 2, 2, 112)]
    [InlineData(2, 5, 5, 16)]
    public void GapMatchesReferenceAndRoundsHalfAwayFromZero(int n, int h, int w, int c)
    {
        var rng = new SplitMix64((ulong)(n + h + c));
        var x = Int8Data.Int8(rng, n * h * w * c);
        var expected = new sbyte[n * c];
        var actual = new sbyte[n * c];
        Gap.ForwardS8(n, h, w, c, -128, 127, x, expected);
        fixed (sbyte* px = x, py = actual)
        {
            EngineApi.GapS8Fwd(n, h, w, c, -128, 127, px, py);
        }
        Assert.Equal(expected, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            int b = i / c;
            int k = i % c;
            double mean = Enumerable.Range(0, h * w).Average(p => (double)x[(((b * h * w) + p) * c) + k]);
            Assert.Equal((int)Math.Round(mean, MidpointRounding.AwayFromZero), expected[i]);
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0123)]
    [InlineData(1.5)]
    [InlineData(3.9e-6)]
    public void QuantizedMultiplierReproducesTheRealScale(double real)
    {
        var (m, s) = FixedPointMultiplier.Quantize(real);
        Assert.InRange(m, 1 << 30, int.MaxValue);
        Assert.Equal(real, m * Math.Pow(2, s - 31), real * 1e-9);
        // Requantizing a large accumulator gives the rounded real product.
        Assert.InRange(Quant.Requantize(123456, m, s) - Math.Round(123456 * real, MidpointRounding.AwayFromZero), -1, 1);
    }
}
