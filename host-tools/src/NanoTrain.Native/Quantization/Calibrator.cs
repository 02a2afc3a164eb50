using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Quantization;

/// <summary>
/// Calibration for post-training quantization: runs the fp32 device form of a model (batch norm folded) on
/// calibration images and records each activation's range, either its min/max or two-sided percentiles.
/// </summary>
public static class Calibrator
{
    private const int Batch = 32;
    private const int ValuesPerSample = 64;

    /// <param name="percentile">null for min/max; else e.g. 99.99 to clip the range at that percentile of |values|.</param>
    public static Dictionary<string, (float Min, float Max)> Calibrate(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights,
        LabeledImages data, int samples, double? percentile, ulong seed, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        if (samples < 1 || samples > data.Count)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"calibration needs 1..{data.Count} samples of {data.Name}, asked for {samples}");
        }
        if (percentile is double p && (p <= 50 || p > 100))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"percentile {p} is outside (50, 100]");
        }
        var plan = PlanWriter.Write(graph, weights, new PlanOptions { Batch = Batch, FoldBatchNorm = true });
        var names = graph.Activations.Select(a => a.Name).Where(plan.Index.ContainsKey).ToList();
        var rng = new SplitMix64(seed);
        var order = Enumerable.Range(0, data.Count).ToArray();
        rng.Shuffle(order);
        var min = names.ToDictionary(n => n, _ => float.PositiveInfinity);
        var max = names.ToDictionary(n => n, _ => float.NegativeInfinity);
        var kept = names.ToDictionary(n => n, _ => new List<float>());
        var pipeline = new ImagePipeline(graph.Input.H);
        int elementsIn = graph.Input.Elements;
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        for (int start = 0; start < samples; start += Batch)
        {
            int count = Math.Min(Batch, samples - start);
            var input = exec.Floats(plan.Input, Batch * elementsIn);
            input.Clear();
            for (int s = 0; s < count; s++)
            {
                var slice = input.Slice(s * elementsIn, elementsIn);
                pipeline.Render(data.Image(order[start + s]), slice);
            }
            exec.Forward();
            foreach (string name in names)
            {
                int n = plan.Elements[plan.Index[name]] / Batch;
                var values = exec.Floats(plan.Index[name], Batch * n);
                for (int s = 0; s < count; s++)
                {
                    var row = values.Slice(s * n, n);
                    for (int i = 0; i < row.Length; i++)
                    {
                        float v = row[i];
                        if (!float.IsFinite(v))
                        {
                            throw new NanoTrainException(ErrorKind.BadInput,
                                $"calibration sample {order[start + s]} of {data.Name}: activation '{name}' is {v} at element {i}");
                        }
                        min[name] = Math.Min(min[name], v);
                        max[name] = Math.Max(max[name], v);
                    }
                    if (percentile != null)
                    {
                        for (int t = 0; t < Math.Min(ValuesPerSample, n); t++)
                        {
                            kept[name].Add(row[(int)rng.NextBelow((ulong)n)]);
                        }
                    }
                }
            }
            progress?.Progress("calibrating", start + count, samples);
        }
        var ranges = new Dictionary<string, (float, float)>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (percentile is double q && kept[name].Count > 0)
            {
                var sorted = kept[name].Order().ToArray();
                float lo = sorted[(int)Math.Floor((100 - q) / 100 * (sorted.Length - 1))];
                float hi = sorted[(int)Math.Ceiling(q / 100 * (sorted.Length - 1))];
                ranges[name] = (Math.Max(lo, min[name]), Math.Min(hi, max[name]));
            }
            else
            {
                ranges[name] = (min[name], max[name]);
            }
        }
        return ranges;
    }
}
