using NanoTrain.Core.Common;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

public unsafe class Relu6Tests
{
    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void MatchesReferenceAndFiniteDifferences(int count)
    {
        var rng = new SplitMix64((ulong)count);
        // Values straddle both kinks; none within the finite-difference step of 0 or 6.
        var x = TestData.Uniform(rng, count, -3f, 9f).Select(v => Math.Abs(v) < 0.05f || Math.Abs(v - 6f) < 0.05f ? v + 0.1f : v).ToArray();
        var dy = TestData.Uniform(rng, count);
        var (yRef, yC) = (new float[count], new float[count]);
        Relu6.Forward(x, yRef);
        var (dxRef, dxC) = (TestData.Uniform(rng, count), new float[count]);
        dxRef.CopyTo(dxC, 0);
        Relu6.BackwardInput(yRef, dy, dxRef);
        fixed (float* px = x, py = yC, pdy = dy, pdx = dxC)
        {
            EngineApi.Relu6Fwd(count, px, py);
            EngineApi.Relu6BwdIn(count, py, pdy, pdx);
        }
        TestData.BitExact(yRef, yC, "relu6 y");
        TestData.BitExact(dxRef, dxC, "relu6 dx");

        var grad = new float[count];
        fixed (float* py = yC, pdy = dy, pg = grad)
        {
            EngineApi.Relu6BwdIn(count, py, pdy, pg);
        }
        double Loss()
        {
            var y = new float[count];
            fixed (float* px = x, py = y)
            {
                EngineApi.Relu6Fwd(count, px, py);
            }
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        FiniteDifference.Check(x, grad, Loss, rng, "relu6 dx");
    }
}

public unsafe class AddTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(333)]
    public void MatchesReferenceAndFiniteDifferences(int count)
    {
        var rng = new SplitMix64((ulong)count + 1);
        var a = TestData.Uniform(rng, count);
        var b = TestData.Uniform(rng, count);
        var dy = TestData.Uniform(rng, count);
        var (yRef, yC) = (new float[count], new float[count]);
        Add.Forward(a, b, yRef);
        var (daRef, dbRef) = (TestData.Uniform(rng, count), TestData.Uniform(rng, count));
        var (daC, dbC) = (TestData.Copy(daRef), TestData.Copy(dbRef));
        Add.BackwardInput(dy, daRef, dbRef);
        fixed (float* pa = a, pb = b, py = yC, pdy = dy, pda = daC, pdb = dbC)
        {
            EngineApi.AddFwd(count, pa, pb, py);
            EngineApi.AddBwdIn(count, pdy, pda, pdb);
        }
        TestData.BitExact(yRef, yC, "add y");
        TestData.BitExact(daRef, daC, "add da");
        TestData.BitExact(dbRef, dbC, "add db");

        var (ga, gb) = (new float[count], new float[count]);
        fixed (float* pdy = dy, pga = ga, pgb = gb)
        {
            EngineApi.AddBwdIn(count, pdy, pga, pgb);
        }
        double Loss()
        {
            var y = new float[count];
            fixed (float* pa = a, pb = b, py = y)
            {
                EngineApi.AddFwd(count, pa, pb, py);
            }
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        FiniteDifference.Check(a, ga, Loss, rng, "add da");
        FiniteDifference.Check(b, gb, Loss, rng, "add db");
    }
}

public unsafe class GapTests
{
    [Theory]
    [InlineData(1, 1, 1, 4)]
    [InlineData(2, 4, 4, 8)]
    [InlineData(3, 7, 5, 3)]
    public void MatchesReferenceAndFiniteDifferences(int n, int h, int w, int c)
    {
        var rng = new SplitMix64((ulong)(n + h + w + c));
        var x = TestData.Uniform(rng, n * h * w * c);
        var dy = TestData.Uniform(rng, n * c);
        var (yRef, yC) = (new float[n * c], new float[n * c]);
        Gap.Forward(n, h, w, c, x, yRef);
        var dxRef = TestData.Uniform(rng, x.Length);
        var dxC = TestData.Copy(dxRef);
        Gap.BackwardInput(n, h, w, c, dy, dxRef);
        fixed (float* px = x, py = yC, pdy = dy, pdx = dxC)
        {
            EngineApi.GapFwd(n, h, w, c, px, py);
            EngineApi.GapBwdIn(n, h, w, c, pdy, pdx);
        }
        TestData.BitExact(yRef, yC, "gap y");
        TestData.BitExact(dxRef, dxC, "gap dx");

        var grad = new float[x.Length];
        fixed (float* pdy = dy, pg = grad)
        {
            EngineApi.GapBwdIn(n, h, w, c, pdy, pg);
        }
        double Loss()
        {
            var y = new float[n * c];
            fixed (float* px = x, py = y)
            {
                EngineApi.GapFwd(n, h, w, c, px, py);
            }
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        FiniteDifference.Check(x, grad, Loss, rng, "gap dx");
    }
}

public unsafe class FcTests
{
    [Theory]
    [InlineData(1, 112, 10)]
    [InlineData(4, 7, 3)]
    [InlineData(2, 1, 1)]
    public void MatchesReferenceAndFiniteDifferences(int n, int input, int output)
    {
        var rng = new SplitMix64((ulong)(n * 1000 + input + output));
        var x = TestData.Uniform(rng, n * input);
        var wt = TestData.Uniform(rng, input * output);
        var b = TestData.Uniform(rng, output);
        var dy = TestData.Uniform(rng, n * output);
        var (yRef, yC) = (new float[n * output], new float[n * output]);
        Fc.Forward(n, input, output, x, wt, b, yRef);
        var (dxRef, dwRef, dbRef) = (TestData.Uniform(rng, x.Length), TestData.Uniform(rng, wt.Length), TestData.Uniform(rng, output));
        var (dxC, dwC, dbC) = (TestData.Copy(dxRef), TestData.Copy(dwRef), TestData.Copy(dbRef));
        Fc.BackwardInput(n, input, output, dy, wt, dxRef);
        Fc.BackwardWeights(n, input, output, x, dy, dwRef, dbRef);
        fixed (float* px = x, pw = wt, pb = b, py = yC, pdy = dy, pdx = dxC, pdw = dwC, pdb = dbC)
        {
            EngineApi.FcFwd(n, input, output, px, pw, pb, py);
            EngineApi.FcBwdIn(n, input, output, pdy, pw, pdx);
            EngineApi.FcBwdW(n, input, output, px, pdy, pdw, pdb);
        }
        TestData.BitExact(yRef, yC, "fc y");
        TestData.BitExact(dxRef, dxC, "fc dx");
        TestData.BitExact(dwRef, dwC, "fc dW");
        TestData.BitExact(dbRef, dbC, "fc db");

        var (gx, gw, gb) = (new float[x.Length], new float[wt.Length], new float[output]);
        fixed (float* px = x, pw = wt, pdy = dy, pgx = gx, pgw = gw, pgb = gb)
        {
            EngineApi.FcBwdIn(n, input, output, pdy, pw, pgx);
            EngineApi.FcBwdW(n, input, output, px, pdy, pgw, pgb);
        }
        double Loss()
        {
            var y = new float[n * output];
            fixed (float* px = x, pw = wt, pb = b, py = y)
            {
                EngineApi.FcFwd(n, input, output, px, pw, pb, py);
            }
            return y.Select((v, i) => (double)v * dy[i]).Sum();
        }
        FiniteDifference.Check(x, gx, Loss, rng, "fc dx");
        FiniteDifference.Check(wt, gw, Loss, rng, "fc dW");
        FiniteDifference.Check(b, gb, Loss, rng, "fc db");
    }
}

public unsafe class SoftmaxCeTests
{
    /// <summary>expf/logf (C library) and MathF.Exp/Log (.NET) may differ in the last bit: tolerance 1e-6 relative.</summary>
    [Theory]
    [InlineData(1, 10)]
    [InlineData(7, 3)]
    [InlineData(32, 10)]
    public void MatchesReferenceWithinToleranceAndFiniteDifferences(int n, int classes)
    {
        var rng = new SplitMix64((ulong)(n * 100 + classes));
        var logits = TestData.Uniform(rng, n * classes, -4f, 4f);
        var labels = Enumerable.Range(0, n).Select(_ => (byte)rng.NextBelow((ulong)classes)).ToArray();
        var (dRef, dC) = (new float[logits.Length], new float[logits.Length]);
        float lossRef = SoftmaxCe.ForwardBackward(n, classes, logits, labels, dRef);
        float lossC;
        fixed (float* pl = logits, pd = dC)
        fixed (byte* pb = labels)
        {
            lossC = EngineApi.SoftmaxCeFwdBwd(n, classes, pl, pb, pd);
        }
        TestData.Close([lossRef], [lossC], 1e-6f, 0f, "softmax_ce loss");
        TestData.Close(dRef, dC, 1e-6f, 1e-9f, "softmax_ce dlogits");

        double Loss()
        {
            var scratch = new float[logits.Length];
            fixed (float* pl = logits, pd = scratch)
            fixed (byte* pb = labels)
            {
                return EngineApi.SoftmaxCeFwdBwd(n, classes, pl, pb, pd);
            }
        }
        FiniteDifference.Check(logits, dC, Loss, rng, "softmax_ce dlogits");

        var predictions = new byte[n];
        fixed (float* pl = logits)
        fixed (byte* pp = predictions)
        {
            EngineApi.Argmax(n, classes, pl, pp);
        }
        for (int s = 0; s < n; s++)
        {
            var row = logits.AsSpan(s * classes, classes).ToArray();
            Assert.Equal(Array.IndexOf(row, row.Max()), predictions[s]);
        }
    }
}

public unsafe class SgdTests
{
    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0.9f, 0f)]
    [InlineData(0.9f, 4e-5f)]
    public void MatchesReferenceBitForBitAndClearsTheGradient(float momentum, float weightDecay)
    {
        var rng = new SplitMix64(11);
        var w0 = TestData.Uniform(rng, 257);
        var g0 = TestData.Uniform(rng, 257);
        var v0 = TestData.Uniform(rng, 257);
        var (wRef, gRef, vRef) = (TestData.Copy(w0), TestData.Copy(g0), TestData.Copy(v0));
        var (wC, gC, vC) = (TestData.Copy(w0), TestData.Copy(g0), TestData.Copy(v0));
        Sgd.Update(0.05f, momentum, weightDecay, wRef, gRef, momentum == 0f ? null : vRef);
        fixed (float* pw = wC, pg = gC, pv = vC)
        {
            EngineApi.SgdUpdate(wC.Length, 0.05f, momentum, weightDecay, pw, pg, momentum == 0f ? null : pv);
        }
        TestData.BitExact(wRef, wC, "sgd w");
        TestData.BitExact(vRef, vC, "sgd momentum");
        Assert.All(gC, g => Assert.Equal(0f, g));
        // One plain step moves each weight by exactly −lr·g.
        if (momentum == 0f && weightDecay == 0f)
        {
            for (int i = 0; i < w0.Length; i++)
            {
                Assert.Equal(w0[i] - (0.05f * g0[i]), wC[i]);
            }
        }
    }
}
