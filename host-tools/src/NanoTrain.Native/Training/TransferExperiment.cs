using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>Settings of the transfer experiment (DESIGN.md §9).</summary>
/// <param name="Shots">Training samples per class, e.g. 10, 50, 100.</param>
/// <param name="LearningRates">The learning rates tried on the validation split.</param>
/// <param name="MaxEpochs">Epochs tried: 1..MaxEpochs (each measured on the validation split after it ends).</param>
/// <param name="ValidationShare">Share of each class's training samples held out for validation (at least one).</param>
/// <param name="Seed">Seed of the sample choice and of the training order.</param>
public sealed record TransferSettings(IReadOnlyList<int> Shots, IReadOnlyList<float> LearningRates, int MaxEpochs, double ValidationShare, ulong Seed);

/// <summary>One method at one number of shots: the settings chosen on validation and the held-out top-1.</summary>
/// <param name="Variant">Which of the method's plan variants was chosen (e.g. its int8 learning-rate scale).</param>
public sealed record TransferCell(int Shots, float Lr, float Variant, int Epochs, double Validation, double Before, double After);

/// <summary>
/// Adapts a plan to a new task with few samples per class, on the host build of the engine, the way the device
/// trains (one SGD step per sample): the learning rate and the number of epochs are chosen on a validation split
/// carved from the training samples, then the plan trains on all of them and is measured on the test split.
/// </summary>
public static class TransferExperiment
{
    /// <summary>
    /// <paramref name="perClass"/> samples of each class of <paramref name="data"/>, chosen with <paramref name="seed"/>,
    /// split into training and validation samples (the last share of each class's choice).
    /// </summary>
    public static (int[] Fit, int[] Validation) Choose(LabeledImages data, int perClass, double validationShare, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (perClass < 2)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{perClass} samples per class leave none to validate on; give at least 2");
        }
        var fit = new List<int>();
        var validation = new List<int>();
        int held = Math.Clamp((int)Math.Round(perClass * validationShare), 1, perClass - 1);
        foreach (var mine in data.PerClassIndices(perClass, seed))
        {
            fit.AddRange(mine.Take(perClass - held));
            validation.AddRange(mine.Skip(perClass - held));
        }
        return (fit.ToArray(), validation.ToArray());
    }

    /// <summary>
    /// Runs every number of shots for one method, whose <paramref name="variants"/> (a setting baked into the plan, such
    /// as the int8 learning-rate scale, and the plan made with it) are chosen among on validation like the learning
    /// rate; <paramref name="test"/> is never used to choose anything.
    /// </summary>
    /// <param name="elastic">For methods that choose their tensors at run time: the selection and the board's costs.</param>
    public static IReadOnlyList<TransferCell> Run(IReadOnlyList<(float Variant, PlanImage Plan)> variants, LabeledImages train, LabeledImages test, TransferSettings settings,
        IProgressSink? progress = null, string label = "", HostElastic? elastic = null)
    {
        ArgumentNullException.ThrowIfNull(variants);
        if (variants.Count == 0)
        {
            throw new ArgumentException("no plan to run", nameof(variants));
        }
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        progress ??= NullProgressSink.Instance;
        if (settings.MaxEpochs < 1 || settings.LearningRates.Count == 0 || settings.LearningRates.Any(lr => !(lr > 0 && lr <= 16)))
        {
            throw new NanoTrainException(ErrorKind.Usage, "the experiment needs at least one epoch and learning rates within (0, 16]");
        }
        double before;
        using (var fresh = new PlanSession(variants[0].Plan))
        {
            before = fresh.Accuracy(test);
        }
        var cells = new List<TransferCell>();
        foreach (int shots in settings.Shots)
        {
            var (fit, validation) = Choose(train, shots, settings.ValidationShare, settings.Seed + (ulong)shots);
            // Every variant and learning rate from the plan's start, the epochs one after another; validation after each.
            int rates = settings.LearningRates.Count, configs = variants.Count * rates;
            var scores = new double[configs, settings.MaxEpochs];
            int done = 0;
            Parallel.For(0, configs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
            {
                using var session = new PlanSession(variants[k / rates].Plan, elastic);
                for (int e = 0; e < settings.MaxEpochs; e++)
                {
                    session.Train(train, Epoch(fit, settings.Seed, e), settings.LearningRates[k % rates]);
                    scores[k, e] = session.Accuracy(train, validation);
                    progress.Progress($"{label} {shots}/class: settings x epochs on validation", Interlocked.Increment(ref done), configs * settings.MaxEpochs);
                }
            });
            // The best validation top-1; ties go to fewer epochs, then the first variant and the smaller rate.
            int bestK = 0, bestE = 0;
            for (int e = 0; e < settings.MaxEpochs; e++)
            {
                for (int k = 0; k < configs; k++)
                {
                    if (scores[k, e] > scores[bestK, bestE])
                    {
                        (bestK, bestE) = (k, e);
                    }
                }
            }
            var (variant, plan) = variants[bestK / rates];
            float lr = settings.LearningRates[bestK % rates];
            var all = fit.Concat(validation).ToArray();
            using var final = new PlanSession(plan, elastic);
            for (int e = 0; e <= bestE; e++)
            {
                final.Train(train, Epoch(all, settings.Seed, e), lr);
            }
            double after = final.Accuracy(test);
            progress.Info($"{label} {shots}/class: lr {lr}{(variants.Count > 1 ? $" (variant {variant})" : "")}, {bestE + 1} epoch(s) (validation {scores[bestK, bestE]:P1}): top-1 {before:P1} -> {after:P1}");
            cells.Add(new TransferCell(shots, lr, variant, bestE + 1, scores[bestK, bestE], before, after));
        }
        return cells;
    }

    /// <summary>The samples of epoch <paramref name="epoch"/> in their order (shuffled per epoch).</summary>
    private static int[] Epoch(int[] samples, ulong seed, int epoch)
    {
        var order = (int[])samples.Clone();
        new SplitMix64(seed * 7919 + (ulong)epoch).Shuffle(order);
        return order;
    }
}
