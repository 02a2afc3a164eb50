using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Tests;

/// <summary>
/// Sparse update: int8 convs trained from exact gradients through frozen int8 convs, planned with the inputs and
/// outputs the backward reads kept alive, and chosen by contribution analysis within a budget.
/// </summary>
public class SparseUpdateTests
{
    private static byte[] Raw(PlanImage plan, NativeExecutor exec, string name) =>
        exec.Bytes(plan.Index[name], plan.Elements[plan.Index[name]] * (name.EndsWith(".s8", StringComparison.Ordinal) ? 1 : 4)).ToArray();

    [Fact]
    public void ChosenTensorsLearnThroughFrozenConvsAndNothingElseChanges()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<QuantizedConv>().ToList();
        Assert.True(convs.Count >= 4);
        // A shallow bias and a deeper conv's weights: the gradient passes frozen convs on its way to the bias.
        string[] chosen = [convs[1].Name + ".b.s32", convs[^2].Name + ".w.s8"];
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, board: null, int8LrScale: 0.5f, sparse: chosen).Plan;
        var int8 = convs.SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }).Where(plan.Index.ContainsKey).ToList();
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        var before = int8.ToDictionary(n => n, n => Raw(plan, exec, n));
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        var losses = new List<float>();
        for (int step = 0; step < 40; step++)
        {
            input.CopyTo(exec.Floats(plan.Input, input.Length));
            labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            losses.Add(exec.TrainStep(new SgdConfig { Lr = 0.05f }, null));
        }
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]:0.000} -> {losses[^1]:0.000}");
        foreach (var name in int8)
        {
            if (chosen.Contains(name))
            {
                Assert.NotEqual(before[name], Raw(plan, exec, name));
            }
            else
            {
                Assert.Equal(before[name], Raw(plan, exec, name));
            }
        }
    }

    /// <summary>
    /// An int8 output at either end of its clamp passes no gradient back, also when that clamp spans the whole int8
    /// range (ReLU6 quantized at 6/255, or a map whose calibrated range stays under 6): the exact backward zeroes the
    /// output gradient there, and condensing counts the active outputs of every conv it trains.
    /// </summary>
    [Fact]
    public void SaturatedOutputsPassNoGradientEvenWhenTheClampIsTheWholeInt8Range()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<QuantizedConv>().ToList();
        var full = convs.Where(c => c.Quant.ActMin == -128 && c.Quant.ActMax == 127).ToList();
        Assert.NotEmpty(full);
        var fc = g.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        var trainable = convs.SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }).Concat(["fc.w", "fc.b"]).ToHashSet(StringComparer.Ordinal);
        var plan = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Trainable = trainable });
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        var input = TestModels.Input(g, 1, 9);
        input.CopyTo(exec.Floats(plan.Input, input.Length));
        TestModels.Labels(g, 1, 9).CopyTo(exec.Bytes(plan.Labels, 1));
        exec.TrainStep(new SgdConfig { Lr = 0f }, null);
        int saturated = 0, flowing = 0;
        foreach (var conv in full)
        {
            int y = plan.Index[conv.Output], dy = plan.Index["grad:" + conv.Output];
            var outputs = exec.Bytes(y, plan.Elements[y]).ToArray();
            var grads = exec.Floats(dy, plan.Elements[dy]).ToArray();
            for (int i = 0; i < outputs.Length; i++)
            {
                if ((sbyte)outputs[i] is -128 or 127)
                {
                    Assert.True(grads[i] == 0f, $"{conv.Name}: output {i} is {(sbyte)outputs[i]} (saturated) but passes gradient {grads[i]}");
                    saturated++;
                }
                else
                {
                    flowing += grads[i] != 0f ? 1 : 0;
                }
            }
        }
        Assert.True(saturated > 0 && flowing > 0, $"{saturated} saturated outputs, {flowing} passing gradient");
        var condensed = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Trainable = trainable, Condense = true });
        Assert.All(convs, c => Assert.True(condensed.Index.ContainsKey(c.Name + ".active"), $"{c.Name} keeps no active counts"));
    }

    [Fact]
    public void PlannedLayoutKeepsWhatTheExactBackwardReads()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<QuantizedConv>().ToList();
        var fc = g.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        // Every conv's weights and biases: each depthwise conv's input and each clamped output must survive to the backward.
        var trainable = convs.SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }).Concat(["fc.w", "fc.b"]).ToHashSet(StringComparer.Ordinal);
        var sequential = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Trainable = trainable });
        var planned = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Trainable = trainable, Banks = [new PlannerBank("A", 1 << 20)] });
        Assert.True(planned.Memory!.ArenaBytes < sequential.SpaceSizes[1] + sequential.SpaceSizes[2]);
        using var a = new NativeExecutor(sequential.Bytes, sequential.SpaceSizes);
        using var b = new NativeExecutor(planned.Bytes, planned.SpaceSizes);
        var sgd = new SgdConfig { Lr = 0.05f };
        for (int step = 0; step < 6; step++)
        {
            var input = TestModels.Input(g, 1, 20 + (ulong)step);
            var labels = TestModels.Labels(g, 1, 20 + (ulong)step);
            foreach (var (plan, exec) in new[] { (sequential, a), (planned, b) })
            {
                input.CopyTo(exec.Floats(plan.Input, input.Length));
                labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            }
            Assert.Equal(a.TrainStep(sgd, null), b.TrainStep(sgd, null));
        }
        foreach (var name in trainable)
        {
            Assert.Equal(Raw(sequential, a, name), Raw(planned, b, name));
        }
    }

    [Fact]
    public void UnknownTensorsAndAMissingChoiceAreRefused()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var bad = Assert.Throws<NanoTrainException>(() => TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, null, sparse: ["nope.w.s8"]));
        Assert.Contains("'nope.w.s8'", bad.Message, StringComparison.Ordinal);
        Assert.Throws<NanoTrainException>(() => TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, null));
    }

    [Fact]
    public void ContributionAnalysisMeasuresEveryTensorAndChoosesWithinTheBudget()
    {
        var (model, weights, images) = TestModels.QuantizedTiny(5, 6, SparseSelection.ProxyFit + SparseSelection.ProxyEval, 8);
        var g = TestModels.Tiny();
        int convs = model.Ops.OfType<QuantizedConv>().Count();
        var board = Core.Boards.BoardCatalog.FromRepo(RepoPaths.Locate()).Get("openmv-h7");
        var classifierOnly = TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, board, sparse: []);
        long budget = classifierOnly.Memory.ArenaBytes + 2048;
        var scheme = SparseSelection.Choose(g, weights, model, images, board, budget, seed: 3);
        Assert.Equal(2 * convs, scheme.Contributions.Count);
        Assert.Equal(scheme.Contributions.OrderByDescending(c => c.Gain).Select(c => c.Gain), scheme.Contributions.Select(c => c.Gain));
        Assert.All(scheme.Chosen, t => Assert.True(scheme.Contributions.Single(c => c.Tensor == t).Gain > 0));
        Assert.True(scheme.Plan.Fits && scheme.Plan.Memory.ArenaBytes <= budget);
        Assert.Equal(scheme.Chosen.Order(StringComparer.Ordinal), scheme.Plan.SparseTensors);
        // A positive-gain tensor left out did not fit alongside those chosen before it.
        var rank = scheme.Contributions.Select((c, i) => (c.Tensor, i)).ToDictionary(p => p.Tensor, p => p.i);
        foreach (var c in scheme.Contributions.Where(c => c.Gain > 0 && !scheme.Chosen.Contains(c.Tensor)))
        {
            var earlier = scheme.Chosen.Where(t => rank[t] < rank[c.Tensor]).Append(c.Tensor).ToList();
            Assert.False(TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, board, budget, sparse: earlier).Fits, c.Tensor);
        }
    }
}
