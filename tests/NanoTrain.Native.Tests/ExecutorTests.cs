using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Tests;

/// <summary>The executor's forward, backward and update over a whole network.</summary>
public unsafe class ExecutorTests
{
    private static NativeExecutor Load(PlanImage plan, float[] input, byte[] labels)
    {
        var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        input.CopyTo(exec.Floats(plan.Input, input.Length));
        labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
        return exec;
    }

    private static double LossOf(NativeExecutor exec, bool batchNormTraining)
    {
        exec.SetBatchNormMode(batchNormTraining, updateRunning: false);
        exec.Forward();
        return exec.Loss();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WholeNetworkGradientsMatchFiniteDifferences(bool foldBatchNorm)
    {
        var g = TestModels.Tiny();
        var plan = PlanWriter.Write(g, TestModels.Weights(g, 3), new PlanOptions { Batch = 3, FoldBatchNorm = foldBatchNorm });
        using var exec = Load(plan, TestModels.Input(g, 3, 5), TestModels.Labels(g, 3, 5));
        LossOf(exec, batchNormTraining: !foldBatchNorm);
        exec.Backward(null);
        var rng = new Core.Common.SplitMix64(17);
        int checkedCount = 0;
        int tight = 0;
        foreach (string name in plan.Trainable)
        {
            int p = plan.Index[name];
            int n = plan.Elements[p];
            var grad = exec.Floats(plan.Index["grad:" + name], n).ToArray();
            for (int t = 0; t < 3; t++)
            {
                int i = (int)rng.NextBelow((ulong)n);
                // A step can move some ReLU6 input across 0 or 6 and bend the difference quotient; of three
                // step sizes the best one is compared.
                double best = double.MaxValue;
                double bestNumeric = 0;
                foreach (float h in new[] { 1e-2f, 3e-3f, 1e-3f })
                {
                    var weights = exec.Floats(p, n);
                    float saved = weights[i];
                    weights[i] = saved + h;
                    double up = LossOf(exec, !foldBatchNorm);
                    exec.Floats(p, n)[i] = saved - h;
                    double down = LossOf(exec, !foldBatchNorm);
                    exec.Floats(p, n)[i] = saved;
                    double numeric = (up - down) / (2 * h);
                    double error = Math.Abs(numeric - grad[i]) / ((Math.Max(Math.Abs(numeric), Math.Abs(grad[i])) * 0.02) + 1e-3);
                    if (error < best)
                    {
                        best = error;
                        bestNumeric = numeric;
                    }
                }
                double tol = (0.08 * Math.Max(Math.Abs(bestNumeric), Math.Abs(grad[i]))) + 2e-3;
                Assert.True(Math.Abs(bestNumeric - grad[i]) <= tol, $"{name}[{i}]: backward {grad[i]:G6}, finite difference {bestNumeric:G6}");
                tight += best <= 1 ? 1 : 0;
                checkedCount++;
            }
        }
        // Most coordinates agree within 2% + 1e-3; only those near a kink may need the looser bound.
        Assert.True(tight >= checkedCount * 9 / 10, $"only {tight} of {checkedCount} gradients within 2%");
        Assert.True(checkedCount >= 3 * 10);
    }

    [Fact]
    public void RepeatedStepsOnOneBatchDriveTheLossDown()
    {
        var g = TestModels.Tiny();
        var plan = PlanWriter.Write(g, TestModels.Weights(g, 4), new PlanOptions { Batch = 4, FoldBatchNorm = true, Momentum = true });
        using var exec = Load(plan, TestModels.Input(g, 4, 9), TestModels.Labels(g, 4, 9));
        double first = 0;
        double last = 0;
        for (int step = 0; step < 30; step++)
        {
            exec.Forward();
            last = exec.Loss();
            first = step == 0 ? last : first;
            exec.Backward(null);
            exec.Update(new SgdConfig { Lr = 0.05f, Momentum = 0.9f }, null);
        }
        Assert.True(last < first * 0.2, $"loss went from {first} to {last}");
    }

    [Fact]
    public void OnlyTheMaskedParametersChange()
    {
        var g = TestModels.Tiny();
        var plan = PlanWriter.Write(g, TestModels.Weights(g, 5), new PlanOptions { Batch = 2, FoldBatchNorm = true });
        using var exec = Load(plan, TestModels.Input(g, 2, 1), TestModels.Labels(g, 2, 1));
        var before = plan.Trainable.ToDictionary(n => n, n => exec.Floats(plan.Index[n], plan.Elements[plan.Index[n]]).ToArray());
        var mask = new byte[plan.Elements.Count];
        mask[plan.Index["fc.w"]] = 1;
        mask[plan.Index["fc.b"]] = 1;
        exec.Forward();
        exec.Loss();
        exec.Backward(mask);
        exec.Update(new SgdConfig { Lr = 0.1f }, mask);
        foreach (string name in plan.Trainable)
        {
            var after = exec.Floats(plan.Index[name], before[name].Length).ToArray();
            if (name.StartsWith("fc.", StringComparison.Ordinal))
            {
                Assert.NotEqual(before[name], after);
            }
            else
            {
                Assert.Equal(before[name], after);
                // Backward stopped at the classifier: earlier gradients were never touched.
                Assert.All(exec.Floats(plan.Index["grad:" + name], before[name].Length).ToArray(), v => Assert.Equal(0f, v));
            }
        }
    }

    [Fact]
    public void MaskNamingANonParameterIsRefused()
    {
        var g = TestModels.Tiny();
        var plan = PlanWriter.Write(g, TestModels.Weights(g, 5), new PlanOptions { Batch = 1, FoldBatchNorm = true });
        using var exec = Load(plan, TestModels.Input(g, 1, 1), TestModels.Labels(g, 1, 1));
        var mask = new byte[plan.Elements.Count];
        mask[plan.Input] = 1;
        exec.Forward();
        exec.Loss();
        var ex = Assert.Throws<Core.Common.NanoTrainException>(() => exec.Backward(mask));
        Assert.Contains("arg", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FoldedBatchNormGivesTheSameLogitsAsInferenceMode()
    {
        var g = TestModels.Tiny();
        var w = TestModels.Weights(g, 6);
        var x = TestModels.Input(g, 2, 2);
        var y = TestModels.Labels(g, 2, 2);
        var withBn = PlanWriter.Write(g, w, new PlanOptions { Batch = 2 });
        var folded = PlanWriter.Write(g, w, new PlanOptions { Batch = 2, FoldBatchNorm = true });
        using var a = Load(withBn, x, y);
        using var b = Load(folded, x, y);
        a.SetBatchNormMode(training: false, updateRunning: false);
        a.Forward();
        b.Forward();
        var la = a.Floats(withBn.Logits, 2 * g.Classes).ToArray();
        var lb = b.Floats(folded.Logits, 2 * g.Classes).ToArray();
        for (int i = 0; i < la.Length; i++)
        {
            Assert.True(Math.Abs(la[i] - lb[i]) <= 1e-4 + (1e-4 * Math.Abs(la[i])), $"logit {i}: {la[i]} vs folded {lb[i]}");
        }
        Assert.DoesNotContain(folded.Index.Keys, k => k.EndsWith(".bn.gamma", StringComparison.Ordinal));
    }
}
