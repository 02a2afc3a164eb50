using NanoTrain.Core.Common;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

/// <summary>conv2d: C kernels equal the C# reference bit for bit; gradients match finite differences.</summary>
public unsafe class Conv2dTests
{
    // n, h, w, cin, cout, kernel, stride, pad, groups: dense, depthwise, grouped, every kernel size and stride.
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 8, 8, 3, 5, 1, 1, 0, 1 },
        { 2, 7, 6, 4, 6, 3, 1, 1, 1 },
        { 1, 9, 9, 6, 4, 3, 2, 1, 1 },
        { 2, 8, 8, 8, 8, 3, 1, 1, 8 },
        { 1, 9, 7, 6, 6, 5, 2, 2, 6 },
        { 1, 10, 10, 4, 4, 7, 1, 3, 4 },
        { 1, 11, 11, 4, 6, 7, 2, 3, 2 },
        { 3, 5, 5, 2, 3, 5, 1, 2, 1 },
        { 1, 4, 4, 16, 8, 1, 2, 0, 1 },
    };

    private static (Conv2dShape Ref, Conv2dParams C) Shape(int n, int h, int w, int cin, int cout, int k, int s, int pad, int g) =>
        (new Conv2dShape(n, h, w, cin, cout, k, s, pad, g), Conv2dParams.Create(n, h, w, cin, cout, k, s, pad, g));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardMatchesReferenceBitForBit(int n, int h, int w, int cin, int cout, int k, int s, int pad, int g)
    {
        var (r, c) = Shape(n, h, w, cin, cout, k, s, pad, g);
        var rng = new SplitMix64((ulong)(n * 1000 + h * 100 + k * 10 + g));
        var x = TestData.Uniform(rng, r.InputLength);
        var wt = TestData.Uniform(rng, r.WeightLength);
        var b = TestData.Uniform(rng, cout);
        var expected = new float[r.OutputLength];
        var actual = new float[r.OutputLength];
        Conv2d.Forward(r, x, wt, b, expected);
        fixed (float* px = x, pw = wt, pb = b, py = actual)
        {
            EngineApi.Conv2dFwd(&c, px, pw, pb, py);
        }
        TestData.BitExact(expected, actual, "conv2d forward");
        Assert.Equal(r.OutH, c.OutH);
        Assert.Equal(0, (int)EngineApi.Conv2dScratchBytes(&c));
        Assert.Equal(Conv2d.ScratchBytes(r), (int)EngineApi.Conv2dScratchBytes(&c));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardMatchesReferenceBitForBit(int n, int h, int w, int cin, int cout, int k, int s, int pad, int g)
    {
        var (r, c) = Shape(n, h, w, cin, cout, k, s, pad, g);
        var rng = new SplitMix64((ulong)(7 + n * 1000 + h * 100 + k * 10 + g));
        var x = TestData.Uniform(rng, r.InputLength);
        var wt = TestData.Uniform(rng, r.WeightLength);
        var dy = TestData.Uniform(rng, r.OutputLength);
        // Accumulation into non-zero buffers is part of the contract.
        var dx0 = TestData.Uniform(rng, r.InputLength);
        var dw0 = TestData.Uniform(rng, r.WeightLength);
        var db0 = TestData.Uniform(rng, cout);
        var (dxRef, dwRef, dbRef) = (TestData.Copy(dx0), TestData.Copy(dw0), TestData.Copy(db0));
        var (dxC, dwC, dbC) = (TestData.Copy(dx0), TestData.Copy(dw0), TestData.Copy(db0));
        Conv2d.BackwardInput(r, dy, wt, dxRef);
        Conv2d.BackwardWeights(r, x, dy, dwRef, dbRef);
        fixed (float* px = x, pw = wt, pdy = dy, pdx = dxC, pdw = dwC, pdb = dbC)
        {
            EngineApi.Conv2dBwdIn(&c, pdy, pw, pdx);
            EngineApi.Conv2dBwdW(&c, px, pdy, pdw, pdb);
        }
        TestData.BitExact(dxRef, dxC, "conv2d dx");
        TestData.BitExact(dwRef, dwC, "conv2d dW");
        TestData.BitExact(dbRef, dbC, "conv2d db");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GradientsMatchFiniteDifferences(int n, int h, int w, int cin, int cout, int k, int s, int pad, int g)
    {
        var (r, c) = Shape(n, h, w, cin, cout, k, s, pad, g);
        var rng = new SplitMix64((ulong)(99 + n * 1000 + h * 100 + k * 10 + g));
        var x = TestData.Uniform(rng, r.InputLength);
        var wt = TestData.Uniform(rng, r.WeightLength);
        var b = TestData.Uniform(rng, cout);
        var probe = TestData.Uniform(rng, r.OutputLength); // L = Σ probe·y, so dL/dy = probe
        var dx = new float[r.InputLength];
        var dw = new float[r.WeightLength];
        var db = new float[cout];
        fixed (float* pw = wt, px = x, pdy = probe, pdx = dx, pdw = dw, pdb = db)
        {
            EngineApi.Conv2dBwdIn(&c, pdy, pw, pdx);
            EngineApi.Conv2dBwdW(&c, px, pdy, pdw, pdb);
        }
        var shape = c;
        double Loss()
        {
            var y = new float[r.OutputLength];
            var p = shape;
            fixed (float* px = x, pw = wt, pb = b, py = y)
            {
                EngineApi.Conv2dFwd(&p, px, pw, pb, py);
            }
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)probe[i] * y[i];
            }
            return sum;
        }
        FiniteDifference.Check(x, dx, Loss, rng, "conv2d dx");
        FiniteDifference.Check(wt, dw, Loss, rng, "conv2d dW");
        FiniteDifference.Check(b, db, Loss, rng, "conv2d db");
    }
}
