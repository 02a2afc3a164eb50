using System.Diagnostics;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;

namespace NanoTrain.Native.Training;

/// <summary>Settings of a pretraining run; the defaults are the ones the committed checkpoints used.</summary>
public sealed record PretrainSettings
{
    public int Epochs { get; init; } = 12;
    public int BatchPerWorker { get; init; } = 32;
    public int Workers { get; init; } = 2;
    public float Lr { get; init; } = 0.1f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; } = 4e-5f;
    public ulong Seed { get; init; } = 1;
    /// <summary>Use only this many training images per epoch (0 = all), for quick runs and tests.</summary>
    public int Limit { get; init; }
}

/// <summary>Progress of one pretraining epoch.</summary>
public sealed record EpochReport(int Epoch, int Epochs, long Samples, long Total, double Loss, double TrainAccuracy, double SamplesPerSecond, double? TestAccuracy);

/// <summary>Trains a zoo model from scratch on a dataset's training split: SGD with momentum, cosine learning rate.</summary>
public static class Pretrainer
{
    public static (Dictionary<string, float[]> Weights, double TestAccuracy, double SamplesPerSecond) Run(
        ModelGraph graph, LabeledImages train, LabeledImages test, PretrainSettings settings, bool flip, Action<EpochReport>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        var rng = new SplitMix64(settings.Seed);
        var weights = WeightInit.Initialize(graph, settings.Seed);
        using var trainer = new HostTrainer(graph, weights, settings.BatchPerWorker, settings.Workers);
        var pipeline = new ImagePipeline(graph.Input.H, augment: true, flip: flip);
        int perEpoch = settings.Limit > 0 ? Math.Min(settings.Limit, train.Count) : train.Count;
        int steps = perEpoch / trainer.StepBatch;
        long totalSteps = (long)steps * settings.Epochs;
        long done = 0;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var clock = Stopwatch.StartNew();
        double testAccuracy = 0;
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            for (int s = 0; s < steps; s++)
            {
                float lr = settings.Lr * 0.5f * (1f + MathF.Cos(MathF.PI * done / totalSteps));
                var (loss, hits) = trainer.Step(train, order.AsSpan(s * trainer.StepBatch, trainer.StepBatch), pipeline, rng,
                    new SgdSettings(lr, settings.Momentum, settings.WeightDecay));
                lossSum += loss;
                correct += hits;
                done++;
                if (progress != null && (s % 20 == 19 || s == steps - 1))
                {
                    long seen = (long)(s + 1) * trainer.StepBatch;
                    progress(new EpochReport(epoch, settings.Epochs, seen, (long)steps * trainer.StepBatch,
                        lossSum / (s + 1), (double)correct / seen, done * trainer.StepBatch / clock.Elapsed.TotalSeconds, null));
                }
            }
            bool last = epoch == settings.Epochs;
            if (last || progress != null)
            {
                testAccuracy = trainer.Evaluate(test).Accuracy;
            }
            progress?.Invoke(new EpochReport(epoch, settings.Epochs, (long)steps * trainer.StepBatch, (long)steps * trainer.StepBatch,
                lossSum / Math.Max(1, steps), (double)correct / Math.Max(1, (long)steps * trainer.StepBatch),
                done * trainer.StepBatch / clock.Elapsed.TotalSeconds, testAccuracy));
        }
        return (trainer.ReadWeights(), testAccuracy, done * trainer.StepBatch / clock.Elapsed.TotalSeconds);
    }
}
