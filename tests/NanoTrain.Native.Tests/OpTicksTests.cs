using System.Buffers.Binary;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Native.Tests;

/// <summary>
/// Each op's backward ticks (nt_exec_set_op_ticks), the costs elastic selection weighs: they add up to the phases'
/// ticks, and only the ops a step's backward ran have any.
/// </summary>
public unsafe class OpTicksTests
{
    /// <summary>The op that reads tensor <paramref name="tensor"/> as in[1] (a conv's or FC's weights).</summary>
    internal static int OpOfWeight(PlanImage plan, int tensor)
    {
        int ops = BinaryPrimitives.ReadInt32LittleEndian(plan.Bytes.AsSpan(PlanFormat.Header.OpsOffset));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(plan.Bytes.AsSpan(36));
        return Enumerable.Range(0, count).Single(i => BinaryPrimitives.ReadUInt16LittleEndian(plan.Bytes.AsSpan(ops + (i * PlanFormat.OpBytes) + 6)) == tensor);
    }

    [Fact]
    public void OpTicksAddUpToThePhasesAndStopAtTheDeepestTrainedOp()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<QuantizedConv>().ToList();
        var image = TrainingPlanner.Plan(g, weights, model, TrainingMethod.Gc, null, trainConvs: convs.Count).Plan;
        int ops = BinaryPrimitives.ReadUInt16LittleEndian(image.Bytes.AsSpan(36));
        using var exec = new NativeExecutor(image.Bytes, image.SpaceSizes);
        exec.SetClock(NativeExecutor.CountingClock, ops);
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        // The last two convs' tensors and the classifier, then only the classifier.
        string[][] selections = [[.. convs.Skip(convs.Count - 2).SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }), "fc.w", "fc.b"], ["fc.w", "fc.b"]];
        foreach (var chosen in selections)
        {
            var mask = new byte[image.Index.Values.Max() + 1];
            foreach (var name in chosen)
            {
                mask[image.Index[name]] = 1;
            }
            input.CopyTo(exec.Floats(image.Input, input.Length));
            labels.CopyTo(exec.Bytes(image.Labels, labels.Length));
            var before = exec.PhaseTicks;
            exec.TrainStep(new SgdConfig { Lr = 0.01f }, mask);
            var after = exec.PhaseTicks;
            uint[] dx = exec.OpTicksDx, dw = exec.OpTicksDw;
            Assert.Equal(after[2] - before[2], dx.Aggregate(0ul, (a, t) => a + t));
            Assert.Equal(after[3] + after[4] - before[3] - before[4], dw.Aggregate(0ul, (a, t) => a + t));
            int deepest = chosen.Where(n => n.EndsWith(".w.s8", StringComparison.Ordinal) || n == "fc.w").Min(n => OpOfWeight(image, image.Index[n]));
            // Nothing below the deepest trained op ran, nor its own input gradient; each trained op updated.
            Assert.All(Enumerable.Range(0, deepest + 1), i => Assert.Equal(0u, dx[i]));
            Assert.All(Enumerable.Range(0, deepest), i => Assert.Equal(0u, dw[i]));
            Assert.All(chosen.Where(n => n.EndsWith(".w.s8", StringComparison.Ordinal) || n == "fc.w"), n => Assert.True(dw[OpOfWeight(image, image.Index[n])] > 0, n));
        }
        exec.SetClock(null, 0);
        Assert.Empty(exec.OpTicksDx);
    }
}

/// <summary>Each trained tensor's importance (nt_exec_set_importance): lr |g|^2 per step, only for what trains.</summary>
public class ImportanceTests
{
    /// <summary>The input of the op whose weights are fc.w.</summary>
    private static int FcInput(PlanImage plan)
    {
        int ops = BinaryPrimitives.ReadInt32LittleEndian(plan.Bytes.AsSpan(PlanFormat.Header.OpsOffset));
        int op = OpTicksTests.OpOfWeight(plan, plan.Index["fc.w"]);
        return BinaryPrimitives.ReadUInt16LittleEndian(plan.Bytes.AsSpan(ops + (op * PlanFormat.OpBytes) + 4));
    }

    [Fact]
    public void ImportanceIsTheRateTimesTheSquaredGradientOfWhatTrained()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<QuantizedConv>().ToList();
        var image = TrainingPlanner.Plan(g, weights, model, TrainingMethod.Gc, null, trainConvs: convs.Count, int8LrScale: 0.5f).Plan;
        int tensors = image.Index.Values.Max() + 1;
        string[] chosen = [convs[^1].Name + ".w.s8", convs[^2].Name + ".b.s32", "fc.w", "fc.b"];
        var mask = new byte[tensors];
        foreach (var name in chosen)
        {
            mask[image.Index[name]] = 1;
        }
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        // The classifier's gradients from the forward: db = softmax(logits) - onehot(label), dW = x db^T for its input x,
        // so |db|^2 and |dW|^2 = |x|^2 |db|^2 (the sequential layout keeps every tensor).
        using var probe = new NativeExecutor(image.Bytes, image.SpaceSizes);
        input.CopyTo(probe.Floats(image.Input, input.Length));
        labels.CopyTo(probe.Bytes(image.Labels, labels.Length));
        probe.Forward();
        var logits = probe.Floats(image.Logits, g.Classes).ToArray();
        double max = logits.Max(), total = logits.Sum(v => Math.Exp(v - max));
        double db2 = logits.Select((v, c) => (Math.Exp(v - max) / total) - (c == labels[0] ? 1 : 0)).Sum(d => d * d);
        int x = FcInput(image);
        double x2 = probe.Floats(x, image.Elements[x]).ToArray().Sum(v => (double)v * v);

        using var exec = new NativeExecutor(image.Bytes, image.SpaceSizes);
        exec.KeepImportance(tensors);
        const float lr = 0.02f;
        input.CopyTo(exec.Floats(image.Input, input.Length));
        labels.CopyTo(exec.Bytes(image.Labels, labels.Length));
        exec.TrainStep(new SgdConfig { Lr = lr }, mask);
        var first = exec.Importance;
        Assert.Equal(lr * db2, first[image.Index["fc.b"]], 1e-4 * lr * db2);
        Assert.Equal(lr * x2 * db2, first[image.Index["fc.w"]], 1e-4 * lr * x2 * db2);
        for (int t = 0; t < tensors; t++)
        {
            Assert.True(mask[t] == 1 ? first[t] > 0 : first[t] == 0, $"tensor {t}: {first[t]}");
        }
        // It accumulates over steps.
        exec.TrainStep(new SgdConfig { Lr = lr }, mask);
        Assert.All(chosen, n => Assert.True(exec.Importance[image.Index[n]] > first[image.Index[n]], n));
    }
}
