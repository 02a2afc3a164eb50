using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain zoo</c>: the catalog of zoo models (parameters, MACs, activation sizes, checkpoints).</summary>
public static class ZooCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("zoo", "the model zoo: parameters, MACs, activation sizes and pretrained checkpoints (models/zoo)");
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var entries = new JsonArray();
            var table = new Table().AddColumns("model", "resolution", "parameters", "forward MACs", "largest activation", "all activations", "checkpoint", "fashion-mnist top-1");
            foreach (string file in Directory.GetFiles(Path.Combine(paths.Models, "zoo"), "*.json").Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file) == "catalog.json")
                {
                    continue;
                }
                var zoo = ZooModel.Load(file);
                var graph = zoo.Build();
                var (largest, total) = graph.ActivationElements;
                string ckPath = ModelOptions.DefaultCheckpoint(paths, zoo);
                double? top1 = null;
                string? sha = null;
                if (File.Exists(ckPath))
                {
                    var ck = Checkpoint.Load(ckPath);
                    top1 = ck.Metadata["testTop1"]?.GetValue<double>();
                    sha = NanoTrain.Core.Data.DatasetCache.Sha256Of(ckPath);
                }
                table.AddRow(zoo.Name, $"{graph.Input.H}x{graph.Input.W}x{graph.Input.C}", N(graph.ParameterCount), N(graph.ForwardMacs),
                    $"{N(largest)} floats", $"{N(total)} floats", File.Exists(ckPath) ? Path.GetRelativePath(paths.Root, ckPath) : "(none)",
                    top1 is double t ? t.ToString("P2", CultureInfo.InvariantCulture) : "-");
                entries.Add(new JsonObject
                {
                    ["name"] = zoo.Name,
                    ["resolution"] = graph.Input.H,
                    ["parameters"] = graph.ParameterCount,
                    ["forwardMacs"] = graph.ForwardMacs,
                    ["largestActivation"] = largest,
                    ["totalActivations"] = total,
                    ["layers"] = graph.Layers.Count,
                    ["architectureSha256"] = graph.ArchitectureSha256(),
                    ["checkpoint"] = sha == null ? null : new JsonObject
                    {
                        ["path"] = Path.GetRelativePath(paths.Root, ckPath),
                        ["sha256"] = sha,
                        ["fashionMnistTestTop1"] = top1,
                    },
                });
            }
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.Write(table);
            }
            JsonOutput.Emit(target, new JsonObject { ["models"] = entries });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
