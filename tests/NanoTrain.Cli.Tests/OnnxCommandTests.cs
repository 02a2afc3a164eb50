using System.Text.Json;
using Google.Protobuf;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx;
using NanoTrain.Core.Tests.Onnx;

namespace NanoTrain.Cli.Tests;

public sealed class OnnxCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nt-onnx-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Json(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.StandardError);
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    [Fact]
    public void ExportWritesAnOnnxFileThatImportReadsBackToTheSameCheckpoint()
    {
        string onnx = Path.Combine(_dir, "mcunet.onnx");
        var exported = Json(CliProcess.Run("export", "--onnx", onnx, "--model", "mcunet-tiny", "--json"));
        Assert.True(exported.GetProperty("check").GetProperty("matches").GetBoolean());
        Assert.Equal(new FileInfo(onnx).Length, exported.GetProperty("bytes").GetInt64());

        string model = Path.Combine(_dir, "back", "mcunet-back.json");
        var imported = Json(CliProcess.Run("import", onnx, "--out", model, "--json"));
        Assert.Equal("mcunet", imported.GetProperty("model").GetString());
        Assert.Equal(0, imported.GetProperty("notes").GetArrayLength());
        Assert.Equal(1.0, imported.GetProperty("check").GetProperty("sameTop1").GetDouble() / imported.GetProperty("check").GetProperty("samples").GetDouble());

        var paths = RepoPaths.Locate();
        var original = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", "mcunet-tiny.ntck"));
        var back = Checkpoint.Load(Path.ChangeExtension(model, ".ntck"));
        Assert.Equal(original.Weights.Keys.Order(), back.Weights.Keys.Order());
        foreach (var (name, values) in original.Weights)
        {
            Assert.True(values.AsSpan().SequenceEqual(back.Weights[name]), name);
        }
        Assert.Equal(ZooModel.FromZoo(paths, "mcunet-tiny").Blocks, ZooModel.Load(model).Blocks);
    }

    [Fact]
    public void APyTorchShapedImportQuantizesPlansAndTrainsOnTheBoardLikeTheZooModel()
    {
        // The pretrained mbv2-w0.35 as PyTorch's eval-mode export writes it: batch norms folded into conv biases.
        var paths = RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, "mbv2-w0.35").Build();
        var ck = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", "mbv2-w0.35.ntck"));
        var torch = OnnxExporter.Export(graph, ck.Weights, "test");
        OnnxBuilder.FoldBatchNorms(torch);
        Assert.DoesNotContain(torch.Graph.Node, n => n.OpType == "BatchNormalization");
        string onnx = Path.Combine(_dir, "mbv2-torch.onnx");
        File.WriteAllBytes(onnx, torch.ToByteArray());

        string model = Path.Combine(_dir, "mbv2-torch.json");
        var imported = Json(CliProcess.Run("import", onnx, "--out", model, "--json"));
        Assert.Equal(17, imported.GetProperty("opset").GetInt32());
        Assert.Equal(17, imported.GetProperty("blocks").GetInt32());
        Assert.True(imported.GetProperty("check").GetProperty("matches").GetBoolean());

        var ours = Json(CliProcess.Run("quantize", "--model", model, "--limit", "500", "--out", Path.Combine(_dir, "m.ntq"), "--json"));
        var zoo = Json(CliProcess.Run("quantize", "--model", "mbv2-w0.35", "--limit", "500", "--out", Path.Combine(_dir, "z.ntq"), "--json"));
        // Folding moves float rounding only: the same images right within a few of 500.
        Assert.InRange(ours.GetProperty("fp32Top1").GetDouble() - zoo.GetProperty("fp32Top1").GetDouble(), -0.006, 0.006);
        Assert.InRange(ours.GetProperty("int8Top1").GetDouble() - zoo.GetProperty("int8Top1").GetDouble(), -0.01, 0.01);
        Assert.Equal(zoo.GetProperty("int8WeightBytes").GetInt64(), ours.GetProperty("int8WeightBytes").GetInt64());

        string plan = Path.Combine(_dir, "p.ntplan");
        var planned = CliProcess.Run("plan", "--model", model, "--board", "stm32f746", "--method", "last-layer", "--out", plan);
        Assert.True(planned.ExitCode == 0, planned.StandardError);
        var run = Json(CliProcess.Run("run", "--board", "stm32f746", "--plan", plan, "--train", "6", "--test", "4", "--load", "uart", "--json"));
        Assert.Equal(6, run.GetProperty("losses").GetArrayLength());
        Assert.All(run.GetProperty("losses").EnumerateArray(), l => Assert.True(double.IsFinite(l.GetDouble())));
        Assert.True(run.GetProperty("instructionsPerStepMedian").GetProperty("backwardDw").GetInt64() > 0);
    }

    [Fact]
    public void ImportChecksItsOutputsBeforeReadingAndWritesNothingOnARefusal()
    {
        var b = OnnxBuilder.TorchShaped();
        b.Graph.Node.First(n => n.OpType == "Clip").OpType = "Relu";
        string onnx = Path.Combine(_dir, "relu.onnx");
        File.WriteAllBytes(onnx, b.Bytes());
        var refused = CliProcess.Run("import", onnx, "--out", Path.Combine(_dir, "r.json"));
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains("--relu-as-relu6", refused.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "r.json")));

        var badOut = CliProcess.Run("import", onnx, "--out", Path.Combine(_dir, "r.txt"));
        Assert.Equal(64, badOut.ExitCode);
        Assert.Contains("must end in .json", badOut.StandardError, StringComparison.Ordinal);

        var approximated = Json(CliProcess.Run("import", onnx, "--out", Path.Combine(_dir, "r.json"), "--relu-as-relu6", "--json"));
        Assert.True(File.Exists(Path.Combine(_dir, "r.ntck")));
        Assert.Equal(8, approximated.GetProperty("check").GetProperty("samples").GetInt32());
    }
}
