using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Native.Training;

/// <summary>One int8 tensor's contribution: top-1 on the proxy task after training it (and the classifier) alone, less the classifier's alone.</summary>
public sealed record SparseContribution(string Tensor, double Accuracy, double Gain);

/// <summary>What the contribution analysis measured and chose.</summary>
/// <param name="Baseline">Proxy top-1 with the classifier alone trained.</param>
/// <param name="Contributions">Every candidate, largest gain first.</param>
/// <param name="Chosen">The tensors chosen, in the order they were added.</param>
/// <param name="Plan">The plan of the chosen set for the board and budget.</param>
public sealed record SparseScheme(double Baseline, IReadOnlyList<SparseContribution> Contributions, IReadOnlyList<string> Chosen, TrainingPlan Plan);

/// <summary>
/// MCUNetV3's offline choice of what sparse update trains (DESIGN.md §6.1), on the host build of the engine:
/// contribution analysis trains each int8 conv's bias, and each int8 conv's weights, alone with the classifier on a
/// proxy task and measures the top-1 gained over the classifier alone; then the tensors are added by gain, largest
/// first, each kept when the plan of the set still fits the memory budget. Whole tensors (MCUNetV3 may also take a
/// share of a layer's channels).
/// </summary>
public static class SparseSelection
{
    /// <summary>Proxy training samples (one epoch) and proxy evaluation samples, from the proxy set's training split.</summary>
    public const int ProxyFit = 200, ProxyEval = 300;

    /// <summary>Seed of the proxy samples' choice.</summary>
    public const ulong Seed = 11;

    /// <summary>The learning rate of the analysis and the int8 convs' share of it.</summary>
    public const float Lr = 0.1f, Int8LrScale = 0.1f;

    public static SparseScheme Choose(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, QuantizedModel int8, LabeledImages proxy,
        BoardDescriptor board, long budget, ulong seed, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(int8);
        ArgumentNullException.ThrowIfNull(proxy);
        progress ??= NullProgressSink.Instance;
        if (proxy.Count < ProxyFit + ProxyEval)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{proxy.Name} has {proxy.Count} samples; the contribution analysis needs {ProxyFit + ProxyEval}");
        }
        var order = Enumerable.Range(0, proxy.Count).ToArray();
        new SplitMix64(seed).Shuffle(order);
        var fit = order.Take(ProxyFit).ToArray();
        var eval = order.Skip(ProxyFit).Take(ProxyEval).ToArray();
        var candidates = int8.Ops.OfType<QuantizedConv>().SelectMany(c => new[] { c.Name + ".b.s32", c.Name + ".w.s8" }).ToList();
        double Score(IReadOnlyCollection<string> tensors)
        {
            var plan = TrainingPlanner.Plan(graph, weights, int8, TrainingMethod.SparseUpdate, null, int8LrScale: Int8LrScale, sparse: tensors);
            using var session = new PlanSession(plan.Plan);
            session.Train(proxy, fit, Lr);
            return session.Accuracy(proxy, eval);
        }
        progress.Info($"sparse update: contribution of {candidates.Count} int8 tensors on {proxy.Name} ({ProxyFit} samples trained, {ProxyEval} measured)");
        double baseline = Score([]);
        var accuracy = new double[candidates.Count];
        int done = 0;
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            accuracy[i] = Score([candidates[i]]);
            progress.Progress("contribution analysis", Interlocked.Increment(ref done), candidates.Count);
        });
        var contributions = candidates.Select((t, i) => new SparseContribution(t, accuracy[i], accuracy[i] - baseline))
            .OrderByDescending(c => c.Gain).ThenBy(c => c.Tensor, StringComparer.Ordinal).ToList();
        var chosen = new List<string>();
        var best = TrainingPlanner.Plan(graph, weights, int8, TrainingMethod.SparseUpdate, board, budget, sparse: chosen);
        if (!best.Fits)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"sparse update: even the classifier alone does not fit {board.Id} within {budget} bytes");
        }
        foreach (var c in contributions.Where(c => c.Gain > 0))
        {
            var plan = TrainingPlanner.Plan(graph, weights, int8, TrainingMethod.SparseUpdate, board, budget, sparse: [.. chosen, c.Tensor]);
            if (plan.Fits)
            {
                chosen.Add(c.Tensor);
                best = plan;
            }
        }
        progress.Info($"sparse update: {chosen.Count} tensors chosen within {best.Budget:N0} bytes ({best.Memory.ArenaBytes:N0} planned)");
        return new SparseScheme(baseline, contributions, chosen, best);
    }
}
