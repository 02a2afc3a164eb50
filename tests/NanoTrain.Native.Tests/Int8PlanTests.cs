using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Tests;

/// <summary>An int8 model runs through the plan executor exactly as the reference int8 kernels compute it.</summary>
public class Int8PlanTests
{
    [Fact]
    public void ExecutorLogitsEqualTheReferenceInt8Kernels()
    {
        var (model, _, images) = TestModels.QuantizedTiny(13, 6, 32, 32);
        const int batch = 4;
        var plan = PlanWriter.WriteInt8(model, new PlanOptions { Batch = batch });
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        var pipeline = new ImagePipeline(12);
        int inputElements = 12 * 12;
        var input = exec.Floats(plan.Input, batch * inputElements);
        for (int s = 0; s < batch; s++)
        {
            pipeline.Render(images.Image(s), input.Slice(s * inputElements, inputElements));
        }
        exec.Forward();
        var logits = exec.Floats(plan.Logits, batch * plan.Classes).ToArray();
        var outQuant = model.Activations[model.Ops[^1].Output];
        for (int s = 0; s < batch; s++)
        {
            var expected = Int8Simulator.Run(model, images.Image(s), pipeline);
            for (int k = 0; k < plan.Classes; k++)
            {
                Assert.Equal(outQuant.Scale * (float)(expected[k] - outQuant.ZeroPoint), logits[(s * plan.Classes) + k]);
            }
        }
    }

    [Fact]
    public void Int8PlanRunsOnTheBoardWithTheHostsLoss()
    {
        var (model, _, images) = TestModels.QuantizedTiny(13, 6, 32, 32);
        var plan = PlanWriter.WriteInt8(model, new PlanOptions { Batch = 1, Board = "openmv-h7" });
        var paths = RepoPaths.Locate();
        var board = BoardCatalog.FromRepo(paths).Get("openmv-h7");
        string elf = new FirmwareBuilder(paths).Build(board, "trainstep");
        var input = new float[12 * 12];
        new ImagePipeline(12).Render(images.Image(3), input);
        byte[] labels = [2];
        var device = DeviceStep.OnBoard(board, elf, plan, input, labels, TimeSpan.FromMinutes(2));
        var host = DeviceStep.OnHost(plan, input, labels);
        // The int8 part is exact on both; only expf/logf in the loss come from different libraries.
        Assert.True(Math.Abs(device.Loss - host.Loss) <= 1e-6 * Math.Abs(host.Loss), $"board {device.Loss:R}, host {host.Loss:R}");
        Assert.True(device.Instructions["forward"] > 0);
    }

    [Fact]
    public void BadRequantizationParametersAreRejectedByTheLoader()
    {
        var (model, _, _) = TestModels.QuantizedTiny(13, 6, 32, 32);
        var conv = (QuantizedConv)model.Ops[0];
        conv.Quant.Multiplier[0] = 5; // below 2^30 and not 0: the kernels' requantization would be wrong
        var plan = PlanWriter.WriteInt8(model, new PlanOptions { Batch = 1 });
        var ex = Assert.Throws<NanoTrainException>(() => new NativeExecutor(plan.Bytes, plan.SpaceSizes).Dispose());
        Assert.Equal("plan rejected: range at op 1", ex.Message);
    }
}

/// <summary>Last-layer training over an int8 backbone: the device form issue 6 trains.</summary>
public class Int8BackboneTests
{
    [Fact]
    public void OnlyTheFp32ClassifierTrainsAndTheLossFalls()
    {
        var (model, weights, images) = TestModels.QuantizedTiny(14, 8, 32, 32);
        const int batch = 8;
        var plan = PlanWriter.WriteInt8WithFp32Classifier(model, weights, new PlanOptions { Batch = batch, Momentum = true });
        Assert.Equal(new[] { "fc.w", "fc.b" }, plan.Trainable);
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        var pipeline = new ImagePipeline(12);
        var input = exec.Floats(plan.Input, batch * 144);
        var labels = exec.Bytes(plan.Labels, batch);
        for (int s = 0; s < batch; s++)
        {
            pipeline.Render(images.Image(s), input.Slice(s * 144, 144));
            labels[s] = images.Labels[s];
        }
        double first = 0;
        double last = 0;
        for (int step = 0; step < 40; step++)
        {
            exec.Forward();
            last = exec.Loss();
            first = step == 0 ? last : first;
            exec.Backward(null);
            exec.Update(new SgdConfig { Lr = 0.05f, Momentum = 0.9f }, null);
        }
        Assert.True(last < first * 0.5, $"loss went from {first} to {last}");
    }

    [Fact]
    public void ClassifierStepOnTheBoardMatchesTheHost()
    {
        var (model, weights, images) = TestModels.QuantizedTiny(14, 8, 32, 32);
        var plan = PlanWriter.WriteInt8WithFp32Classifier(model, weights, new PlanOptions { Batch = 1, Board = "openmv-h7" });
        var paths = RepoPaths.Locate();
        var board = BoardCatalog.FromRepo(paths).Get("openmv-h7");
        string elf = new FirmwareBuilder(paths).Build(board, "trainstep");
        var input = new float[144];
        new ImagePipeline(12).Render(images.Image(5), input);
        byte[] labels = [1];
        var device = DeviceStep.OnBoard(board, elf, plan, input, labels, TimeSpan.FromMinutes(2));
        var host = DeviceStep.OnHost(plan, input, labels);
        // int8 exact, the fp32 FC has no fused variant: only expf/logf differ between the C libraries.
        Assert.True(Math.Abs(device.Loss - host.Loss) <= 1e-6 * Math.Abs(host.Loss), $"board {device.Loss:R}, host {host.Loss:R}");
        Assert.Equal(host.Parameters.Length, device.Parameters.Length);
        for (int i = 0; i < host.Parameters.Length; i++)
        {
            Assert.True(Math.Abs(device.Parameters[i] - host.Parameters[i]) <= 1e-6f, $"word {i}: board {device.Parameters[i]:R}, host {host.Parameters[i]:R}");
        }
        Assert.True(device.Instructions["backward"] < device.Instructions["forward"], "backward covers only the classifier");
    }
}
