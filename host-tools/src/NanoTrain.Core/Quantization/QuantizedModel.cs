namespace NanoTrain.Core.Quantization;

/// <summary>One op of an int8 model.</summary>
public abstract record QuantizedOp(string Name, string Input, string Output);

/// <summary>Requantization of one op's int32 accumulators to its int8 output.</summary>
public sealed record OutputQuant(int InputOffset, int OutputOffset, int ActMin, int ActMax, int[] Multiplier, int[] Shift);

/// <summary>
/// A conv with batch norm folded in and ReLU6 fused (when it had one). Weights OHWI w[co][kh][kw][ci], or
/// [kh][kw][1][c] for depthwise; int32 bias at scale s_in·s_w[co]; per-channel weight scales kept for reports.
/// </summary>
public sealed record QuantizedConv(string Name, string Input, string Output, int Kernel, int Stride, int Pad, int Groups,
    sbyte[] Weight, int[] Bias, float[] WeightScale, OutputQuant Quant) : QuantizedOp(Name, Input, Output);

/// <summary>Residual add in TFLite's scheme (left shift 20).</summary>
public sealed record QuantizedAdd(string Name, string Input, string Other, string Output,
    int Input1Offset, int Input2Offset, int Input1Multiplier, int Input1Shift, int Input2Multiplier, int Input2Shift,
    int OutputMultiplier, int OutputShift, int OutputOffset, int ActMin, int ActMax) : QuantizedOp(Name, Input, Output)
{
    public const int LeftShift = 20;
}

/// <summary>Global average pool: output shares the input's quantization.</summary>
public sealed record QuantizedGap(string Name, string Input, string Output) : QuantizedOp(Name, Input, Output);

/// <summary>Fully connected layer, weights OI w[o][i].</summary>
public sealed record QuantizedFc(string Name, string Input, string Output, sbyte[] Weight, int[] Bias, float[] WeightScale, OutputQuant Quant)
    : QuantizedOp(Name, Input, Output);

/// <summary>An int8 model: its ops in order and the quantization of every activation they read or write.</summary>
public sealed class QuantizedModel
{
    public QuantizedModel(string name, IReadOnlyList<QuantizedOp> ops, IReadOnlyDictionary<string, QuantParams> activations,
        IReadOnlyDictionary<string, (int H, int W, int C)> shapes)
    {
        Name = name;
        Ops = ops;
        Activations = activations;
        Shapes = shapes;
    }

    public string Name { get; }

    public IReadOnlyList<QuantizedOp> Ops { get; }

    /// <summary>Quantization of each activation by name ("input", "b3.add", "logits", ...).</summary>
    public IReadOnlyDictionary<string, QuantParams> Activations { get; }

    /// <summary>Shape (without batch) of each activation.</summary>
    public IReadOnlyDictionary<string, (int H, int W, int C)> Shapes { get; }

    /// <summary>Bytes of int8 weights and int32 biases (what flash holds for the frozen network).</summary>
    public long WeightBytes => Ops.Sum(o => o switch
    {
        QuantizedConv c => c.Weight.Length + (4L * c.Bias.Length),
        QuantizedFc f => f.Weight.Length + (4L * f.Bias.Length),
        _ => 0L,
    });
}
