using Google.Protobuf;
using NanoTrain.Core.Onnx;
using NanoTrain.Core.Onnx.Proto;

namespace NanoTrain.Core.Tests.Onnx;

/// <summary>
/// Builds ONNX graphs node by node with seeded random weights, in the shapes exporters write: PyTorch's (BatchNorm
/// folded into conv biases, Clip bounds as Constant nodes, Flatten + Gemm) and tf2onnx's (NHWC input and a Transpose,
/// BatchNormalization with ε 1e-3, ReduceMean, MatMul + Add, a final Softmax).
/// </summary>
internal sealed class OnnxBuilder
{
    private readonly Random _rng;
    private int _count;

    public OnnxBuilder(int opset, int seed = 1, string producer = "pytorch")
    {
        _rng = new Random(seed);
        Model = new ModelProto { IrVersion = 8, ProducerName = producer, Graph = new GraphProto { Name = "main_graph" } };
        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public ModelProto Model { get; }

    public GraphProto Graph => Model.Graph;

    public byte[] Bytes() => Model.ToByteArray();

    /// <summary>A float graph input; a negative dim is symbolic ("N").</summary>
    public string Input(string name, params long[] dims)
    {
        Graph.Input.Add(ValueInfo(name, dims));
        return name;
    }

    public void Output(string name, params long[] dims) => Graph.Output.Add(ValueInfo(name, dims));

    /// <summary>A float initializer; random values in ±<paramref name="scale"/> (or <paramref name="offset"/> + that) unless given.</summary>
    public string Init(string name, long[] dims, float[]? values = null, float scale = 0.5f, float offset = 0f)
    {
        long n = OnnxFile.ElementCount(dims);
        values ??= Enumerable.Range(0, (int)n).Select(_ => offset + (scale * ((2 * _rng.NextSingle()) - 1))).ToArray();
        Graph.Initializer.Add(OnnxExporter.Tensor(name, dims, values));
        return name;
    }

    public string InitInts(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A Constant node holding one float, as PyTorch writes Clip's bounds.</summary>
    public string Const(float value)
    {
        string name = $"/Constant_{_count++}_output_0";
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        var node = new NodeProto { OpType = "Constant", Name = $"/Constant_{_count}" };
        node.Output.Add(name);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
        Graph.Node.Add(node);
        return name;
    }

    /// <summary>Adds a node whose output is "NAME_output_0"; attributes by name: int/long, float, string, long[].</summary>
    public string Node(string op, string name, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        string output = name + "_output_0";
        node.Output.Add(output);
        foreach (var (key, value) in attributes)
        {
            var a = new AttributeProto { Name = key };
            switch (value)
            {
                case int or long:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case float f:
                    a.Type = AttributeProto.Types.AttributeType.Float;
                    a.F = f;
                    break;
                case string s:
                    a.Type = AttributeProto.Types.AttributeType.String;
                    a.S = ByteString.CopyFromUtf8(s);
                    break;
                case long[] ints:
                    a.Type = AttributeProto.Types.AttributeType.Ints;
                    a.Ints.Add(ints);
                    break;
                default:
                    throw new ArgumentException($"attribute {key}: {value.GetType().Name}", nameof(attributes));
            }
            node.Attribute.Add(a);
        }
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>A k×k conv with symmetric padding; weight [out, in/group, k, k], optional bias.</summary>
    public string Conv(string name, string x, int cin, int cout, int k, int stride, int group, bool bias)
    {
        string w = Init($"{name}.weight", [cout, cin / group, k, k], scale: 3f / MathF.Sqrt(k * k * cin / group));
        string[] inputs = bias ? [x, w, Init($"{name}.bias", [cout], scale: 0.2f)] : [x, w];
        return Node("Conv", name, inputs, ("dilations", new long[] { 1, 1 }), ("group", group), ("kernel_shape", new long[] { k, k }),
            ("pads", new long[] { k / 2, k / 2, k / 2, k / 2 }), ("strides", new long[] { stride, stride }));
    }

    public string BatchNorm(string name, string x, int c, float eps) =>
        Node("BatchNormalization", name, [x, Init($"{name}.scale", [c], scale: 0.3f, offset: 1f), Init($"{name}.bias", [c], scale: 0.2f),
            Init($"{name}.mean", [c], scale: 0.2f), Init($"{name}.var", [c], scale: 0.4f, offset: 0.8f)], ("epsilon", eps));

    /// <summary>One inverted-residual block of (expand, out, kernel, stride); <paramref name="unit"/> makes conv + norm + optional ReLU6.</summary>
    public string Block(string prefix, string x, int c, (int Expand, int Out, int Kernel, int Stride) b, Func<string, string, int, int, int, int, int, bool, string> unit)
    {
        int hidden = c * b.Expand;
        string y = x;
        if (b.Expand != 1)
        {
            y = unit($"{prefix}/expand", y, c, hidden, 1, 1, 1, true);
        }
        y = unit($"{prefix}/dw", y, hidden, hidden, b.Kernel, b.Stride, hidden, true);
        y = unit($"{prefix}/project", y, hidden, b.Out, 1, 1, 1, false);
        return b.Stride == 1 && c == b.Out ? Node("Add", $"{prefix}/Add", [y, x]) : y;
    }

    /// <summary>The small network both exporter shapes are built for: stem 8, three blocks (two residual), head 24, 5 classes.</summary>
    public static readonly (int Expand, int Out, int Kernel, int Stride)[] SmallBlocks = [(1, 8, 3, 1), (4, 12, 3, 2), (3, 12, 5, 1)];

    /// <summary>
    /// PyTorch's export of a MobileNetV2-shaped model in eval mode (opset 17): BatchNorm folded into conv biases, ReLU6 as
    /// Clip with Constant-node bounds, GlobalAveragePool, Flatten, Gemm with transB.
    /// </summary>
    public static OnnxBuilder TorchShaped(int resolution = 16, int seed = 1)
    {
        var b = new OnnxBuilder(17, seed, "pytorch");
        string Unit(string name, string x, int cin, int cout, int k, int s, int g, bool relu)
        {
            string y = b.Conv($"{name}/Conv", x, cin, cout, k, s, g, bias: true);
            return relu ? b.Node("Clip", $"{name}/Clip", [y, b.Const(0f), b.Const(6f)]) : y;
        }
        string x = Unit("/stem", b.Input("input", -1, 1, resolution, resolution), 1, 8, 3, 2, 1, true);
        int c = 8;
        for (int i = 0; i < SmallBlocks.Length; i++)
        {
            x = b.Block($"/features.{i + 1}", x, c, SmallBlocks[i], Unit);
            c = SmallBlocks[i].Out;
        }
        x = Unit("/head", x, c, 24, 1, 1, 1, true);
        x = b.Node("GlobalAveragePool", "/GlobalAveragePool", [x]);
        x = b.Node("Flatten", "/Flatten", [x], ("axis", 1));
        string logits = b.Node("Gemm", "/classifier/Gemm", [x, b.Init("classifier.weight", [5, 24], scale: 1f), b.Init("classifier.bias", [5], scale: 0.1f)],
            ("alpha", 1f), ("beta", 1f), ("transB", 1));
        b.Output(logits, -1, 5);
        return b;
    }

    /// <summary>
    /// tf2onnx's export of a Keras MobileNetV2-shaped model (opset 13): NHWC input with a Transpose, conv without bias +
    /// BatchNormalization (ε 1e-3), Clip with initializer bounds, ReduceMean over H and W, MatMul + Add, Softmax.
    /// </summary>
    public static OnnxBuilder TensorflowShaped(int resolution = 16, int seed = 2)
    {
        var b = new OnnxBuilder(13, seed, "tf2onnx");
        string min = b.Init("relu6_min", [], [0f]);
        string max = b.Init("relu6_max", [], [6f]);
        string Unit(string name, string x, int cin, int cout, int k, int s, int g, bool relu)
        {
            string y = b.BatchNorm($"{name}/bn", b.Conv($"{name}/conv", x, cin, cout, k, s, g, bias: false), cout, 1e-3f);
            return relu ? b.Node("Clip", $"{name}/relu6", [y, min, max]) : y;
        }
        string input = b.Input("input_1", -1, resolution, resolution, 1);
        string x = b.Node("Transpose", "input_1_transpose", [input], ("perm", new long[] { 0, 3, 1, 2 }));
        x = Unit("model/stem", x, 1, 8, 3, 2, 1, true);
        int c = 8;
        for (int i = 0; i < SmallBlocks.Length; i++)
        {
            x = b.Block($"model/block_{i + 1}", x, c, SmallBlocks[i], Unit);
            c = SmallBlocks[i].Out;
        }
        x = Unit("model/head", x, c, 24, 1, 1, 1, true);
        x = b.Node("ReduceMean", "model/global_average_pooling2d/Mean", [x], ("axes", new long[] { 2, 3 }), ("keepdims", 0));
        x = b.Node("MatMul", "model/dense/MatMul", [x, b.Init("model/dense/kernel", [24, 5], scale: 1f)]);
        x = b.Node("Add", "model/dense/BiasAdd", [x, b.Init("model/dense/bias", [5], scale: 0.1f)]);
        string probabilities = b.Node("Softmax", "model/dense/Softmax", [x], ("axis", -1));
        b.Output(probabilities, -1, 5);
        return b;
    }

    /// <summary>
    /// Rewrites a graph as PyTorch's eval-mode export writes it: each Conv → BatchNormalization pair becomes one Conv
    /// with the norm folded into its weight and a bias, and Clip's bound initializers become Constant nodes.
    /// </summary>
    public static void FoldBatchNorms(ModelProto model)
    {
        var g = model.Graph;
        var init = g.Initializer.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        float[] Values(string name) => OnnxFile.Floats(init[name], name);
        foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            var conv = g.Node.Single(n => n.Output[0] == bn.Input[0]);
            var w = init[conv.Input[1]];
            float eps = bn.Attribute.Single(a => a.Name == "epsilon").F;
            var gamma = Values(bn.Input[1]);
            var beta = Values(bn.Input[2]);
            var mean = Values(bn.Input[3]);
            var variance = Values(bn.Input[4]);
            var weight = OnnxFile.Floats(w, w.Name);
            int outC = gamma.Length;
            int per = weight.Length / outC;
            var bias = new float[outC];
            for (int o = 0; o < outC; o++)
            {
                float s = gamma[o] / MathF.Sqrt(variance[o] + eps);
                for (int i = 0; i < per; i++)
                {
                    weight[(o * per) + i] *= s;
                }
                bias[o] = beta[o] - (mean[o] * s);
            }
            g.Initializer.Remove(w);
            g.Initializer.Add(OnnxExporter.Tensor(w.Name, [.. w.Dims], weight));
            g.Initializer.Add(OnnxExporter.Tensor(conv.Input[1] + ".folded_bias", [outC], bias));
            conv.Input.Add(conv.Input[1] + ".folded_bias");
            conv.Output[0] = bn.Output[0];
            g.Node.Remove(bn);
            foreach (string stale in bn.Input.Skip(1))
            {
                g.Initializer.Remove(init[stale]);
            }
        }
        int count = 0;
        foreach (var clip in g.Node.Where(n => n.OpType == "Clip").ToList())
        {
            for (int i = 1; i <= 2; i++)
            {
                string name = $"/Constant_{count++}_output_0";
                var node = new NodeProto { OpType = "Constant", Name = name[..^9] };
                node.Output.Add(name);
                node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = init[clip.Input[i]].Clone() });
                node.Attribute[0].T.Name = "";
                g.Node.Insert(g.Node.IndexOf(clip), node);
                clip.Input[i] = name;
            }
        }
        foreach (string bound in new[] { "relu6.min", "relu6.max" })
        {
            g.Initializer.Remove(init[bound]);
        }
        model.ProducerName = "pytorch";
        model.OpsetImport[0].Version = 17;
    }

    private static ValueInfoProto ValueInfo(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
