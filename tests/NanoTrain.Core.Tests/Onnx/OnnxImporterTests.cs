using Google.Protobuf;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx;
using NanoTrain.Core.Onnx.Proto;

namespace NanoTrain.Core.Tests.Onnx;

public sealed class OnnxImporterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nt-onnx").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static OnnxImport Import(ModelProto model, bool reluAsRelu6 = false) =>
        OnnxImporter.Import(model, "m.onnx", new OnnxImportOptions { Name = "m", ReluAsRelu6 = reluAsRelu6 });

    private static string ImportError(ModelProto model) =>
        Assert.Throws<NanoTrainException>(() => Import(model)).Message;

    private static NodeProto NodeNamed(ModelProto model, string name) => model.Graph.Node.Single(n => n.Name == name);

    [Fact]
    public void APyTorchShapedGraphBecomesTheZooModelItDescribes()
    {
        var b = OnnxBuilder.TorchShaped();
        var imported = Import(b.Model);
        var zoo = imported.Model;
        Assert.Equal((1, 16, 5), (zoo.InputChannels, zoo.DefaultResolution, zoo.Classes));
        Assert.Equal((8, 3, 2, 24), (zoo.StemOut, zoo.StemKernel, zoo.StemStride, zoo.HeadOut));
        Assert.Equal(OnnxBuilder.SmallBlocks.Select(s => new BlockSpec(s.Expand, s.Out, s.Kernel, s.Stride)), zoo.Blocks);
        Assert.False(imported.InputIsNhwc);
        Assert.Equal(17, imported.Opset);
        Assert.Equal("/classifier/Gemm_output_0", imported.LogitsTensor);
        // The graph the zoo model builds takes exactly these weights.
        var graph = zoo.Build();
        Checkpoint.For(graph, imported.Weights).RequireArchitecture(graph, "m.ntck");

        // Conv weight OIHW → HWIO: element (o=5, i=2, kh=0, kw=0) of block 2's expand conv ([32, 8, 1, 1]).
        var w = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "/features.2/expand/Conv.weight"), "w");
        Assert.Equal(w[(5 * 8) + 2], imported.Weights["b2.expand.conv.w"][(2 * 32) + 5]);
        // Depthwise [32, 1, 3, 3]: element (o=7, kh=2, kw=1) → HWIO [3, 3, 1, 32].
        var dw = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "/features.2/dw/Conv.weight"), "w");
        Assert.Equal(dw[(7 * 9) + (2 * 3) + 1], imported.Weights["b2.dw.conv.w"][(((2 * 3) + 1) * 32) + 7]);
        // A conv bias without a batch norm becomes an identity norm: β = bias, μ = 0, γ/√(σ²+ε) = 1.
        var bias = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "/stem/Conv.bias"), "b");
        Assert.Equal(bias, imported.Weights["stem.bn.beta"]);
        Assert.All(imported.Weights["stem.bn.mean"], m => Assert.Equal(0f, m));
        Assert.Equal(1f, imported.Weights["stem.bn.gamma"][0] / MathF.Sqrt(imported.Weights["stem.bn.var"][0] + ZooModel.BatchNormEps));
        // Gemm with transB: [out=5, in=24] → [in, out].
        var fc = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "classifier.weight"), "fc");
        Assert.Equal(fc[(3 * 24) + 17], imported.Weights["fc.w"][(17 * 5) + 3]);
    }

    [Fact]
    public void ATensorflowShapedGraphIsReadWithItsNhwcInputAndItsSoftmaxDropped()
    {
        var b = OnnxBuilder.TensorflowShaped();
        var imported = Import(b.Model);
        Assert.True(imported.InputIsNhwc);
        Assert.Equal("model/dense/BiasAdd_output_0", imported.LogitsTensor);
        Assert.Contains(imported.Notes, n => n.Contains("NHWC", StringComparison.Ordinal));
        Assert.Contains(imported.Notes, n => n.Contains("node 'model/dense/Softmax' (Softmax) after the classifier is dropped", StringComparison.Ordinal));
        Assert.Equal(3, imported.Model.Blocks.Count);
        // ε 1e-3 is carried into the variance so that σ² + ε stays the same with the engine's 1e-5.
        var variance = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "model/stem/bn.var"), "v");
        Assert.Equal(variance[0] + 1e-3f - ZooModel.BatchNormEps, imported.Weights["stem.bn.var"][0]);
        // MatMul's weight is already [in, out].
        var kernel = OnnxFile.Floats(b.Graph.Initializer.Single(t => t.Name == "model/dense/kernel"), "k");
        Assert.Equal(kernel, imported.Weights["fc.w"]);
    }

    [Fact]
    public void Relu6IsReadAsClipWithAttributesBeforeOpset11AndWithInputsFrom11()
    {
        // The same PyTorch graph written for opset 10: Clip's bounds are attributes, not inputs.
        var b = OnnxBuilder.TorchShaped();
        b.Model.OpsetImport[0].Version = 10;
        foreach (var clip in b.Graph.Node.Where(n => n.OpType == "Clip"))
        {
            clip.Input.RemoveAt(2);
            clip.Input.RemoveAt(1);
            clip.Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = 0f });
            clip.Attribute.Add(new AttributeProto { Name = "max", Type = AttributeProto.Types.AttributeType.Float, F = 6f });
        }
        var fromAttributes = Import(b.Model);
        var fromInputs = Import(OnnxBuilder.TorchShaped().Model);
        Assert.Equal(fromInputs.Model.Blocks, fromAttributes.Model.Blocks);
        Assert.Equal(fromInputs.Weights["b3.dw.conv.w"], fromAttributes.Weights["b3.dw.conv.w"]);
    }

    [Fact]
    public void WhatTheEngineCannotRunIsRefusedNamingTheNodeTheOpAndTheReason()
    {
        var unknown = OnnxBuilder.TorchShaped();
        NodeNamed(unknown.Model, "/features.2/dw/Clip").OpType = "LeakyRelu";
        Assert.StartsWith("m.onnx: node '/features.2/dw/Clip' (LeakyRelu): op LeakyRelu is not supported; supported ops: Conv, ", ImportError(unknown.Model), StringComparison.Ordinal);

        var relu = OnnxBuilder.TorchShaped();
        var clip = NodeNamed(relu.Model, "/stem/Clip");
        clip.OpType = "Relu";
        clip.Input.RemoveAt(2);
        clip.Input.RemoveAt(1);
        Assert.StartsWith("m.onnx: node '/stem/Clip' (Relu): a plain ReLU is not supported", ImportError(relu.Model), StringComparison.Ordinal);
        Assert.Equal(3, Import(relu.Model, reluAsRelu6: true).Model.Blocks.Count);

        var asymmetric = OnnxBuilder.TorchShaped();
        var pads = NodeNamed(asymmetric.Model, "/features.2/dw/Conv").Attribute.Single(a => a.Name == "pads");
        pads.Ints.Clear();
        pads.Ints.Add([0, 0, 1, 1]);
        Assert.Contains("m.onnx: node '/features.2/dw/Conv' (Conv): pads [0, 0, 1, 1] (top, left, bottom, right) are not supported: the engine pads k/2 = 1 on every side (asymmetric pads come from TensorFlow's 'SAME'",
            ImportError(asymmetric.Model), StringComparison.Ordinal);

        var dilated = OnnxBuilder.TorchShaped();
        var dilations = NodeNamed(dilated.Model, "/stem/Conv").Attribute.Single(a => a.Name == "dilations");
        dilations.Ints[0] = 2;
        Assert.StartsWith("m.onnx: node '/stem/Conv' (Conv): dilations [2, 1] are not supported", ImportError(dilated.Model), StringComparison.Ordinal);

        var clip5 = OnnxBuilder.TorchShaped();
        var bound = clip5.Graph.Node.Single(n => n.OpType == "Constant" && n.Output[0] == NodeNamed(clip5.Model, "/head/Clip").Input[2]);
        bound.Attribute[0].T.FloatData[0] = 5f;
        Assert.StartsWith("m.onnx: node '/head/Clip' (Clip): Clip(0, 5) is not supported; Clip(0, 6) is ReLU6", ImportError(clip5.Model), StringComparison.Ordinal);

        var noResidual = OnnxBuilder.TorchShaped();
        var add = NodeNamed(noResidual.Model, "/features.3/Add");
        foreach (var n in noResidual.Graph.Node.Where(n => n.Input.Contains(add.Output[0])))
        {
            n.Input[n.Input.IndexOf(add.Output[0])] = add.Input[0];
        }
        noResidual.Graph.Node.Remove(add);
        Assert.StartsWith("m.onnx: node '/features.3/project/Conv' (Conv): b3 keeps stride 1 and 12 channels but has no residual Add", ImportError(noResidual.Model), StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingInitializerOrATensorOfTheWrongSizeIsNamedWithItsNode()
    {
        var missing = OnnxBuilder.TorchShaped();
        missing.Graph.Initializer.Remove(missing.Graph.Initializer.Single(t => t.Name == "/features.1/dw/Conv.weight"));
        Assert.Equal("m.onnx: node '/features.1/dw/Conv' (Conv): the weight '/features.1/dw/Conv.weight' is not an initializer or Constant (a computed weight is not supported)", ImportError(missing.Model));

        var shortRaw = OnnxBuilder.TorchShaped();
        var bias = shortRaw.Graph.Initializer.Single(t => t.Name == "/features.2/project/Conv.bias");
        bias.RawData = ByteString.CopyFrom(bias.RawData.Span[..40]);
        Assert.Equal("m.onnx: node '/features.2/project/Conv' (Conv): bias '/features.2/project/Conv.bias': raw_data holds 40 bytes, its dims [12] need 48 (12 × 4)", ImportError(shortRaw.Model));

        var wrongDims = OnnxBuilder.TorchShaped();
        var w = wrongDims.Graph.Initializer.Single(t => t.Name == "/features.3/expand/Conv.weight");
        w.Dims[1] = 10;
        Assert.Equal("m.onnx: node '/features.3/expand/Conv' (Conv): weight '/features.3/expand/Conv.weight' dims [36, 10, 1, 1] do not match an input of 12 channels in 1 group(s)", ImportError(wrongDims.Model));

        var gemm = OnnxBuilder.TorchShaped();
        gemm.Graph.Initializer.Single(t => t.Name == "classifier.weight").Dims[1] = 23;
        Assert.StartsWith("m.onnx: node '/classifier/Gemm' (Gemm): weight 'classifier.weight' has dims [5, 23]; [out, 24] is needed", ImportError(gemm.Model), StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedFileIsNamedByTheGraphElementItEndsIn()
    {
        byte[] bytes = OnnxBuilder.TorchShaped().Bytes();
        string path = Path.Combine(_dir, "t.onnx");
        // Nodes come first in the graph, initializers after: cut inside the head conv's weight (the 3rd-last initializer).
        var model = ModelProto.Parser.ParseFrom(bytes);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 400)]);
        var ex = Assert.Throws<NanoTrainException>(() => OnnxFile.Load(path));
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.Matches($@"^{Regex(path)}: not a valid ONNX protobuf: the file ends inside the graph's initializer '[^']+' \(#\d+\): [\d,]+ of its [\d,]+ bytes are there \([\d,]+ bytes; is it truncated\?\)$", ex.Message);
        Assert.Contains(model.Graph.Initializer, t => ex.Message.Contains($"'{t.Name}'", StringComparison.Ordinal));

        // Cut inside the node list: the node is named when its name came before the cut.
        int nodesEnd = model.Graph.Node.Take(5).Sum(n => n.CalculateSize() + 2);
        File.WriteAllBytes(path, bytes[..nodesEnd]);
        Assert.Contains("the file ends inside the graph's node", Assert.Throws<NanoTrainException>(() => OnnxFile.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllText(path, "not onnx at all");
        Assert.Contains("is not a protobuf field; is this an ONNX file?", Assert.Throws<NanoTrainException>(() => OnnxFile.Load(path)).Message, StringComparison.Ordinal);
        Assert.Equal(ErrorKind.MissingInput, Assert.Throws<NanoTrainException>(() => OnnxFile.Load(Path.Combine(_dir, "none.onnx"))).Kind);
    }

    [Fact]
    public void TheGraphAsAWholeIsChecked()
    {
        var opset = OnnxBuilder.TorchShaped();
        opset.Model.OpsetImport[0].Version = 7;
        Assert.Equal("m.onnx: opset 7 is outside the supported 9..22; convert the model (onnx.version_converter) to one of those", ImportError(opset.Model));

        var twoInputs = OnnxBuilder.TorchShaped();
        twoInputs.Input("mask", 1, 1, 16, 16);
        Assert.StartsWith("m.onnx: the graph has 2 data inputs ('input', 'mask')", ImportError(twoInputs.Model), StringComparison.Ordinal);

        var notSquare = OnnxBuilder.TorchShaped();
        notSquare.Graph.Input[0].Type.TensorType.Shape.Dim[3].DimValue = 12;
        Assert.Equal("m.onnx: input 'input' is 16x12; the engine's inputs are square", ImportError(notSquare.Model));

        var int8Input = OnnxBuilder.TorchShaped();
        int8Input.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Uint8;
        Assert.StartsWith("m.onnx: input 'input' is UINT8; FLOAT images are read", ImportError(int8Input.Model), StringComparison.Ordinal);

        // A graph of the right shape whose numbers the zoo format does not take: expansion 20 (the zoo's is 1..16).
        var wide = new OnnxBuilder(13);
        string min = wide.Init("min", [], [0f]);
        string max = wide.Init("max", [], [6f]);
        string Unit(string name, string x, int cin, int cout, int k, int s, int g, bool relu)
        {
            string y = wide.Conv(name, x, cin, cout, k, s, g, bias: true);
            return relu ? wide.Node("Clip", name + "/relu6", [y, min, max]) : y;
        }
        string h = Unit("stem", wide.Input("x", 1, 1, 8, 8), 1, 2, 3, 1, 1, true);
        h = wide.Block("b1", h, 2, (20, 4, 3, 1), Unit);
        h = wide.Node("GlobalAveragePool", "pool", [h]);
        h = wide.Node("Flatten", "flat", [h]);
        string logits = wide.Node("Gemm", "fc", [h, wide.Init("fc.w", [3, 4]), wide.Init("fc.b", [3])], ("transB", 1));
        wide.Output(logits, 1, 3);
        Assert.Equal("m.onnx: the imported model: field 'blocks[0].expand' is 20, must be 1..16", ImportError(wide.Model));

        var otherDomain = OnnxBuilder.TorchShaped();
        otherDomain.Graph.Node[3].Domain = "com.microsoft";
        Assert.Contains("op domain 'com.microsoft' is not supported", ImportError(otherDomain.Model), StringComparison.Ordinal);
    }

    [Fact]
    public void TheEvaluatorComputesOnnxSemanticsOnHandWorkedValues()
    {
        // Conv over NCHW with an OIHW weight, pad 1: one output channel, 2 input channels, 3x3 maps.
        var b = new OnnxBuilder(13);
        string x = b.Input("x", 1, 2, 3, 3);
        var weight = Enumerable.Range(0, 18).Select(i => (float)i).ToArray(); // w[0, c, kh, kw] = 9c + 3kh + kw
        string y = b.Node("Conv", "c", [x, b.Init("w", [1, 2, 3, 3], weight), b.Init("b", [1], [0.5f])],
            ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }));
        b.Output(y, 1, 1, 3, 3);
        var input = Enumerable.Range(0, 18).Select(i => i < 9 ? 1f : 0f).ToArray(); // channel 0 all ones, channel 1 zeros
        var output = new OnnxEvaluator(b.Model, "x.onnx").Run(input);
        // Centre: every tap of channel 0 (0+…+8 = 36); top-left corner: taps kh, kw ∈ {1, 2} (4+5+7+8 = 24).
        Assert.Equal(36.5f, output[4]);
        Assert.Equal(24.5f, output[0]);
        // Bottom-right corner: taps kh, kw ∈ {0, 1} (0+1+3+4 = 8).
        Assert.Equal(8.5f, output[8]);
    }

    [Fact]
    public void ExportThenImportGivesBackTheZooModelAndEveryWeightBitForBit()
    {
        var paths = RepoPaths.Locate();
        foreach (string name in new[] { "mbv2-w0.35", "mcunet-tiny" })
        {
            var zoo = ZooModel.FromZoo(paths, name);
            var graph = zoo.Build();
            var ck = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", name + ".ntck"));
            string path = Path.Combine(_dir, name + ".onnx");
            OnnxFile.Save(path, OnnxExporter.Export(graph, ck.Weights, "test"));
            var imported = OnnxImporter.Import(OnnxFile.Load(path), path, new OnnxImportOptions { Name = name });
            Assert.Equal(zoo.Blocks, imported.Model.Blocks);
            Assert.Equal(graph.ArchitectureSha256(), imported.Model.Build().ArchitectureSha256());
            foreach (var p in graph.Parameters)
            {
                Assert.True(ck.Weights[p.Name].AsSpan().SequenceEqual(imported.Weights[p.Name]), p.Name);
            }
            Assert.Empty(imported.Notes);
        }
    }

    [Fact]
    public void ModelNamesComeFromTheFileName()
    {
        Assert.Equal("mobilenet_v2-0.35", OnnxImporter.ModelNameFrom("/x/MobileNet_V2-0.35.onnx"));
        Assert.Equal("my-net", OnnxImporter.ModelNameFrom("my net!.onnx"));
        Assert.Equal("imported", OnnxImporter.ModelNameFrom("---.onnx"));
    }

    private static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);
}
