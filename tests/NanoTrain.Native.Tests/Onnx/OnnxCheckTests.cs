using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx;
using NanoTrain.Core.Onnx.Proto;
using NanoTrain.Core.Tests.Onnx;
using NanoTrain.Native.Onnx;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Tests.Onnx;

/// <summary>Imported models on the engine against their ONNX graphs run as written (NCHW, ONNX semantics).</summary>
public class OnnxCheckTests
{
    private static (OnnxImport Imported, OnnxComparison Compared) ImportAndCompare(ModelProto model, bool reluAsRelu6 = false)
    {
        var imported = OnnxImporter.Import(model, "m.onnx", new OnnxImportOptions { Name = "m", ReluAsRelu6 = reluAsRelu6 });
        var compared = OnnxCheck.Compare(model, "m.onnx", imported.InputIsNhwc, imported.LogitsTensor, imported.Model.Build(), imported.Weights, 6, seed: 3);
        return (imported, compared);
    }

    [Theory]
    [InlineData("pytorch")]
    [InlineData("tensorflow")]
    public void HandBuiltExporterShapedGraphsRunOnTheEngineAsTheyRunInOnnx(string shape)
    {
        var b = shape == "pytorch" ? OnnxBuilder.TorchShaped() : OnnxBuilder.TensorflowShaped();
        var (_, compared) = ImportAndCompare(b.Model);
        Assert.True(compared.MaxMagnitude > 0.5, $"outputs up to {compared.MaxMagnitude}: the graph computes something");
        Assert.True(compared.Matches, $"max difference {compared.MaxDifference} for outputs up to {compared.MaxMagnitude}");
        Assert.Equal(compared.Samples, compared.SameTop1);
    }

    [Fact]
    public void AComparisonSeesAWeightTheImportGotWrong()
    {
        var b = OnnxBuilder.TorchShaped();
        var imported = OnnxImporter.Import(b.Model, "m.onnx", new OnnxImportOptions());
        var weights = imported.Weights.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
        // Block 3's 5x5 depthwise kernels read with kh and kw swapped: what a wrong OIHW → HWIO order would do.
        var dw = weights["b3.dw.conv.w"];
        var transposed = (float[])dw.Clone();
        for (int kh = 0; kh < 5; kh++)
        {
            for (int kw = 0; kw < 5; kw++)
            {
                for (int c = 0; c < 36; c++)
                {
                    transposed[(((kh * 5) + kw) * 36) + c] = dw[(((kw * 5) + kh) * 36) + c];
                }
            }
        }
        weights["b3.dw.conv.w"] = transposed;
        var compared = OnnxCheck.Compare(b.Model, "m.onnx", false, imported.LogitsTensor, imported.Model.Build(), weights, 4, seed: 3);
        Assert.False(compared.Matches, $"max difference {compared.MaxDifference}");
    }

    [Fact]
    public void ReluReadAsRelu6ChangesOnlyWhatExceedsSix()
    {
        var b = OnnxBuilder.TorchShaped();
        foreach (var clip in b.Graph.Node.Where(n => n.OpType == "Clip"))
        {
            clip.OpType = "Relu";
            clip.Input.RemoveAt(2);
            clip.Input.RemoveAt(1);
        }
        var stem = b.Graph.Initializer.Single(t => t.Name == "/stem/Conv.weight");
        var weights = OnnxFile.Floats(stem, "w");
        OnnxComparison WithStemScaledBy(float k)
        {
            b.Graph.Initializer.Remove(b.Graph.Initializer.Single(t => t.Name == stem.Name));
            b.Graph.Initializer.Add(OnnxExporter.Tensor(stem.Name, [.. stem.Dims], weights.Select(v => v * k).ToArray()));
            return ImportAndCompare(b.Model, reluAsRelu6: true).Compared;
        }
        // Small activations never reach 6: ReLU and ReLU6 agree.
        var small = WithStemScaledBy(0.05f);
        Assert.True(small.Matches, $"max difference {small.MaxDifference}");
        // Large ones do, and the comparison reports the change.
        var large = WithStemScaledBy(40f);
        Assert.False(large.Matches, $"max difference {large.MaxDifference}");
    }

    [Theory]
    [InlineData("mbv2-w0.35")]
    [InlineData("mcunet-tiny")]
    public void ExportThenImportGivesIdenticalOutputsOnTheEngine(string name)
    {
        var paths = RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, name).Build();
        var ck = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", name + ".ntck"));
        var exported = ModelProto.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(OnnxExporter.Export(graph, ck.Weights, "test")));
        var (imported, compared) = ImportAndCompare(exported);
        Assert.True(compared.Matches, $"the exported graph in ONNX semantics vs the engine: {compared.MaxDifference}");

        var rng = new SplitMix64(11);
        const int samples = 8;
        var inputs = new float[samples * graph.Input.Elements];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (rng.NextBelow(2001) / 1000f) - 1f;
        }
        using var original = new HostTrainer(graph, ck.Weights, samples, 1);
        using var roundTrip = new HostTrainer(imported.Model.Build(), imported.Weights, samples, 1);
        var before = original.Logits(inputs, samples);
        var after = roundTrip.Logits(inputs, samples);
        Assert.True(before.AsSpan().SequenceEqual(after), "the round trip changes the logits");
        Assert.Contains(before, v => v != 0f);
    }
}
