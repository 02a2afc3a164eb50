using System.Buffers.Binary;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Native.Tests;

/// <summary>
/// Condensing over r x r patches (gc's option, and gradient filtering): int8 convs learn from patched gradients, the
/// planned layout keeps what their backward reads, and plans and options that are no grid of patches are refused.
/// </summary>
public class PatchCondensingTests
{
    private static byte[] Raw(PlanImage plan, NativeExecutor exec, string name) =>
        exec.Bytes(plan.Index[name], plan.Elements[plan.Index[name]] * (name.EndsWith(".s8", StringComparison.Ordinal) ? 1 : 4)).ToArray();

    /// <summary>A tensor's dims as the plan file holds them.</summary>
    private static int[] Dims(PlanImage plan, string name)
    {
        int tensors = BinaryPrimitives.ReadInt32LittleEndian(plan.Bytes.AsSpan(PlanFormat.Header.TensorsOffset));
        int at = tensors + (plan.Index[name] * PlanFormat.TensorBytes) + 16;
        return [.. Enumerable.Range(0, 4).Select(i => (int)BinaryPrimitives.ReadUInt16LittleEndian(plan.Bytes.AsSpan(at + (2 * i))))];
    }

    private static (QuantizedModel Model, ModelGraph Graph, Dictionary<string, float[]> Classifier, HashSet<string> Trainable) EveryConv()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var fc = g.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        var trainable = model.Ops.OfType<QuantizedConv>().SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" })
            .Concat(["fc.w", "fc.b"]).ToHashSet(StringComparer.Ordinal);
        return (model, g, classifier, trainable);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void EveryConvLearnsFromPatchedGradientsTheSameInThePlannedLayout(int patch, bool centre)
    {
        var (model, g, classifier, trainable) = EveryConv();
        var options = new PlanOptions { Trainable = trainable, Condense = true, Patch = patch, CentreSums = centre };
        var sequential = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, options);
        var planned = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, options with { Banks = [new PlannerBank("A", 1 << 20)] });
        // The 6x6 and 3x3 maps' gradients are grids of patches, not vectors.
        Assert.Contains(sequential.Index.Keys, name => name.StartsWith("grad:", StringComparison.Ordinal) && Dims(sequential, name)[1] > 1);
        using var a = new NativeExecutor(sequential.Bytes, sequential.SpaceSizes);
        using var b = new NativeExecutor(planned.Bytes, planned.SpaceSizes);
        var before = trainable.ToDictionary(n => n, n => Raw(sequential, a, n));
        var sgd = new SgdConfig { Lr = 0.02f };
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        var losses = new List<float>();
        for (int step = 0; step < 40; step++)
        {
            foreach (var (plan, exec) in new[] { (sequential, a), (planned, b) })
            {
                input.CopyTo(exec.Floats(plan.Input, input.Length));
                labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            }
            float loss = a.TrainStep(sgd, null);
            Assert.Equal(loss, b.TrainStep(sgd, null));
            losses.Add(loss);
        }
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss {losses[0]:0.000} -> {losses[^1]:0.000}");
        foreach (var name in trainable)
        {
            Assert.Equal(Raw(sequential, a, name), Raw(planned, b, name));
        }
        // The shallowest conv's weights moved: the patched gradient reached the stem.
        string stem = model.Ops.OfType<QuantizedConv>().First().Name + ".w.s8";
        Assert.NotEqual(before[stem], Raw(sequential, a, stem));
    }

    [Fact]
    public void PatchesNeedACondensingMethodAndASideOfTwoOrMore()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        Assert.Contains("side of at least 2", Assert.Throws<NanoTrainException>(() => TrainingPlanner.Plan(g, weights, model, TrainingMethod.Gc, null, patch: 1)).Message);
        Assert.Contains("not last-layer", Assert.Throws<NanoTrainException>(() => TrainingPlanner.Plan(g, weights, model, TrainingMethod.LastLayer, null, patch: 2)).Message);
        Assert.Contains("fp32 kernels condense whole maps",
            Assert.Throws<NanoTrainException>(() => PlanWriter.Write(g, weights, new PlanOptions { FoldBatchNorm = true, Condense = true, Patch = 2 })).Message);
        // gradient-filter's default: 2x2 patches and one sum per patch.
        var filter = TrainingPlanner.Plan(g, weights, model, TrainingMethod.GradientFilter, null, trainConvs: 2);
        Assert.Equal(TrainingPlanner.DefaultFilterPatch, filter.Patch);
        string last = model.Ops.OfType<QuantizedConv>().Last().Name;
        var (h, w, _) = model.Shapes[model.Ops.OfType<QuantizedConv>().Last().Output];
        int cin = model.Shapes[model.Ops.OfType<QuantizedConv>().Last().Input].C;
        Assert.Equal(((h + 1) / 2) * ((w + 1) / 2) * cin, filter.Plan.Elements[filter.Plan.Index[last + ".sums"]]);
    }

    [Fact]
    public void AGradientThatIsNoGridOfPatchesIsRejected()
    {
        var (model, g, classifier, trainable) = EveryConv();
        var plan = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Trainable = trainable, Condense = true, Patch = 2 });
        // A 3x3 grid over a 6x6 map, made 9x1: as many bytes, but 9 rows of patches do not fit 6 rows.
        string grad = plan.Index.Keys.First(n => n.StartsWith("grad:", StringComparison.Ordinal) && Dims(plan, n)[1] == 3);
        var bytes = (byte[])plan.Bytes.Clone();
        int tensors = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.TensorsOffset));
        var dims = bytes.AsSpan(tensors + (plan.Index[grad] * PlanFormat.TensorBytes) + 16, 8);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(dims[2..]));
        BinaryPrimitives.WriteUInt16LittleEndian(dims[2..], 9);
        BinaryPrimitives.WriteUInt16LittleEndian(dims[4..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.Crc), Crc32.Compute(bytes.AsSpan(16)));
        var ex = Assert.Throws<NanoTrainException>(() => new NativeExecutor(bytes, plan.SpaceSizes).Dispose());
        Assert.Equal($"plan rejected: range at tensor {plan.Index[grad["grad:".Length..]]}", ex.Message);
    }
}
