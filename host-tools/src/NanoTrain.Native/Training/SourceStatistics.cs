using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;

namespace NanoTrain.Native.Training;

/// <summary>
/// The source task's per-channel statistics of an int8 model's conv outputs, which alternant partial update measures
/// drift against: for each channel, the mean and standard deviation over source images of the image's spatial mean
/// (real units, from the int8 values the device computes: the same statistic it gathers).
/// </summary>
public static class SourceStatistics
{
    /// <summary>Source images gc-apu's statistics are measured on by default (the pretraining set, seed 1).</summary>
    public const int Samples = 256;

    public static Dictionary<string, ChannelStatistics> Measure(QuantizedModel model, LabeledImages data, int samples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (samples < 2 || samples > data.Count)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"source statistics need 2..{data.Count} samples of {data.Name}, asked for {samples}");
        }
        var order = Enumerable.Range(0, data.Count).ToArray();
        new SplitMix64(seed).Shuffle(order);
        var convs = model.Ops.OfType<QuantizedConv>().Select(c => c.Output).ToList();
        var pipeline = new ImagePipeline(model.Shapes["input"].H);
        // Per image, per conv output: the channel means.
        var means = new float[samples][][];
        Parallel.For(0, samples, s =>
        {
            var acts = Int8Simulator.Activations(model, data.Image(order[s]), pipeline);
            means[s] = convs.Select(name =>
            {
                var (h, w, c) = model.Shapes[name];
                var q = model.Activations[name];
                var y = acts[name];
                var m = new float[c];
                for (int p = 0; p < h * w; p++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        m[ch] += y[(p * c) + ch];
                    }
                }
                for (int ch = 0; ch < c; ch++)
                {
                    m[ch] = q.Scale * ((m[ch] / (h * w)) - q.ZeroPoint);
                }
                return m;
            }).ToArray();
        });
        var result = new Dictionary<string, ChannelStatistics>(StringComparer.Ordinal);
        for (int k = 0; k < convs.Count; k++)
        {
            int c = model.Shapes[convs[k]].C;
            var mean = new float[c];
            var std = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0, sq = 0;
                for (int s = 0; s < samples; s++)
                {
                    double v = means[s][k][ch];
                    sum += v;
                    sq += v * v;
                }
                double mu = sum / samples;
                mean[ch] = (float)mu;
                std[ch] = (float)Math.Sqrt(Math.Max(0, (sq / samples) - (mu * mu)) * samples / (samples - 1));
            }
            result[convs[k]] = new ChannelStatistics(mean, std);
        }
        return result;
    }
}
