using System.CommandLine;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx;
using NanoTrain.Native.Onnx;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary>
/// <c>nanotrain import</c>: an ONNX model of MobileNetV2/MCUNet shape into the zoo format (model JSON + checkpoint),
/// checked against the ONNX graph itself on random inputs before anything is written.
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("model.onnx") { Description = $"ONNX file (opset {OnnxFile.MinOpset}..{OnnxFile.MaxOpset}, weights inside the file)" };
        var output = new Option<string?>("--out", "-o") { Description = "model file to write, FILE.json; the checkpoint goes beside it as FILE.ntck (default: models/imported/NAME.json)" };
        var name = new Option<string?>("--name") { Description = "model name (default: the ONNX file's name)" };
        var reluAsRelu6 = new Option<bool>("--relu-as-relu6") { Description = "read a plain Relu as ReLU6, the engine's activation (outputs change where an activation exceeds 6; the check reports by how much)" };
        var check = new Option<int>("--check") { Description = "random inputs on which the imported model is compared with the ONNX graph (0: skip)", DefaultValueFactory = _ => 8 };
        var json = CommonOptions.Json();
        var command = new Command("import", "bring a model from ONNX into the zoo format (model JSON + checkpoint), checked against the ONNX graph");
        command.Arguments.Add(file);
        foreach (var o in new Option[] { output, name, reluAsRelu6, check, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            string path = pr.GetValue(file)!;
            int samples = OnnxCommands.Samples(pr.GetValue(check));
            string? chosenName = pr.GetValue(name);
            if (chosenName != null && (chosenName.Length == 0 || chosenName.IndexOfAny(['/', '\\', ' ']) >= 0))
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--name '{chosenName}' must be a plain name (no folders or spaces)");
            }
            string modelName = chosenName ?? OnnxImporter.ModelNameFrom(path);
            string jsonPath = pr.GetValue(output) ?? Path.Combine(paths.Models, "imported", modelName + ".json");
            if (!jsonPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--out {jsonPath}: the model file's name must end in .json (its checkpoint goes beside it as .ntck)");
            }
            string ckPath = Path.ChangeExtension(jsonPath, ".ntck");
            AtomicFile.CheckTarget(jsonPath);
            AtomicFile.CheckTarget(ckPath);
            AtomicFile.CheckTarget(pr.GetValue(json));

            var progress = new ConsoleProgress();
            byte[] bytes = OnnxFile.Read(path);
            var onnx = OnnxFile.Parse(path, bytes);
            var imported = OnnxImporter.Import(onnx, path, new OnnxImportOptions { Name = modelName, ReluAsRelu6 = pr.GetValue(reluAsRelu6) });
            var zoo = imported.Model with { SourcePath = jsonPath };
            var graph = zoo.Build();
            OnnxComparison? compared = null;
            if (samples > 0)
            {
                progress.Info($"checking the import on {samples} random inputs against the ONNX graph");
                compared = OnnxCheck.Compare(onnx, path, imported.InputIsNhwc, imported.LogitsTensor, graph, imported.Weights, samples, seed: 1);
                if (!compared.Matches && !pr.GetValue(reluAsRelu6))
                {
                    throw new NanoTrainException(ErrorKind.BadInput,
                        $"{path}: the imported model's outputs differ from the ONNX graph's by up to {compared.MaxDifference:G4} (outputs up to {compared.MaxMagnitude:G4}); nothing written");
                }
            }
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var notes = new JsonArray([.. imported.Notes.Select(n => (JsonNode)n)]);
            var metadata = new JsonObject
            {
                ["source"] = Path.GetFileName(path),
                ["sourceSha256"] = sha,
                ["opset"] = imported.Opset,
                ["producer"] = imported.Producer,
                ["notes"] = notes,
                ["command"] = $"nanotrain import {Path.GetFileName(path)} --name {modelName}" + (pr.GetValue(reluAsRelu6) ? " --relu-as-relu6" : ""),
            };
            AtomicFile.WriteAllText(jsonPath, zoo.ToJson());
            Checkpoint.For(graph, imported.Weights, metadata).Save(ckPath);

            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.MarkupLineInterpolated($"{path}: {imported.Nodes} nodes, opset {imported.Opset}{(imported.Producer.Length > 0 ? $", from {imported.Producer}" : "")}");
                AnsiConsole.MarkupLineInterpolated($"  {graph.Name}: {graph.Input.C}x{graph.Input.H}x{graph.Input.W} input, stem {zoo.StemOut}, {zoo.Blocks.Count} blocks{(zoo.HeadOut is int h ? $", head {h}" : "")}, {zoo.Classes} classes; {graph.ParameterCount:N0} parameters, {graph.ForwardMacs:N0} MACs per forward");
                foreach (string note in imported.Notes)
                {
                    AnsiConsole.MarkupLineInterpolated($"  [yellow]note[/] {note}");
                }
                if (compared != null)
                {
                    string verdict = compared.Matches ? "[green]match[/]" : "[yellow]differs[/]";
                    AnsiConsole.MarkupLine(Markup.Escape($"  check on {compared.Samples} random inputs: max |engine − ONNX| {compared.MaxDifference:G3} (outputs up to {compared.MaxMagnitude:G3}), same top-1 on {compared.SameTop1}/{compared.Samples} ") + verdict);
                }
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {jsonPath} and {ckPath}; use --model {jsonPath}");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["source"] = path,
                ["sourceSha256"] = sha,
                ["opset"] = imported.Opset,
                ["producer"] = imported.Producer,
                ["nodes"] = imported.Nodes,
                ["inputLayout"] = imported.InputIsNhwc ? "NHWC" : "NCHW",
                ["model"] = graph.Name,
                ["modelFile"] = jsonPath,
                ["checkpoint"] = ckPath,
                ["blocks"] = zoo.Blocks.Count,
                ["parameters"] = graph.ParameterCount,
                ["forwardMacs"] = graph.ForwardMacs,
                ["notes"] = notes.DeepClone(),
                ["check"] = OnnxCommands.CheckJson(compared),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary><c>nanotrain export --onnx FILE</c>: a zoo model and checkpoint as an ONNX file, checked after writing.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var onnx = new Option<string>("--onnx") { Description = $"ONNX file to write (opset {OnnxFile.ExportOpset}, NCHW input)", Required = true };
        var model = ModelOptions.Model();
        var resolution = ModelOptions.Resolution();
        var checkpoint = ModelOptions.Checkpoint();
        var check = new Option<int>("--check") { Description = "random inputs on which the written file is compared with the engine (0: skip)", DefaultValueFactory = _ => 4 };
        var json = CommonOptions.Json();
        var command = new Command("export", "write a zoo model and its checkpoint as ONNX (export --onnx FILE)");
        foreach (var o in new Option[] { onnx, model, resolution, checkpoint, check, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            string path = pr.GetValue(onnx)!;
            int samples = OnnxCommands.Samples(pr.GetValue(check));
            AtomicFile.CheckTarget(path);
            AtomicFile.CheckTarget(pr.GetValue(json));
            var zoo = ZooModel.FromZoo(paths, pr.GetValue(model)!);
            var graph = zoo.Build(pr.GetValue(resolution));
            string ckPath = pr.GetValue(checkpoint) ?? ModelOptions.DefaultCheckpoint(paths, zoo);
            var ck = ModelOptions.LoadCheckpointFor(graph, ckPath);
            string version = typeof(ExportCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
            OnnxFile.Save(path, OnnxExporter.Export(graph, ck.Weights, version));
            OnnxComparison? compared = null;
            if (samples > 0)
            {
                var written = OnnxFile.Load(path);
                compared = OnnxCheck.Compare(written, path, inputIsNhwc: false, graph.Output.Name, graph, ck.Weights, samples, seed: 1);
                if (!compared.Matches)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{path}: the written graph's outputs differ from the engine's by up to {compared.MaxDifference:G4}");
                }
            }
            long bytes = new FileInfo(path).Length;
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {path}: {graph.Name} at {graph.Input.H}x{graph.Input.W} from {ckPath}, opset {OnnxFile.ExportOpset}, input '{graph.InputName}' [[1, {graph.Input.C}, {graph.Input.H}, {graph.Input.W}]] NCHW, output '{graph.Output.Name}', {bytes:N0} bytes");
                if (compared != null)
                {
                    AnsiConsole.MarkupLine(Markup.Escape($"  check on {compared.Samples} random inputs: max |ONNX − engine| {compared.MaxDifference:G3} (outputs up to {compared.MaxMagnitude:G3}) ") + "[green]match[/]");
                }
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["onnx"] = path,
                ["bytes"] = bytes,
                ["model"] = graph.Name,
                ["resolution"] = graph.Input.H,
                ["checkpoint"] = ckPath,
                ["opset"] = OnnxFile.ExportOpset,
                ["check"] = OnnxCommands.CheckJson(compared),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>What import and export share: the --check range and the JSON of a comparison.</summary>
internal static class OnnxCommands
{
    /// <summary>The --check value, 0..64 random inputs.</summary>
    public static int Samples(int value) =>
        value is >= 0 and <= 64 ? value : throw new NanoTrainException(ErrorKind.Usage, $"--check must be 0..64, got {value}");

    public static JsonNode? CheckJson(OnnxComparison? c) => c == null ? null : new JsonObject
    {
        ["samples"] = c.Samples,
        ["maxDifference"] = c.MaxDifference,
        ["maxMagnitude"] = c.MaxMagnitude,
        ["sameTop1"] = c.SameTop1,
        ["matches"] = c.Matches,
    };
}
