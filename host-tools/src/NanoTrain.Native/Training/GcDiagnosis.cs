using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>How close one conv's condensed weight gradient is to the exact one.</summary>
/// <param name="Conv">The conv (batch norm folded in).</param>
/// <param name="Positions">Output positions (out_h * out_w): condensing is exact at 1.</param>
/// <param name="Cosine">Mean over the samples of the cosine similarity of condensed and exact dW.</param>
/// <param name="MinCosine">The lowest cosine over the samples.</param>
/// <param name="NormRatio">Mean of |condensed dW| / |exact dW|.</param>
public sealed record GcLayerError(string Conv, int Positions, double Cosine, double MinCosine, double NormRatio);

/// <summary>
/// Gradient condensing's error, layer by layer (DESIGN.md §6.2): on each sample, the same fp32 model (batch norm
/// folded) is run through an exact and a condensed plan on the host engine, and each conv's weight gradients are
/// compared. Every weight trains in both, so each layer's input gradient is the one the method would pass on.
/// </summary>
public static class GcDiagnosis
{
    public static IReadOnlyList<GcLayerError> Run(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, LabeledImages data, int samples,
        Core.Common.IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(data);
        if (samples < 1 || samples > data.Count)
        {
            throw new Core.Common.NanoTrainException(Core.Common.ErrorKind.Usage, $"samples {samples} is out of range 1..{data.Count}");
        }
        var options = new PlanOptions { FoldBatchNorm = true };
        var exact = PlanWriter.Write(graph, weights, options);
        var condensed = PlanWriter.Write(graph, weights, options with { Condense = true });
        using var a = new NativeExecutor(exact.Bytes, exact.SpaceSizes);
        using var b = new NativeExecutor(condensed.Bytes, condensed.SpaceSizes);
        var convs = graph.Layers.OfType<ConvLayer>().ToList();
        var cosines = convs.Select(_ => new List<double>()).ToList();
        var ratios = convs.Select(_ => new List<double>()).ToList();
        var pipeline = new ImagePipeline(graph.Input.H);
        int inputElements = graph.Input.H * graph.Input.W * graph.Input.C;
        var picked = data.Spread(samples);
        for (int s = 0; s < samples; s++)
        {
            foreach (var (plan, exec) in new[] { (exact, a), (condensed, b) })
            {
                pipeline.Render(picked.Image(s), exec.Floats(plan.Input, inputElements));
                exec.Bytes(plan.Labels, 1)[0] = picked.Labels[s];
                exec.Forward();
                exec.Loss();
                exec.Backward(null);
            }
            for (int i = 0; i < convs.Count; i++)
            {
                string w = convs[i].Weight;
                var e = a.Floats(exact.Index["grad:" + w], exact.Elements[exact.Index[w]]);
                var c = b.Floats(condensed.Index["grad:" + w], condensed.Elements[condensed.Index[w]]);
                cosines[i].Add(Cosine(e, c));
                ratios[i].Add(Norm(e) > 0 ? Norm(c) / Norm(e) : 0.0);
            }
            // Backward accumulates parameter gradients: a zero step clears them for the next sample.
            a.Update(new SgdConfig { Lr = 0 }, null);
            b.Update(new SgdConfig { Lr = 0 }, null);
            progress?.Progress("condensed vs exact gradients", s + 1, samples);
        }
        return convs.Select((conv, i) =>
        {
            var shape = graph.ActivationOf(conv.Output);
            return new GcLayerError(conv.Name, shape.H * shape.W, cosines[i].Average(), cosines[i].Min(), ratios[i].Average());
        }).ToList();
    }

    /// <summary>Cosine similarity of an exact and an approximate gradient: 1 when both are zero, 0 when only one is.</summary>
    private static double Cosine(ReadOnlySpan<float> exact, ReadOnlySpan<float> approximate)
    {
        double dot = 0;
        for (int j = 0; j < exact.Length; j++)
        {
            dot += (double)exact[j] * approximate[j];
        }
        double ne = Norm(exact), na = Norm(approximate);
        return ne > 0 && na > 0 ? dot / (ne * na) : (ne == na ? 1.0 : 0.0);
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v)
        {
            sum += (double)x * x;
        }
        return Math.Sqrt(sum);
    }
}
