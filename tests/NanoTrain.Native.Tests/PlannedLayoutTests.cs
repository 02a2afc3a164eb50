using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Native;

namespace NanoTrain.Native.Tests;

/// <summary>
/// A planned layout (tensors sharing memory across the schedule) trains exactly as the sequential one, and the
/// planner's figures for the zoo models on the boards stay where they are.
/// </summary>
public class PlannedLayoutTests
{
    private static float[] Parameters(PlanImage plan, NativeExecutor exec) =>
        plan.Trainable.SelectMany(n => exec.Floats(plan.Index[n], plan.Elements[plan.Index[n]]).ToArray()).ToArray();

    /// <summary>Trains both plans on the same samples; every step's loss and the final weights must be equal.</summary>
    private static void TrainSideBySide(ModelGraph g, PlanImage sequential, PlanImage planned, SgdConfig sgd, int batch, int steps, ulong seed)
    {
        using var a = new NativeExecutor(sequential.Bytes, sequential.SpaceSizes);
        using var b = new NativeExecutor(planned.Bytes, planned.SpaceSizes);
        for (int step = 0; step < steps; step++)
        {
            var input = TestModels.Input(g, batch, seed + (ulong)step);
            var labels = TestModels.Labels(g, batch, seed + (ulong)step);
            input.CopyTo(a.Floats(sequential.Input, input.Length));
            labels.CopyTo(a.Bytes(sequential.Labels, labels.Length));
            input.CopyTo(b.Floats(planned.Input, input.Length));
            labels.CopyTo(b.Bytes(planned.Labels, labels.Length));
            Assert.Equal(a.TrainStep(sgd, null), b.TrainStep(sgd, null));
        }
        Assert.Equal(Parameters(sequential, a), Parameters(planned, b));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("bias", true)]
    [InlineData("fc", true)]
    public void PlannedLayoutTrainsBitForBitAsTheSequentialOne(string? subset, bool momentum)
    {
        var g = TestModels.Tiny();
        var weights = TestModels.Weights(g, 21);
        IReadOnlySet<string>? trainable = subset switch
        {
            "bias" => g.Layers.OfType<ConvLayer>().Select(c => c.Name + ".b").Append(g.Layers.OfType<FcLayer>().Last().Bias).ToHashSet(),
            "fc" => new HashSet<string> { g.Layers.OfType<FcLayer>().Last().Weight, g.Layers.OfType<FcLayer>().Last().Bias },
            _ => null,
        };
        var options = new PlanOptions { Batch = 2, FoldBatchNorm = true, Trainable = trainable, Momentum = momentum };
        var sequential = PlanWriter.Write(g, weights, options);
        var planned = PlanWriter.Write(g, weights, options with { Banks = [new PlannerBank("A", 6000), new PlannerBank("B", 1 << 20)] });
        Assert.NotNull(planned.Memory);
        Assert.True(planned.Memory!.Fits);
        Assert.True(planned.Memory.ArenaBytes < sequential.SpaceSizes[1] + sequential.SpaceSizes[2], "reuse saves memory");
        if (subset != "fc")
        {
            // Gradients flow through ReLU6s and adds: some input gradients are written over their output gradient.
            Assert.True(planned.Memory.InPlaceGradients > 0, $"{planned.Memory.InPlaceGradients} in-place gradients");
        }
        TrainSideBySide(g, sequential, planned, new SgdConfig { Lr = 0.05f, Momentum = momentum ? 0.9f : 0f }, batch: 2, steps: 6, seed: 100);
    }

    [Fact]
    public void ElementwiseOutputsShareTheMemoryOfInputsThatDieThere()
    {
        var paths = RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, "mbv2-w0.35").Build();
        var board = BoardCatalog.FromRepo(paths).Get("m7-dev");
        var plan = TrainingPlanner.Plan(graph, TestModels.Weights(graph, 3), null, TrainingMethod.Full, board, 0);
        // Every ReLU6 after a conv (its input is read by nothing else) and the residual adds.
        Assert.True(plan.Memory.InPlaceTensors > 20, $"{plan.Memory.InPlaceTensors} in-place tensors");
        // The small model's planned layout (with its in-place ReLU6 and adds) trains as the sequential one: see above.
        var tiny = TestModels.Tiny();
        var tinyPlan = PlanWriter.Write(tiny, TestModels.Weights(tiny, 4), new PlanOptions { FoldBatchNorm = true, Banks = [new PlannerBank("RAM", 1 << 20)] });
        Assert.True(tinyPlan.Memory!.InPlaceTensors > 0, $"tiny: {tinyPlan.Memory.InPlaceTensors} in-place tensors");
        // Input gradients of the ReLU6s and adds written over their output gradient.
        Assert.True(plan.Memory.InPlaceGradients > 10, $"{plan.Memory.InPlaceGradients} in-place gradients");
    }

    [Fact]
    public void BackwardAloneIsRefusedOnAPlanWhoseGradientsShareMemory()
    {
        var g = TestModels.Tiny();
        var planned = PlanWriter.Write(g, TestModels.Weights(g, 2), new PlanOptions { FoldBatchNorm = true, Banks = [new PlannerBank("A", 1 << 20)] });
        using var exec = new NativeExecutor(planned.Bytes, planned.SpaceSizes);
        exec.Forward();
        exec.Loss();
        var e = Assert.Throws<NanoTrainException>(() => exec.Backward(null));
        Assert.Contains("backward", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Pinned planner figures for the zoo models (fp32 methods; last-layer is pinned with a quantized model in the
    /// int8 tests): arena bytes per board, and arena/bound within 1.05 everywhere.
    /// </summary>
    [Theory]
    [InlineData("mbv2-w0.35", "full", "openmv-h7", false, 1_551_792)]
    [InlineData("mbv2-w0.35", "bias-only", "openmv-h7", true, 403_184)]
    [InlineData("mbv2-w0.35", "bias-only", "stm32f746", false, 403_184)]
    [InlineData("mcunet-tiny", "bias-only", "openmv-h7", true, 356_560)]
    [InlineData("mcunet-tiny", "full", "stm32f405", false, 1_551_760)]
    public void ZooPlansStayWithinFivePercentOfTheBound(string model, string method, string boardId, bool fits, long needed)
    {
        var paths = RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, model).Build();
        var weights = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", model + ".ntck")).Weights;
        var board = BoardCatalog.FromRepo(paths).Get(boardId);
        var plan = TrainingPlanner.Plan(graph, weights, null, TrainingPlanner.ParseMethod(method), board);
        var mem = plan.Memory;
        Assert.Equal(fits, plan.FitsSram);
        Assert.Equal(needed, mem.NeededBytes);
        Assert.True(mem.Ratio <= 1.05, $"{model} {method} {boardId}: arena/bound {mem.Ratio:0.000}");
        Assert.True(mem.LowerBound <= (fits ? mem.ArenaBytes : mem.NeededBytes));
        Assert.True(mem.NoReuseBytes > mem.LowerBound);
        Assert.True(plan.KeepEverythingBytes >= mem.NoReuseBytes);
        if (!fits)
        {
            Assert.NotEmpty(mem.Unplaced);
        }
    }

    [Theory]
    [InlineData("openmv-h7")]
    [InlineData("stm32f746")]
    public void LastLayerOfTheInt8ModelFitsWithinFivePercentOfTheBound(string boardId)
    {
        var (graph, weights, quantized) = TestModels.QuantizedMbv2();
        var board = BoardCatalog.FromRepo(RepoPaths.Locate()).Get(boardId);
        var plan = TrainingPlanner.Plan(graph, weights, quantized, TrainingMethod.LastLayer, board);
        Assert.True(plan.Fits);
        Assert.Equal(26_944, plan.Memory.ArenaBytes);
        Assert.True(plan.Memory.Ratio <= 1.05);
        Assert.True(plan.Memory.InPlaceDepthwise > 0, "depthwise convs written in place");
        Assert.Equal(board.Id, System.Text.Encoding.ASCII.GetString(plan.Plan.Bytes, 16, board.Id.Length));
    }

    /// <summary>The int8 backbone with depthwise convs written over their input computes what the sequential one does.</summary>
    [Fact]
    public void DepthwiseConvsWrittenInPlaceTrainAsTheSequentialOnes()
    {
        var (graph, weights, quantized) = TestModels.QuantizedMbv2();
        var fc = graph.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        var sequential = PlanWriter.WriteInt8WithFp32Classifier(quantized, classifier, new PlanOptions());
        var planned = PlanWriter.WriteInt8WithFp32Classifier(quantized, classifier, new PlanOptions { Banks = [new PlannerBank("A", 1 << 20)] });
        Assert.True(planned.Memory!.InPlaceDepthwise > 0, "depthwise convs written in place");
        TrainSideBySide(graph, sequential, planned, new SgdConfig { Lr = 0.1f }, batch: 1, steps: 3, seed: 11);
    }

    [Fact]
    public void PlannedInt8BackboneWithFp32ClassifierTrainsAsTheSequentialOne()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var fc = g.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        var sequential = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions());
        var planned = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions { Banks = [new PlannerBank("A", 1 << 20)] });
        Assert.True(planned.Memory!.ArenaBytes < sequential.SpaceSizes[1] + sequential.SpaceSizes[2]);
        TrainSideBySide(g, sequential, planned, new SgdConfig { Lr = 0.1f }, batch: 1, steps: 5, seed: 7);
    }
}
