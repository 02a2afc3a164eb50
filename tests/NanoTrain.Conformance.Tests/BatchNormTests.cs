using NanoTrain.Core.Common;
using NanoTrain.Native;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Conformance.Tests;

public unsafe class BatchNormTests
{
    public static TheoryData<int, int, int, int> Shapes => new() { { 2, 4, 4, 3 }, { 4, 1, 1, 8 }, { 1, 5, 3, 6 }, { 8, 2, 2, 16 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchReferenceBitForBit(int n, int h, int w, int c)
    {
        var rng = new SplitMix64((ulong)(n * 31 + h * 7 + c));
        int len = n * h * w * c;
        var x = TestData.Uniform(rng, len, -2f, 3f);
        var gamma = TestData.Uniform(rng, c, 0.5f, 1.5f);
        var beta = TestData.Uniform(rng, c);
        var rm0 = TestData.Uniform(rng, c);
        var rv0 = TestData.Uniform(rng, c, 0.5f, 2f);
        var dy = TestData.Uniform(rng, len);
        var p = new BatchNormParams { N = n, H = h, W = w, C = c, Eps = 1e-5f, Momentum = 0.1f };

        var (rmRef, rvRef, meanRef, invRef, yRef) = (TestData.Copy(rm0), TestData.Copy(rv0), new float[c], new float[c], new float[len]);
        BatchNorm.ForwardTrain(n, h, w, c, p.Eps, p.Momentum, x, gamma, beta, rmRef, rvRef, meanRef, invRef, yRef);
        var (rmC, rvC, meanC, invC, yC) = (TestData.Copy(rm0), TestData.Copy(rv0), new float[c], new float[c], new float[len]);
        var scratch = new float[2 * c];
        fixed (float* px = x, pg = gamma, pb = beta, prm = rmC, prv = rvC, pm = meanC, pi = invC, py = yC)
        {
            EngineApi.BatchNormFwdTrain(&p, px, pg, pb, prm, prv, pm, pi, py);
        }
        TestData.BitExact(yRef, yC, "batchnorm y");
        TestData.BitExact(meanRef, meanC, "batchnorm mean");
        TestData.BitExact(invRef, invC, "batchnorm invstd");
        TestData.BitExact(rmRef, rmC, "batchnorm running mean");
        TestData.BitExact(rvRef, rvC, "batchnorm running var");

        var yInfRef = new float[len];
        var yInfC = new float[len];
        BatchNorm.ForwardInfer(n, h, w, c, p.Eps, x, gamma, beta, rm0, rv0, yInfRef);
        fixed (float* px = x, pg = gamma, pb = beta, prm = rm0, prv = rv0, py = yInfC)
        {
            EngineApi.BatchNormFwdInfer(&p, px, pg, pb, prm, prv, py);
        }
        TestData.BitExact(yInfRef, yInfC, "batchnorm inference y");

        var (dxRef, dgRef, dbRef) = (new float[len], new float[c], new float[c]);
        var (dxC, dgC, dbC) = (new float[len], new float[c], new float[c]);
        BatchNorm.Backward(n, h, w, c, x, gamma, meanRef, invRef, dy, dxRef, dgRef, dbRef);
        fixed (float* px = x, pg = gamma, pm = meanC, pi = invC, pdy = dy, pdx = dxC, pdg = dgC, pdb = dbC, ps = scratch)
        {
            EngineApi.BatchNormBwd(&p, px, pg, pm, pi, pdy, pdx, pdg, pdb, ps);
        }
        TestData.BitExact(dxRef, dxC, "batchnorm dx");
        TestData.BitExact(dgRef, dgC, "batchnorm dgamma");
        TestData.BitExact(dbRef, dbC, "batchnorm dbeta");
        Assert.Equal(BatchNorm.ScratchBytes(c), (int)EngineApi.BatchNormScratchBytes(&p));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void GradientsMatchFiniteDifferences(int n, int h, int w, int c)
    {
        var rng = new SplitMix64((ulong)(5 + n * 31 + h * 7 + c));
        int len = n * h * w * c;
        var x = TestData.Uniform(rng, len, -2f, 3f);
        var gamma = TestData.Uniform(rng, c, 0.5f, 1.5f);
        var beta = TestData.Uniform(rng, c);
        var probe = TestData.Uniform(rng, len);
        var p = new BatchNormParams { N = n, H = h, W = w, C = c, Eps = 1e-5f, Momentum = 0.1f };
        var mean = new float[c];
        var inv = new float[c];
        double Loss()
        {
            var y = new float[len];
            var q = p;
            fixed (float* px = x, pg = gamma, pb = beta, pm = mean, pi = inv, py = y)
            {
                EngineApi.BatchNormFwdTrain(&q, px, pg, pb, null, null, pm, pi, py);
            }
            double sum = 0;
            for (int i = 0; i < len; i++)
            {
                sum += (double)probe[i] * y[i];
            }
            return sum;
        }
        Loss();
        var (dx, dg, db, scratch) = (new float[len], new float[c], new float[c], new float[2 * c]);
        var bp = p;
        fixed (float* px = x, pg = gamma, pm = mean, pi = inv, pdy = probe, pdx = dx, pdg = dg, pdb = db, ps = scratch)
        {
            EngineApi.BatchNormBwd(&bp, px, pg, pm, pi, pdy, pdx, pdg, pdb, ps);
        }
        if (n * h * w > 1)
        {
            FiniteDifference.Check(x, dx, Loss, rng, "batchnorm dx");
        }
        FiniteDifference.Check(gamma, dg, Loss, rng, "batchnorm dgamma");
        FiniteDifference.Check(beta, db, Loss, rng, "batchnorm dbeta");
    }
}
