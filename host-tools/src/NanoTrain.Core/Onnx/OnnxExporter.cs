using Google.Protobuf;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx.Proto;

namespace NanoTrain.Core.Onnx;

/// <summary>
/// Writes a zoo model and its weights as ONNX (opset <see cref="OnnxFile.ExportOpset"/>): NCHW input [1, C, H, W], one
/// node per engine layer named after it (Conv without bias, BatchNormalization in inference form, Clip(0, 6) with its
/// bounds as inputs, Add, GlobalAveragePool, Flatten + Gemm with transB), weights as initializers in ONNX's layouts
/// (OIHW, [out, in]) under the checkpoint's tensor names. <see cref="OnnxImporter"/> reads it back to the same weights.
/// </summary>
public static class OnnxExporter
{
    public static ModelProto Export(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        var g = new GraphProto { Name = graph.Name };
        float[] Values(string name) => weights.TryGetValue(name, out var v) && v.Length == graph.ParameterOf(name).Elements ? v
            : throw new NanoTrainException(ErrorKind.BadInput, $"tensor '{name}' is missing from the weights or has the wrong size");
        var input = graph.Input;
        g.Input.Add(ValueInfo(graph.InputName, 1, input.C, input.H, input.W));
        g.Initializer.Add(Tensor("relu6.min", [], [0f]));
        g.Initializer.Add(Tensor("relu6.max", [], [6f]));
        foreach (var layer in graph.Layers)
        {
            switch (layer)
            {
                case ConvLayer conv:
                    {
                        var p = graph.ParameterOf(conv.Weight);
                        int k = p.Dims[0];
                        int inPerGroup = p.Dims[2];
                        int outC = p.Dims[3];
                        var oihw = OnnxLayouts.HwioToOihw(Values(conv.Weight), outC, inPerGroup, k);
                        g.Initializer.Add(Tensor(conv.Weight, [outC, inPerGroup, k, k], oihw));
                        var inputs = new List<string> { conv.Input, conv.Weight };
                        if (conv.Bias != null)
                        {
                            g.Initializer.Add(Tensor(conv.Bias, [outC], Values(conv.Bias)));
                            inputs.Add(conv.Bias);
                        }
                        var node = Node("Conv", conv.Name, inputs, conv.Output);
                        node.Attribute.Add(Ints("kernel_shape", k, k));
                        node.Attribute.Add(Ints("strides", conv.Stride, conv.Stride));
                        node.Attribute.Add(Ints("pads", conv.Pad, conv.Pad, conv.Pad, conv.Pad));
                        node.Attribute.Add(Ints("dilations", 1, 1));
                        node.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = conv.Groups });
                        g.Node.Add(node);
                        break;
                    }
                case BatchNormLayer bn:
                    {
                        int c = graph.ActivationOf(bn.Output).C;
                        foreach (string name in new[] { bn.Gamma, bn.Beta, bn.RunningMean, bn.RunningVar })
                        {
                            g.Initializer.Add(Tensor(name, [c], Values(name)));
                        }
                        var node = Node("BatchNormalization", bn.Name, [bn.Input, bn.Gamma, bn.Beta, bn.RunningMean, bn.RunningVar], bn.Output);
                        node.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = bn.Eps });
                        // ONNX's momentum weighs the old running value: 1 − the engine's.
                        node.Attribute.Add(new AttributeProto { Name = "momentum", Type = AttributeProto.Types.AttributeType.Float, F = 1f - bn.Momentum });
                        g.Node.Add(node);
                        break;
                    }
                case Relu6Layer r:
                    g.Node.Add(Node("Clip", r.Name, [r.Input, "relu6.min", "relu6.max"], r.Output));
                    break;
                case AddLayer add:
                    g.Node.Add(Node("Add", add.Name, [add.Input, add.Other], add.Output));
                    break;
                case GapLayer gap:
                    g.Node.Add(Node("GlobalAveragePool", gap.Name, [gap.Input], gap.Output));
                    break;
                case FcLayer fc:
                    {
                        var p = graph.ParameterOf(fc.Weight);
                        int inputs = p.Dims[2];
                        int outputs = p.Dims[3];
                        var outIn = OnnxLayouts.Transpose(Values(fc.Weight), inputs, outputs);
                        g.Initializer.Add(Tensor(fc.Weight, [outputs, inputs], outIn));
                        g.Initializer.Add(Tensor(fc.Bias, [outputs], Values(fc.Bias)));
                        string flat = fc.Input + ".flat";
                        var flatten = Node("Flatten", fc.Name + ".flatten", [fc.Input], flat);
                        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                        g.Node.Add(flatten);
                        var gemm = Node("Gemm", fc.Name, [flat, fc.Weight, fc.Bias], fc.Output);
                        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                        g.Node.Add(gemm);
                        break;
                    }
                default:
                    throw new NanoTrainException(ErrorKind.BadInput, $"layer '{layer.Name}' ({layer.GetType().Name}) has no ONNX form");
            }
        }
        var output = graph.Output;
        g.Output.Add(ValueInfo(output.Name, 1, output.C));
        var model = new ModelProto
        {
            IrVersion = OnnxFile.ExportIrVersion,
            ProducerName = "nanotrain",
            ProducerVersion = producerVersion,
            Graph = g,
            DocString = $"{graph.Name}: exported by nanotrain (engine layout NHWC, this file NCHW)",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxFile.ExportOpset });
        return model;
    }

    private static NodeProto Node(string op, string name, IEnumerable<string> inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    /// <summary>A float tensor with its values as little-endian raw_data.</summary>
    public static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(values);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.Add(dims);
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        }
        t.RawData = ByteString.CopyFrom(raw);
        return t;
    }

    private static ValueInfoProto ValueInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
