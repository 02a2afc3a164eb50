using NanoTrain.Core.Common;
using NanoTrain.Core.Onnx.Proto;

namespace NanoTrain.Core.Onnx;

/// <summary>Reading a node's attributes and constant inputs; every error names the node and its op type.</summary>
public static class OnnxNodes
{
    /// <summary>"node 'conv1' (Conv)": the node's name, or its first output's when it has none.</summary>
    public static string Describe(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string name = node.Name.Length > 0 ? node.Name : node.Output.Count > 0 ? $"→{node.Output[0]}" : "(unnamed)";
        return $"node '{name}' ({node.OpType})";
    }

    public static NanoTrainException Error(NodeProto node, string reason) => new(ErrorKind.BadInput, $"{Describe(node)}: {reason}");

    public static AttributeProto? Attribute(NodeProto node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Attribute.FirstOrDefault(a => a.Name == name);
    }

    public static long Int(NodeProto node, string name, long fallback)
    {
        var a = Attribute(node, name);
        return a == null ? fallback : a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Undefined
            ? a.I : throw Error(node, $"attribute '{name}' should be an integer, is {a.Type}");
    }

    public static float Float(NodeProto node, string name, float fallback)
    {
        var a = Attribute(node, name);
        return a == null ? fallback : a.Type is AttributeProto.Types.AttributeType.Float or AttributeProto.Types.AttributeType.Undefined
            ? a.F : throw Error(node, $"attribute '{name}' should be a float, is {a.Type}");
    }

    public static long[]? Ints(NodeProto node, string name)
    {
        var a = Attribute(node, name);
        return a == null ? null : a.Type is AttributeProto.Types.AttributeType.Ints or AttributeProto.Types.AttributeType.Undefined
            ? [.. a.Ints] : throw Error(node, $"attribute '{name}' should be a list of integers, is {a.Type}");
    }

    public static string String(NodeProto node, string name, string fallback)
    {
        var a = Attribute(node, name);
        return a == null ? fallback : a.S.ToStringUtf8();
    }

    /// <summary>Input <paramref name="index"/>, or null when it is absent or the empty name ONNX uses for "not given".</summary>
    public static string? Input(NodeProto node, int index)
    {
        ArgumentNullException.ThrowIfNull(node);
        return index < node.Input.Count && node.Input[index].Length > 0 ? node.Input[index] : null;
    }

    /// <summary>
    /// A conv's (or pool's) pads as [top, left, bottom, right] over an <paramref name="h"/>×<paramref name="w"/> input:
    /// the pads attribute, or what auto_pad makes of the kernel and strides (SAME_UPPER puts the odd one at the end).
    /// </summary>
    public static long[] ConvPads(NodeProto node, int h, int w, int kh, int kw, long strideH, long strideW)
    {
        string auto = String(node, "auto_pad", "NOTSET");
        switch (auto)
        {
            case "NOTSET":
                var pads = Ints(node, "pads") ?? [0, 0, 0, 0];
                return pads.Length == 4 ? pads : throw Error(node, $"pads [{string.Join(", ", pads)}] should have 4 values");
            case "VALID":
                return [0, 0, 0, 0];
            case "SAME_UPPER":
            case "SAME_LOWER":
                static long Total(int size, int k, long stride) => Math.Max(((((long)size + stride - 1) / stride) - 1) * stride + k - size, 0);
                long th = Total(h, kh, strideH);
                long tw = Total(w, kw, strideW);
                return auto == "SAME_UPPER" ? [th / 2, tw / 2, th - (th / 2), tw - (tw / 2)] : [th - (th / 2), tw - (tw / 2), th / 2, tw / 2];
            default:
                throw Error(node, $"auto_pad '{auto}' is not an ONNX value");
        }
    }

    /// <summary>The tensor a Constant node holds, in any of its attribute forms.</summary>
    public static TensorProto ConstantValue(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var a = node.Attribute.FirstOrDefault() ?? throw Error(node, "has no value attribute");
        var t = new TensorProto();
        switch (a.Name)
        {
            case "value":
                return a.T ?? throw Error(node, "attribute 'value' holds no tensor");
            case "value_float":
                t.DataType = (int)TensorProto.Types.DataType.Float;
                t.FloatData.Add(a.F);
                return t;
            case "value_floats":
                t.DataType = (int)TensorProto.Types.DataType.Float;
                t.Dims.Add(a.Floats.Count);
                t.FloatData.Add(a.Floats);
                return t;
            case "value_int":
                t.DataType = (int)TensorProto.Types.DataType.Int64;
                t.Int64Data.Add(a.I);
                return t;
            case "value_ints":
                t.DataType = (int)TensorProto.Types.DataType.Int64;
                t.Dims.Add(a.Ints.Count);
                t.Int64Data.Add(a.Ints);
                return t;
            default:
                throw Error(node, $"value attribute '{a.Name}' is not supported (value, value_float(s), value_int(s) are)");
        }
    }
}
