using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx;
using NanoTrain.Core.Onnx.Proto;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Onnx;

/// <summary>How far a zoo model on the engine is from an ONNX graph on the same inputs.</summary>
/// <param name="Samples">Random inputs compared.</param>
/// <param name="MaxDifference">Largest |engine − ONNX| over all outputs.</param>
/// <param name="MaxMagnitude">Largest |ONNX output|, the scale the difference is judged against.</param>
/// <param name="SameTop1">Inputs whose largest output is the same class on both.</param>
public sealed record OnnxComparison(int Samples, double MaxDifference, double MaxMagnitude, int SameTop1)
{
    /// <summary>Float rounding only: within 1e-4 of the output scale (at least 1).</summary>
    public bool Matches => MaxDifference <= 1e-4 * Math.Max(1.0, MaxMagnitude);
}

/// <summary>
/// Runs an ONNX file's graph (<see cref="OnnxEvaluator"/>, NCHW as written) and a zoo model (the native engine, NHWC) on
/// the same seeded random inputs in [-1, 1] and compares the outputs.
/// </summary>
public static class OnnxCheck
{
    /// <summary>Compares the graph's tensor <paramref name="logitsTensor"/> with the model's logits on <paramref name="samples"/> inputs.</summary>
    public static OnnxComparison Compare(ModelProto model, string path, bool inputIsNhwc, string logitsTensor, ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, int samples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var evaluator = new OnnxEvaluator(model, path);
        var input = graph.Input;
        int elements = input.Elements;
        var rng = new SplitMix64(seed);
        var nhwc = new float[samples * elements];
        for (int i = 0; i < nhwc.Length; i++)
        {
            nhwc[i] = (float)((rng.Next() >> 11) * (2.0 / (1UL << 53))) - 1f;
        }
        using var engine = new HostTrainer(graph, weights, samples, 1);
        var logits = engine.Logits(nhwc, samples);
        int classes = graph.Classes;
        double maxDiff = 0, maxMag = 0;
        int same = 0;
        for (int s = 0; s < samples; s++)
        {
            var sample = nhwc.AsSpan(s * elements, elements);
            var reference = evaluator.Run(inputIsNhwc ? sample.ToArray() : ToNchw(sample, input.H, input.W, input.C), logitsTensor);
            if (reference.Length != classes)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: the graph gives {reference.Length} outputs, the model {classes}");
            }
            int top = 0, topReference = 0;
            for (int c = 0; c < classes; c++)
            {
                float mine = logits[(s * classes) + c];
                maxDiff = Math.Max(maxDiff, Math.Abs(mine - reference[c]));
                maxMag = Math.Max(maxMag, Math.Abs(reference[c]));
                top = mine > logits[(s * classes) + top] ? c : top;
                topReference = reference[c] > reference[topReference] ? c : topReference;
            }
            same += top == topReference ? 1 : 0;
        }
        return new OnnxComparison(samples, maxDiff, maxMag, same);
    }

    private static float[] ToNchw(ReadOnlySpan<float> nhwc, int h, int w, int c)
    {
        var nchw = new float[nhwc.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int k = 0; k < c; k++)
                {
                    nchw[(((k * h) + y) * w) + x] = nhwc[(((y * w) + x) * c) + k];
                }
            }
        }
        return nchw;
    }
}
