using NanoTrain.Core.Onnx.Proto;
using static NanoTrain.Core.Onnx.OnnxNodes;

namespace NanoTrain.Core.Onnx;

/// <summary>
/// Runs an ONNX graph as written, one sample, in plain loops over its own layouts (NCHW maps, row-major matrices), with
/// ONNX's semantics for the ops <see cref="OnnxImporter"/> reads. It shares nothing with the importer's layout
/// conversion (only the reading of attributes), so comparing its outputs with the imported model's on the engine checks
/// the import.
/// </summary>
public sealed class OnnxEvaluator
{
    private readonly ModelProto _model;
    private readonly int _opset;

    public OnnxEvaluator(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _opset = OnnxFile.Opset(model, path);
    }

    private sealed record Value(float[] Data, long[] Dims);

    /// <summary>
    /// The graph's output (or the tensor <paramref name="output"/>) for one input sample, given in the input's own
    /// layout and shape (batch 1).
    /// </summary>
    public float[] Run(float[] input, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var graph = _model.Graph;
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            values[t.Name] = Constant(t, $"initializer '{t.Name}'");
        }
        var data = graph.Input.First(i => !values.ContainsKey(i.Name));
        var dims = data.Type.TensorType.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : 1).ToArray();
        dims[0] = 1;
        values[data.Name] = new Value(input, dims);
        foreach (var node in graph.Node)
        {
            Value In(int i) => values[node.Input[i]];
            Value? Optional(int i) => Input(node, i) is string n ? values[n] : null;
            values[node.Output[0]] = node.OpType switch
            {
                "Constant" => Constant(ConstantValue(node), Describe(node)),
                "Identity" or "Dropout" => In(0),
                "Transpose" => Transpose(In(0), Ints(node, "perm")!),
                "Conv" => Conv(node, In(0), In(1), Optional(2)),
                "BatchNormalization" => BatchNorm(In(0), In(1), In(2), In(3), In(4), Float(node, "epsilon", 1e-5f)),
                "Relu" => Map(In(0), v => Math.Max(v, 0f)),
                "Clip" => Clip(node, In(0), Optional(1), Optional(2)),
                "Add" => Add(In(0), In(1)),
                "GlobalAveragePool" => MeanOverMap(In(0), keep: true),
                "AveragePool" => MeanOverMap(In(0), keep: true),
                "ReduceMean" => MeanOverMap(In(0), keep: Int(node, "keepdims", 1) != 0),
                "Flatten" or "Reshape" or "Squeeze" => new Value(In(0).Data, [1, In(0).Data.Length]),
                "Gemm" => Gemm(node, In(0), In(1), Optional(2)),
                "MatMul" => Gemm(null, In(0), In(1), null),
                "Softmax" => Softmax(In(0)),
                _ => throw Error(node, "op not evaluated"),
            };
        }
        return values[output ?? graph.Output[0].Name].Data;
    }

    private static Value Constant(TensorProto t, string owner)
    {
        var dims = t.Dims.ToArray();
        return (TensorProto.Types.DataType)t.DataType is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32
            ? new Value(OnnxFile.Integers(t, owner).Select(v => (float)v).ToArray(), dims)
            : new Value(OnnxFile.Floats(t, owner), dims);
    }

    private static Value Map(Value x, Func<float, float> f) => new(x.Data.Select(f).ToArray(), x.Dims);

    private static Value Transpose(Value x, long[] perm)
    {
        var d = x.Dims;
        var outDims = perm.Select(p => d[p]).ToArray();
        var y = new float[x.Data.Length];
        var index = new long[4];
        for (int i = 0; i < x.Data.Length; i++)
        {
            long rest = i;
            for (int a = 3; a >= 0; a--)
            {
                index[a] = rest % d[a];
                rest /= d[a];
            }
            long o = 0;
            for (int a = 0; a < 4; a++)
            {
                o = (o * outDims[a]) + index[perm[a]];
            }
            y[o] = x.Data[i];
        }
        return new Value(y, outDims);
    }

    private static Value Conv(NodeProto node, Value x, Value w, Value? b)
    {
        int h = (int)x.Dims[2], wd = (int)x.Dims[3];
        int m = (int)w.Dims[0], cg = (int)w.Dims[1], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
        int group = (int)Int(node, "group", 1);
        var strides = Ints(node, "strides") ?? [1, 1];
        var pads = ConvPads(node, h, wd, kh, kw, strides[0], strides[1]);
        int oh = (int)((h + pads[0] + pads[2] - kh) / strides[0]) + 1;
        int ow = (int)((wd + pads[1] + pads[3] - kw) / strides[1]) + 1;
        var y = new float[m * oh * ow];
        int mg = m / group;
        for (int o = 0; o < m; o++)
        {
            int g = o / mg;
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    float acc = b?.Data[o] ?? 0f;
                    for (int ci = 0; ci < cg; ci++)
                    {
                        for (int ky = 0; ky < kh; ky++)
                        {
                            long iy = (oy * strides[0]) - pads[0] + ky;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                long ix = (ox * strides[1]) - pads[1] + kx;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                {
                                    acc += w.Data[(((o * cg) + ci) * kh + ky) * kw + kx] * x.Data[((((g * cg) + ci) * h) + iy) * wd + ix];
                                }
                            }
                        }
                    }
                    y[((o * oh) + oy) * ow + ox] = acc;
                }
            }
        }
        return new Value(y, [1, m, oh, ow]);
    }

    private static Value BatchNorm(Value x, Value scale, Value bias, Value mean, Value variance, float eps)
    {
        int c = (int)x.Dims[1];
        int plane = x.Data.Length / c;
        var y = new float[x.Data.Length];
        for (int k = 0; k < c; k++)
        {
            float s = scale.Data[k] / MathF.Sqrt(variance.Data[k] + eps);
            for (int i = 0; i < plane; i++)
            {
                y[(k * plane) + i] = ((x.Data[(k * plane) + i] - mean.Data[k]) * s) + bias.Data[k];
            }
        }
        return new Value(y, x.Dims);
    }

    private Value Clip(NodeProto node, Value x, Value? min, Value? max)
    {
        float lo = _opset < 11 ? Float(node, "min", float.NegativeInfinity) : min?.Data[0] ?? float.NegativeInfinity;
        float hi = _opset < 11 ? Float(node, "max", float.PositiveInfinity) : max?.Data[0] ?? float.PositiveInfinity;
        return Map(x, v => Math.Min(Math.Max(v, lo), hi));
    }

    /// <summary>Elementwise, with a smaller operand broadcast over the trailing dimension (a bias).</summary>
    private static Value Add(Value a, Value b)
    {
        var (big, small) = a.Data.Length >= b.Data.Length ? (a, b) : (b, a);
        var y = new float[big.Data.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = big.Data[i] + small.Data[i % small.Data.Length];
        }
        return new Value(y, big.Dims);
    }

    private static Value MeanOverMap(Value x, bool keep)
    {
        int c = (int)x.Dims[1];
        int plane = x.Data.Length / c;
        var y = new float[c];
        for (int k = 0; k < c; k++)
        {
            float sum = 0;
            for (int i = 0; i < plane; i++)
            {
                sum += x.Data[(k * plane) + i];
            }
            y[k] = sum / plane;
        }
        return new Value(y, keep ? [1, c, 1, 1] : [1, c]);
    }

    private static Value Gemm(NodeProto? node, Value a, Value b, Value? c)
    {
        bool transB = node != null && Int(node, "transB", 0) != 0;
        float alpha = node == null ? 1f : Float(node, "alpha", 1f);
        float beta = node == null ? 1f : Float(node, "beta", 1f);
        int k = a.Data.Length;
        int n = (int)b.Dims[transB ? 0 : 1];
        var y = new float[n];
        for (int j = 0; j < n; j++)
        {
            float acc = 0;
            for (int i = 0; i < k; i++)
            {
                acc += a.Data[i] * b.Data[transB ? (j * k) + i : (i * n) + j];
            }
            y[j] = (alpha * acc) + (c == null ? 0f : beta * c.Data[c.Data.Length == 1 ? 0 : j]);
        }
        return new Value(y, [1, n]);
    }

    private static Value Softmax(Value x)
    {
        float max = x.Data.Max();
        var e = x.Data.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return new Value(e.Select(v => v / sum).ToArray(), x.Dims);
    }
}
