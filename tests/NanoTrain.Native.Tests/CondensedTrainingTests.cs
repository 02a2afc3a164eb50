using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Native;

namespace NanoTrain.Native.Tests;

/// <summary>
/// Gradient condensing through the executor: plans whose activation gradients are per-channel means load, train
/// (the loss falls), give the exact bias gradient where the mean is exact, and keep less than the exact plan.
/// </summary>
public class CondensedTrainingTests
{
    private static readonly PlanOptions Options = new() { Batch = 2, FoldBatchNorm = true };

    [Fact]
    public void TheLastConvsBiasGradientIsExactAndTheRestIsClose()
    {
        var g = TestModels.Tiny();
        var weights = TestModels.Weights(g, 31);
        var exact = PlanWriter.Write(g, weights, Options);
        var condensed = PlanWriter.Write(g, weights, Options with { Condense = true });
        using var a = new NativeExecutor(exact.Bytes, exact.SpaceSizes);
        using var b = new NativeExecutor(condensed.Bytes, condensed.SpaceSizes);
        var input = TestModels.Input(g, 2, 5);
        var labels = TestModels.Labels(g, 2, 5);
        foreach (var (plan, exec) in new[] { (exact, a), (condensed, b) })
        {
            input.CopyTo(exec.Floats(plan.Input, input.Length));
            labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            exec.Forward();
            exec.Loss();
            exec.Backward(null);
        }
        // Below the GAP the gradient is constant per channel and the last ReLU6's mask only scales its mean,
        // so the last conv's bias gradient (the sum of its output gradient) is exact.
        var lastConv = g.Layers.OfType<ConvLayer>().Last().Name + ".b";
        float[] Grad(PlanImage plan, NativeExecutor exec, string name) =>
            exec.Floats(plan.Index["grad:" + name], plan.Elements[plan.Index[name]]).ToArray();
        var exactDb = Grad(exact, a, lastConv);
        var condensedDb = Grad(condensed, b, lastConv);
        for (int i = 0; i < exactDb.Length; i++)
        {
            Assert.True(Math.Abs(exactDb[i] - condensedDb[i]) <= 1e-5 * Math.Max(1f, Math.Abs(exactDb[i])), $"db[{i}]: {exactDb[i]} vs {condensedDb[i]}");
        }
        // The last conv's condensed weight gradient is the exact one up to the ReLU6 mask's spatial pattern (its
        // input sums weigh every position alike); further down it is an approximation that still points the
        // exact gradient's way.
        foreach (var conv in g.Layers.OfType<ConvLayer>())
        {
            var e = Grad(exact, a, conv.Weight);
            var c = Grad(condensed, b, conv.Weight);
            double dot = 0, ne = 0, nc = 0;
            for (int i = 0; i < e.Length; i++)
            {
                dot += (double)e[i] * c[i];
                ne += (double)e[i] * e[i];
                nc += (double)c[i] * c[i];
            }
            double cosine = dot / Math.Sqrt((ne * nc) + 1e-30);
            Assert.True(cosine > (conv == g.Layers.OfType<ConvLayer>().Last() ? 0.9999 : 0.0), $"{conv.Weight}: cosine {cosine:0.000}");
        }
    }

    [Fact]
    public void CondensedTrainingLowersTheLossInLessMemory()
    {
        var g = TestModels.Tiny();
        var weights = TestModels.Weights(g, 32);
        var banks = new[] { new PlannerBank("RAM", 1 << 20) };
        var exact = PlanWriter.Write(g, weights, Options with { Banks = banks });
        var condensed = PlanWriter.Write(g, weights, Options with { Banks = banks, Condense = true });
        Assert.True(condensed.Memory!.ArenaBytes < exact.Memory!.ArenaBytes, $"condensed {condensed.Memory.ArenaBytes} B, exact {exact.Memory.ArenaBytes} B");
        using var exec = new NativeExecutor(condensed.Bytes, condensed.SpaceSizes);
        var input = TestModels.Input(g, 2, 9);
        var labels = TestModels.Labels(g, 2, 9);
        input.CopyTo(exec.Floats(condensed.Input, input.Length));
        labels.CopyTo(exec.Bytes(condensed.Labels, labels.Length));
        var losses = Enumerable.Range(0, 30).Select(_ => exec.TrainStep(new SgdConfig { Lr = 0.05f }, null)).ToList();
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]:0.000} -> {losses[^1]:0.000}");
    }
}
