using NanoTrain.Core.Common;
using NanoTrain.Core.Model;

namespace NanoTrain.Core.Quantization;

/// <summary>
/// Post-training int8 quantization: batch norm folded, ReLU6 fused, per-output-channel symmetric int8 weights,
/// per-tensor asymmetric int8 activations from calibrated ranges, int32 biases and fixed-point requantization.
/// </summary>
public static class Quantizer
{
    /// <param name="graph">The model.</param>
    /// <param name="weights">Its fp32 weights and batch-norm statistics (a checkpoint).</param>
    /// <param name="ranges">Calibrated [min, max] of every activation of the folded network, by name.</param>
    public static QuantizedModel Quantize(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, IReadOnlyDictionary<string, (float Min, float Max)> ranges)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(ranges);
        RequireFinite(weights);
        var act = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        QuantParams Range(string name) => act.TryGetValue(name, out var q) ? q : act[name] = ranges.TryGetValue(name, out var r)
            ? QuantParams.FromRange(r.Min, r.Max)
            : throw new NanoTrainException(ErrorKind.BadInput, $"no calibrated range for activation '{name}'");

        var ops = new List<QuantizedOp>();
        var layers = graph.Layers;
        Range(graph.InputName);
        for (int i = 0; i < layers.Count; i++)
        {
            switch (layers[i])
            {
                case ConvLayer conv when i + 1 < layers.Count && layers[i + 1] is BatchNormLayer bn && bn.Input == conv.Output:
                    bool relu = i + 2 < layers.Count && layers[i + 2] is Relu6Layer r && r.Input == bn.Output;
                    string output = relu ? layers[i + 2].Output : bn.Output;
                    var (folded, bias) = BatchNormFolding.Fold(weights[conv.Weight], weights[bn.Gamma], weights[bn.Beta], weights[bn.RunningMean], weights[bn.RunningVar], bn.Eps);
                    ops.Add(QuantizeConv(graph, conv, folded, bias, Range(conv.Input), Range(output), relu, output));
                    i += relu ? 2 : 1;
                    break;
                case AddLayer add:
                    ops.Add(QuantizeAdd(add, Range(add.Input), Range(add.Other), Range(add.Output)));
                    break;
                case GapLayer gap:
                    act[gap.Output] = Range(gap.Input); // average pool keeps its input's quantization
                    ops.Add(new QuantizedGap(gap.Name, gap.Input, gap.Output));
                    break;
                case FcLayer fc:
                    ops.Add(QuantizeFc(graph, fc, weights[fc.Weight], weights[fc.Bias], Range(fc.Input), Range(fc.Output)));
                    break;
                default:
                    throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: layer '{layers[i].Name}' cannot be quantized on its own");
            }
        }
        var shapes = graph.Activations.ToDictionary(a => a.Name, a => (a.H, a.W, a.C), StringComparer.Ordinal);
        return new QuantizedModel(graph.Name, ops, act, shapes);
    }

    /// <summary>Refuses weights holding NaN or ±Inf, naming the tensor and the index.</summary>
    public static void RequireFinite(IReadOnlyDictionary<string, float[]> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (var (name, values) in weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"tensor '{name}' holds {values[bad]} at index {bad}: cannot quantize a non-finite weight");
            }
        }
    }

    /// <summary>Per-channel symmetric scales s[c] = max|w[..,c]|/127 (1 for an all-zero channel) and int8 values.</summary>
    private static (sbyte[] Values, float[] Scales) PerChannel(float[] w, int channels)
    {
        var scales = new float[channels];
        for (int i = 0; i < w.Length; i++)
        {
            scales[i % channels] = Math.Max(scales[i % channels], Math.Abs(w[i]));
        }
        for (int c = 0; c < channels; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        }
        var q = new sbyte[w.Length];
        for (int i = 0; i < w.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp((int)Math.Round(w[i] / scales[i % channels], MidpointRounding.AwayFromZero), -127, 127);
        }
        return (q, scales);
    }

    private static OutputQuant Requant(QuantParams input, float[] weightScale, QuantParams output, bool relu6)
    {
        var mult = new int[weightScale.Length];
        var shift = new int[weightScale.Length];
        for (int c = 0; c < weightScale.Length; c++)
        {
            (mult[c], shift[c]) = FixedPointMultiplier.Quantize((double)input.Scale * weightScale[c] / output.Scale);
        }
        int actMin = -128;
        int actMax = 127;
        if (relu6)
        {
            actMin = Math.Max(actMin, output.Quantize(0f));
            actMax = Math.Min(actMax, output.Quantize(6f));
        }
        return new OutputQuant(-input.ZeroPoint, output.ZeroPoint, actMin, actMax, mult, shift);
    }

    private static int[] QuantizeBias(float[] bias, QuantParams input, float[] weightScale) =>
        bias.Select((b, c) => (int)Math.Clamp(Math.Round(b / ((double)input.Scale * weightScale[c]), MidpointRounding.AwayFromZero), int.MinValue, int.MaxValue)).ToArray();

    private static QuantizedConv QuantizeConv(ModelGraph graph, ConvLayer conv, float[] folded, float[] bias, QuantParams input, QuantParams output, bool relu6, string outputName)
    {
        var dims = graph.ParameterOf(conv.Weight).Dims; // HWIO [k, k, ci_g, co]
        int k = dims[0];
        int cinG = dims[2];
        int cout = dims[3];
        var (q, scales) = PerChannel(folded, cout);
        bool depthwise = cinG == 1 && conv.Groups == cout && conv.Groups > 1;
        sbyte[] layout = q;
        if (!depthwise)
        {
            // HWIO -> OHWI, so each output channel's taps are contiguous for the int8 dot products.
            layout = new sbyte[q.Length];
            for (int kh = 0; kh < k; kh++)
            {
                for (int kw = 0; kw < k; kw++)
                {
                    for (int ci = 0; ci < cinG; ci++)
                    {
                        for (int co = 0; co < cout; co++)
                        {
                            layout[(((co * k) + kh) * k + kw) * cinG + ci] = q[((((kh * k) + kw) * cinG) + ci) * cout + co];
                        }
                    }
                }
            }
        }
        return new QuantizedConv(conv.Name, conv.Input, outputName, conv.Kernel, conv.Stride, conv.Pad, conv.Groups, layout,
            QuantizeBias(bias, input, scales), scales, Requant(input, scales, output, relu6));
    }

    private static QuantizedFc QuantizeFc(ModelGraph graph, FcLayer fc, float[] w, float[] bias, QuantParams input, QuantParams output)
    {
        var dims = graph.ParameterOf(fc.Weight).Dims; // [1, 1, in, out]
        int inputs = dims[2];
        int outputs = dims[3];
        var (q, scales) = PerChannel(w, outputs);
        var oi = new sbyte[q.Length];
        for (int i = 0; i < inputs; i++)
        {
            for (int o = 0; o < outputs; o++)
            {
                oi[(o * inputs) + i] = q[(i * outputs) + o];
            }
        }
        return new QuantizedFc(fc.Name, fc.Input, fc.Output, oi, QuantizeBias(bias, input, scales), scales, Requant(input, scales, output, relu6: false));
    }

    private static QuantizedAdd QuantizeAdd(AddLayer add, QuantParams a, QuantParams b, QuantParams output)
    {
        double twiceMax = 2.0 * Math.Max(a.Scale, b.Scale);
        var (m1, s1) = FixedPointMultiplier.Quantize(a.Scale / twiceMax);
        var (m2, s2) = FixedPointMultiplier.Quantize(b.Scale / twiceMax);
        var (mo, so) = FixedPointMultiplier.Quantize(twiceMax / ((1 << QuantizedAdd.LeftShift) * (double)output.Scale));
        return new QuantizedAdd(add.Name, add.Input, add.Other, add.Output, -a.ZeroPoint, -b.ZeroPoint, m1, s1, m2, s2, mo, so, output.ZeroPoint, -128, 127);
    }
}
