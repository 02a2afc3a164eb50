using System.Diagnostics;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;

namespace NanoTrain.Core.Device;

/// <summary>How <see cref="DeviceRun"/> gets the plan onto the board.</summary>
public enum PlanDelivery
{
    /// <summary>Written into the plan slot before boot, as a flasher does (QEMU's loader on emulated boards).</summary>
    Flash,
    /// <summary>Sent in LOAD_PLAN frames after boot; needs a plan slot the firmware can write.</summary>
    Uart,
}

/// <summary>What to run: a plan on a board, a number of training and test samples.</summary>
public sealed record DeviceRunOptions(
    BoardDescriptor Board, string ElfPath, PlanFileInfo Plan, LabeledImages TrainSet, LabeledImages TestSet,
    float LearningRate, ulong Seed, PlanDelivery Delivery, string StateDirectory)
{
    /// <summary>A real board's serial device (e.g. /dev/ttyACM0) instead of the emulator; the board must already
    /// run the trainer firmware, with the plan flashed at its plan slot (<see cref="PlanDelivery.Flash"/>) or not.</summary>
    public string? Port { get; init; }

    /// <summary>Elastic selection on the device (the plan must reserve its workspace); null: every parameter trains.</summary>
    public ElasticRun? Elastic { get; init; }

    /// <summary>Passes over the training samples, each in a new order drawn from <see cref="Seed"/>.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>After training: save the weights, reset the board and check that it restored them and predicts as before.</summary>
    public bool CheckRestore { get; init; }
}

/// <summary>What the save–reset–restore check found: the slot written, the sequence the board restored after its reset,
/// top-1 after the reset and whether every test prediction equals the one made before the reset.</summary>
public sealed record RestoreCheck(uint Slot, uint Sequence, uint RestoredSequence, bool PlanRunning, double AccuracyAfterReset, bool SamePredictions)
{
    /// <summary>The board came back with the plan running, the saved weights restored and the same predictions.</summary>
    public bool Passed => PlanRunning && RestoredSequence == Sequence && SamePredictions;
}

/// <summary>Elastic selection's settings: a step's target share of a full step, steps between selections, calibration steps.</summary>
public sealed record ElasticRun(float Rho, int Window, int Calibration)
{
    /// <summary>ElasticTrainer re-selects every few hundred samples; few-shot runs are shorter, so every 20.</summary>
    public const int DefaultWindow = 20;

    /// <summary>Calibration steps (their median costs are kept).</summary>
    public const int DefaultCalibration = 3;
}

/// <summary>A bank's measured use against the plan and the board.</summary>
public sealed record BankReport(string Name, long BankBytes, long FreeBytes, long PlannedBytes, long HighWaterBytes)
{
    /// <summary>Measured high-water within the plan's figure for this bank.</summary>
    public bool WithinPlan => HighWaterBytes <= PlannedBytes;
}

/// <summary>What a device run measured.</summary>
public sealed record DeviceRunReport(
    string Board, string PlanPath, string CommandLine, DeviceHello Hello, int TrainSamples, int TestSamples,
    double AccuracyBefore, double AccuracyAfter, IReadOnlyList<float> Losses, IReadOnlyList<StepInstructions> Steps,
    StepInstructions MedianStep, long MedianInferInstructions, IReadOnlyList<BankReport> Banks, long StackBytes, long StackHighWater,
    long FlashFirmwareBytes, long FlashPlanBytes, long FlashBytes, TimeSpan Elapsed)
{
    /// <summary>With elastic selection: its state after training (a full step's cost from calibration, the selection).</summary>
    public DeviceElastic? Elastic { get; init; }

    /// <summary>With elastic selection: the median step after calibration over a full step's instructions (the target is rho).</summary>
    public double? AchievedRho => Elastic is { Full: > 0 } e && Steps.Count > Calibration ? DeviceRun.MedianAfter(Steps, Calibration) / e.Full : null;

    /// <summary>With elastic selection, after calibration: each candidate's costs as the board measured them.</summary>
    public ElasticCosts? ElasticCosts { get; init; }

    /// <summary>With elastic selection: how many of <see cref="Steps"/> were calibration steps.</summary>
    public int Calibration { get; init; }

    /// <summary>With elastic selection: the target share of a full step.</summary>
    public double ElasticRho { get; init; }

    /// <summary>Passes over the <see cref="TrainSamples"/> (each a training step per sample).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>With <see cref="DeviceRunOptions.CheckRestore"/>: what the save, reset and restore did.</summary>
    public RestoreCheck? Restore { get; init; }
}

/// <summary>
/// Boots the trainer firmware with a plan, measures top-1 on the test samples, trains on the training
/// samples one batch per request, measures again, and collects the device's own instruction counts and
/// memory high-water marks.
/// </summary>
public static class DeviceRun
{
    /// <summary>Runs the whole sequence; the emulator is stopped afterwards whatever happens.</summary>
    public static DeviceRunReport Execute(DeviceRunOptions o, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        progress ??= NullProgressSink.Instance;
        var clock = Stopwatch.StartNew();
        var plan = o.Plan;
        CheckPlan(plan, o.Board);
        if (o.Epochs < 1)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"epochs must be at least 1, got {o.Epochs}");
        }
        IDisposable connection;
        DeviceLink link;
        string commandLine;
        if (o.Port != null)
        {
            progress.Info($"opening {o.Port} (raw, 115200 baud)" + (o.Delivery == PlanDelivery.Flash ? "; the plan must already be flashed at the board's plan slot" : ""));
            var port = SerialPort.Open(o.Port);
            (connection, link, commandLine) = (port, port.Link, "serial " + o.Port);
        }
        else
        {
            var elf = ElfImage.Load(o.ElfPath);
            var slot = elf.Slot ?? throw new NanoTrainException(ErrorKind.BadInput, $"{o.ElfPath}: the image has no plan slot record; rebuild the trainer firmware");
            if (plan.Bytes.Length > slot.Bytes)
            {
                throw new NanoTrainException(ErrorKind.BadInput,
                    $"{plan.Path}: the plan is {plan.Bytes.Length:N0} B; {o.Board.Id}'s plan slot holds {slot.Bytes:N0} B (flash {o.Board.Flash.Size:N0} B less the firmware)");
            }
            Directory.CreateDirectory(o.StateDirectory);
            var flash = new List<FlashImage>();
            if (o.Delivery == PlanDelivery.Flash)
            {
                flash.Add(new FlashImage(plan.Path, slot.Address));
            }
            progress.Info($"booting {Path.GetFileName(o.ElfPath)} on {o.Board.Id} ({o.Board.Emulator.Program} -M {o.Board.Emulator.Machine}, -icount shift=0)"
                + (o.Delivery == PlanDelivery.Flash ? $", plan flashed at 0x{slot.Address:x8}" : ""));
            var session = QemuSession.Start(o.Board, o.ElfPath, o.StateDirectory, flash);
            (connection, link, commandLine) = (session, session.Link, session.CommandLine);
        }
        using var _ = connection;
        var client = new TrainerClient(link);
        var hello = client.Hello();
        if (hello.Board != o.Board.Id)
        {
            throw new NanoTrainException(ErrorKind.Device, $"the firmware says it is for board '{hello.Board}', not '{o.Board.Id}'");
        }
        if (hello.ProtocolVersion != 1 || hello.PlanFormatVersion != PlanFormat.Version)
        {
            throw new NanoTrainException(ErrorKind.Device,
                $"the firmware speaks protocol {hello.ProtocolVersion} and reads plan format {hello.PlanFormatVersion}; this tool speaks 1 and writes {PlanFormat.Version}: rebuild the firmware");
        }
        if (o.Delivery == PlanDelivery.Uart)
        {
            client.LoadPlan(plan.Bytes, progress);
            hello = client.Hello();
        }
        if (!hello.PlanRunning || hello.PlanCrc != plan.Crc)
        {
            string why = hello.BootPlanStatus != "ok" ? $"{hello.BootPlanStatus}: {hello.BootPlanDetail}" : "no plan in the plan slot";
            throw new NanoTrainException(ErrorKind.Device, $"{o.Board.Id} did not start {plan.Path}: {why}");
        }

        var pipeline = new ImagePipeline(plan.Resolution);
        var inferInstructions = new List<long>();
        var (before, _) = Evaluate(client, plan, pipeline, o.TestSet, progress, "top-1 before training", inferInstructions);

        if (o.Elastic is { } elastic)
        {
            var started = client.Elastic(elastic.Rho, elastic.Window, elastic.Calibration);
            progress.Info($"elastic selection: {started.Candidates} candidate tensors, {elastic.Calibration} calibration steps, then a step within {elastic.Rho:0.##} of a full one, chosen again every {elastic.Window} steps");
        }
        var losses = new List<float>();
        var steps = new List<StepInstructions>();
        int batches = o.TrainSet.Count / plan.Batch;
        var labels = new byte[plan.Batch];
        var orders = EpochOrders(o.TrainSet.Count, o.Seed, o.Epochs);
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            var order = orders[epoch];
            string task = o.Epochs == 1 ? "training on the device" : $"training on the device, epoch {epoch + 1}/{o.Epochs}";
            for (int b = 0; b < batches; b++)
            {
                var input = Render(plan, pipeline, o.TrainSet, order.Skip(b * plan.Batch).Take(plan.Batch).ToArray(), labels);
                var reply = client.Train(o.LearningRate, input, labels);
                losses.Add(reply.Loss);
                steps.Add(reply.Instructions);
                progress.Progress(task, b + 1, batches);
            }
        }
        var (after, predictions) = Evaluate(client, plan, pipeline, o.TestSet, progress, "top-1 after training", inferInstructions);
        var stats = client.Stats();
        var elasticState = o.Elastic != null ? client.ElasticStatus() : null;
        var elasticCosts = elasticState is { Calibrating: false } ? client.ElasticCosts() : null;
        RestoreCheck? restore = null;
        if (o.CheckRestore)
        {
            var (slot, sequence) = client.Save();
            progress.Info($"saved the trained weights to slot {slot} (sequence {sequence}); resetting the board");
            var again = client.Reset();
            var (afterReset, restored) = again.PlanRunning
                ? Evaluate(client, plan, pipeline, o.TestSet, progress, "top-1 after the reset", [])
                : (0, []);
            restore = new RestoreCheck(slot, sequence, again.RestoredSequence, again.PlanRunning, afterReset, restored.SequenceEqual(predictions));
        }

        var banks = stats.Banks.Select(b =>
        {
            var bank = o.Board.Bank(b.Name);
            return new BankReport(b.Name, bank?.Size ?? 0, b.Free, b.Planned, b.HighWater);
        }).ToList();
        return new DeviceRunReport(
            o.Board.Id, plan.Path, commandLine, hello, batches * plan.Batch, o.TestSet.Count / plan.Batch * plan.Batch, before, after,
            losses, steps, Median(o.Elastic != null && steps.Count > o.Elastic.Calibration ? steps.Skip(o.Elastic.Calibration).ToList() : steps),
            MedianOf(inferInstructions), banks, stats.StackBytes, stats.StackHighWater,
            hello.FlashUsed, plan.Bytes.Length, o.Board.Flash.Size, clock.Elapsed)
        {
            Elastic = elasticState, ElasticCosts = elasticCosts, Calibration = o.Elastic?.Calibration ?? 0, ElasticRho = o.Elastic?.Rho ?? 0,
            Restore = restore, Epochs = o.Epochs,
        };
    }

    /// <summary>
    /// The training order of each epoch: 0..count-1 shuffled again per epoch by one generator seeded with
    /// <paramref name="seed"/>. A host run given the same arguments trains the samples in the board's order.
    /// </summary>
    public static List<int>[] EpochOrders(int count, ulong seed, int epochs)
    {
        var shuffle = new SplitMix64(seed);
        var orders = new List<int>[epochs];
        for (int e = 0; e < epochs; e++)
        {
            orders[e] = Enumerable.Range(0, count).ToList();
            shuffle.Shuffle(orders[e]);
        }
        return orders;
    }

    /// <summary>The median total instructions of the steps from index <paramref name="first"/> on (0 when none).</summary>
    public static double MedianAfter(IReadOnlyList<StepInstructions> steps, int first)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var totals = steps.Skip(Math.Max(0, first)).Select(s => s.Total).Order().ToList();
        return totals.Count == 0 ? 0 : totals.Count % 2 == 1 ? totals[totals.Count / 2] : (totals[(totals.Count / 2) - 1] + totals[totals.Count / 2]) / 2.0;
    }

    /// <summary>Refuses a plan made for another board, or one without a training section, before anything boots.</summary>
    public static void CheckPlan(PlanFileInfo plan, BoardDescriptor board)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(board);
        if (plan.Board.Length > 0 && plan.Board != board.Id)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{plan.Path}: the plan is for board '{plan.Board}', not '{board.Id}'; make one with `nanotrain plan --board {board.Id}`");
        }
        if (!plan.Trainable)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{plan.Path}: the plan has no training section");
        }
    }

    /// <summary>The input tensor's bytes for the given samples (f32, the model's resolution); their labels into <paramref name="labels"/>.</summary>
    public static byte[] Render(PlanFileInfo plan, ImagePipeline pipeline, LabeledImages set, IReadOnlyList<int> samples, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(labels);
        int pixels = plan.Resolution * plan.Resolution;
        var floats = new float[plan.Batch * pixels];
        for (int i = 0; i < samples.Count; i++)
        {
            pipeline.Render(set.Image(samples[i]), floats.AsSpan(i * pixels, pixels));
            labels[i] = set.Labels[samples[i]];
        }
        var bytes = new byte[floats.Length * 4];
        Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Top-1 over the whole batches of <paramref name="set"/>, and every prediction in order.</summary>
    private static (double Accuracy, List<byte> Predictions) Evaluate(TrainerClient client, PlanFileInfo plan, ImagePipeline pipeline, LabeledImages set,
        IProgressSink progress, string task, List<long> instructions)
    {
        int batches = set.Count / plan.Batch;
        int correct = 0;
        var predictions = new List<byte>();
        var labels = new byte[plan.Batch];
        for (int b = 0; b < batches; b++)
        {
            var samples = Enumerable.Range(b * plan.Batch, plan.Batch).ToArray();
            var reply = client.Infer(Render(plan, pipeline, set, samples, labels), plan.Batch);
            instructions.Add(reply.ForwardInstructions);
            predictions.AddRange(reply.Predictions.Take(plan.Batch));
            for (int i = 0; i < plan.Batch; i++)
            {
                correct += reply.Predictions[i] == labels[i] ? 1 : 0;
            }
            progress.Progress(task, b + 1, batches);
        }
        return (batches == 0 ? 0 : (double)correct / (batches * plan.Batch), predictions);
    }

    private static long MedianOf(List<long> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>Median of each phase separately.</summary>
    public static StepInstructions Median(IReadOnlyList<StepInstructions> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        long M(Func<StepInstructions, long> f) => MedianOf([.. steps.Select(f)]);
        return new StepInstructions(M(s => s.Forward), M(s => s.Loss), M(s => s.BackwardDx), M(s => s.BackwardDw), M(s => s.Update));
    }
}
