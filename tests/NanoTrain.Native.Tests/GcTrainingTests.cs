using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Tests;

/// <summary>
/// The gc method: int8 convs trained in place from condensed gradients with QAS, planned for the boards, and the
/// diagnosis of condensing's error.
/// </summary>
public class GcTrainingTests
{
    [Fact]
    public void Int8ConvsLearnFromCondensedGradientsAlone()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var convs = model.Ops.OfType<Core.Quantization.QuantizedConv>().Count();
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.Gc, board: null, trainConvs: convs);
        Assert.Equal(convs, plan.TrainedConvs);
        var image = plan.Plan;
        using var exec = new NativeExecutor(image.Bytes, image.SpaceSizes);
        // Only the int8 parameters train: the classifier stays as it is.
        var mask = new byte[image.Index.Values.Max() + 1];
        foreach (var name in image.Trainable.Where(n => n.EndsWith(".s8", StringComparison.Ordinal) || n.EndsWith(".s32", StringComparison.Ordinal)))
        {
            mask[image.Index[name]] = 1;
        }
        string lastWeight = image.Trainable.Last(n => n.EndsWith(".w.s8", StringComparison.Ordinal));
        byte[] Weight() => exec.Bytes(image.Index[lastWeight], image.Elements[image.Index[lastWeight]]).ToArray();
        var before = Weight();
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        var losses = new List<float>();
        for (int step = 0; step < 40; step++)
        {
            input.CopyTo(exec.Floats(image.Input, input.Length));
            labels.CopyTo(exec.Bytes(image.Labels, labels.Length));
            losses.Add(exec.TrainStep(new SgdConfig { Lr = 0.02f }, mask));
        }
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]:0.000} -> {losses[^1]:0.000}");
        Assert.NotEqual(before, Weight());
        // Without an update there is nowhere to put an int8 gradient: backward alone is refused.
        Assert.Throws<NanoTrainException>(() => exec.Backward(mask));
    }

    [Fact]
    public void AlternantUpdateChangesOnlyTheChosenFiltersAndRotatesThem()
    {
        var (model, weights, images) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        int convs = model.Ops.OfType<Core.Quantization.QuantizedConv>().Count();
        var apu = new AlternantUpdate(SourceStatistics.Measure(model, images, 16, seed: 1)) { Fraction = 0.25, Round = 2 };
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.GcApu, board: null, trainConvs: convs, apu: apu);
        var image = plan.Plan;
        using var exec = new NativeExecutor(image.Bytes, image.SpaceSizes);
        var last = model.Ops.OfType<Core.Quantization.QuantizedConv>().Last();
        int filters = model.Shapes[last.Output].C, perFilter = last.Weight.Length / filters;
        int chosen = apu.Chosen(filters);
        byte[] Weight() => exec.Bytes(image.Index[last.Name + ".w.s8"], last.Weight.Length).ToArray();
        byte[] Ages() => exec.Bytes(image.Index[last.Name + ".ages"], filters).ToArray();
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        var visited = new bool[filters];
        var losses = new List<float>();
        for (int step = 0; step < 40; step++)
        {
            var before = Weight();
            input.CopyTo(exec.Floats(image.Input, input.Length));
            labels.CopyTo(exec.Bytes(image.Labels, labels.Length));
            losses.Add(exec.TrainStep(new SgdConfig { Lr = 0.02f }, null));
            var ages = Ages();
            var after = Weight();
            Assert.Equal(chosen, ages.Count(a => a == 0));
            for (int f = 0; f < filters; f++)
            {
                bool changed = !before.AsSpan(f * perFilter, perFilter).SequenceEqual(after.AsSpan(f * perFilter, perFilter));
                Assert.False(changed && ages[f] != 0, $"step {step}: filter {f} of age {ages[f]} changed");
                visited[f] |= ages[f] == 0;
            }
        }
        Assert.All(visited, Assert.True);
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]:0.000} -> {losses[^1]:0.000}");
        // The planner refuses settings the device's ages cannot count.
        var tooFew = apu with { Fraction = 0.0001, Horizon = 250 };
        Assert.Throws<NanoTrainException>(() => TrainingPlanner.Plan(g, weights, model, TrainingMethod.GcApu, board: null, trainConvs: convs, apu: tooFew));
    }

    [Fact]
    public void GcFitsTheStm32F746InAFifthOfFullFineTuning()
    {
        var paths = RepoPaths.Locate();
        var (graph, weights, quantized) = TestModels.QuantizedMbv2();
        var board = BoardCatalog.FromRepo(paths).Get("stm32f746");
        var gc = TrainingPlanner.Plan(graph, weights, quantized, TrainingMethod.Gc, board);
        var full = TrainingPlanner.Plan(graph, weights, null, TrainingMethod.Full, board);
        Assert.True(gc.Fits, $"gc needs {gc.Memory.ArenaBytes} B of {gc.Budget}");
        Assert.False(full.Fits);
        Assert.True(gc.TrainedConvs > 1, $"{gc.TrainedConvs} convs");
        Assert.True(gc.Memory.ArenaBytes <= 0.2 * full.Memory.NeededBytes, $"gc {gc.Memory.ArenaBytes} B, full {full.Memory.NeededBytes} B");
        Assert.True(gc.Memory.Ratio <= 1.05);
        // The default depth: every trailing conv on a small map, or as many of them as fit.
        int small = quantized.Ops.OfType<Core.Quantization.QuantizedConv>().Reverse()
            .TakeWhile(c => quantized.Shapes[c.Output].H * quantized.Shapes[c.Output].W <= TrainingPlanner.MaxCondensedPositions).Count();
        var deeper = TrainingPlanner.Plan(graph, weights, quantized, TrainingMethod.Gc, board, trainConvs: gc.TrainedConvs + 1);
        Assert.True(gc.TrainedConvs == small || !deeper.FitsSram, $"{gc.TrainedConvs} of {small} small-map convs, and a deeper plan fits too");
    }

    [Fact]
    public void DiagnosisFindsTheLastConvExactAndEveryCosineInRange()
    {
        var (_, weights, images) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var layers = GcDiagnosis.Run(g, weights, images, 4);
        var convs = g.Layers.OfType<ConvLayer>().ToList();
        Assert.Equal(convs.Select(c => c.Name), layers.Select(l => l.Conv));
        Assert.All(layers, l => Assert.InRange(l.MinCosine, -1.0001, l.Cosine + 1e-9));
        Assert.All(layers, l => Assert.InRange(l.Cosine, -1.0001, 1.0001));
        Assert.True(layers[^1].Cosine > 0.9999, $"last conv: cosine {layers[^1].Cosine}");
        Assert.True(layers.Take(layers.Count - 1).Any(l => l.Cosine < 0.999), "the deeper layers are approximations");
    }
}
