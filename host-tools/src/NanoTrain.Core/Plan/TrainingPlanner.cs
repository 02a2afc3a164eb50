using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Core.Plan;

/// <summary>How a model is trained on the device; each method decides what is trainable and in which form.</summary>
public enum TrainingMethod
{
    /// <summary>Every weight and bias, fp32 (batch norm folded into the convs).</summary>
    Full,

    /// <summary>The int8 backbone frozen in flash, the classifier in fp32 in SRAM.</summary>
    LastLayer,

    /// <summary>Every bias, fp32; weights frozen in flash.</summary>
    BiasOnly,

    /// <summary>
    /// Gradient condensing (TinyMP, DESIGN.md §6.2): the int8 network, whose deepest convs train in int8 with
    /// quantization-aware scaling from condensed gradients, and the classifier in fp32.
    /// </summary>
    Gc,

    /// <summary>
    /// TinyMP: <see cref="Gc"/> with alternant partial update (DESIGN.md §6.3): each round only the filters whose
    /// outputs drifted furthest from the source task's statistics, damped so that the set rotates, are updated.
    /// </summary>
    GcApu,

    /// <summary>
    /// Sparse update (MCUNetV3, DESIGN.md §6.1): the int8 network with exact gradients, training in int8 with
    /// quantization-aware scaling only the biases and weights an offline contribution analysis chose under the
    /// memory budget (SparseSelection, in NanoTrain.Native), and the classifier in fp32.
    /// </summary>
    SparseUpdate,

    /// <summary>
    /// Gradient filtering (GF, CVPR'23, DESIGN.md §6.1): <see cref="Gc"/>'s int8 training with the output gradient
    /// averaged over r x r patches instead of whole maps, each conv keeping per patch the sum of its input under the
    /// centre tap (the input summed over the patch), which every tap's weight gradient shares.
    /// </summary>
    GradientFilter,

    /// <summary>
    /// Elastic tensor selection (ElasticTrainer, DESIGN.md §6.4): the int8 network with exact gradients, where the
    /// device keeps choosing, at run time, the most important of every conv's weights and biases and the classifier's
    /// that fit a share rho of a full step (nanotrain run --rho); the plan holds what any choice needs.
    /// </summary>
    Elastic,

    /// <summary>
    /// nanoTrain's own method (DESIGN.md §6.6): gc-apu's condensed, alternately updated int8 convs, of which the device
    /// trains, at run time, the tensors elastic selection chooses within rho of a full step.
    /// </summary>
    NanoTrain,
}

/// <summary>A planned training configuration for a board: the plan, its memory report and what it is compared with.</summary>
/// <param name="Plan">The plan, laid out in the board's banks.</param>
/// <param name="KeepEverythingBytes">SRAM if every fp32 activation and gradient of the same method were kept (what a
/// framework training the model this way would hold), with the trainable parameters.</param>
/// <param name="StackReserve">Bytes kept out of the stack's bank for the stack and the firmware's own data.</param>
/// <param name="Budget">The SRAM budget asked for (the board's SRAM when none was given).</param>
public sealed record TrainingPlan(PlanImage Plan, TrainingMethod Method, BoardDescriptor? Board, long KeepEverythingBytes, long StackReserve, long Budget)
{
    public PlanMemory Memory => Plan.Memory!;

    /// <summary>Flash the plan needs: the whole file (tables and frozen weights), linked into the image.</summary>
    public long FlashBytes => Plan.Bytes.Length;

    public bool FitsSram => Memory.Fits && Memory.ArenaBytes <= Budget;

    public bool FitsFlash => Board == null || FlashBytes + TrainingPlanner.FirmwareFlashReserve <= Board.Flash.Size;

    public bool Fits => FitsSram && FitsFlash;

    /// <summary>For gc: how many of the deepest int8 convs train (0 otherwise).</summary>
    public int TrainedConvs { get; init; }

    /// <summary>For gc and gc-apu: the int8 convs' learning rate over the classifier's.</summary>
    public float Int8LrScale { get; init; } = 1f;

    /// <summary>For gc-apu: its alternant update.</summary>
    public AlternantUpdate? Apu { get; init; }

    /// <summary>For sparse-update: the int8 tensors it trains (besides the classifier).</summary>
    public IReadOnlyList<string> SparseTensors { get; init; } = [];

    /// <summary>For the condensing methods: the side of the patches gradients are averaged over (0: whole maps).</summary>
    public int Patch { get; init; }
}

/// <summary>Builds device plans for a method and a board with the memory planner (DESIGN.md §7).</summary>
public static class TrainingPlanner
{
    /// <summary>Bytes of the stack's bank kept for the firmware's own statics (buffers, executor state), besides the stack.</summary>
    public const long FirmwareRamReserve = 16 * 1024;

    /// <summary>
    /// gc's default depth: the trailing convs whose output maps have at most this many positions (2x2). On larger
    /// maps the per-channel mean is a coarser gradient (`nanotrain diagnose gc`) and training from it at the same
    /// learning rate overshoots (mbv2-w0.35 on openmv-h7, lr 0.005, 100 MNIST samples: the 21 deepest convs reach
    /// 22% top-1 from 15%, the 32 on maps up to 3x3 fall to 8%).
    /// </summary>
    public const int MaxCondensedPositions = 4;

    /// <summary>Flash kept for the firmware's code.</summary>
    public const long FirmwareFlashReserve = 128 * 1024;

    public static TrainingMethod ParseMethod(string name) =>
        Enum.GetValues<TrainingMethod>().Where(m => NameOf(m) == name).Cast<TrainingMethod?>().FirstOrDefault()
        ?? throw new NanoTrainException(ErrorKind.Usage, $"unknown method '{name}'; methods: {MethodNames}");

    public static string NameOf(TrainingMethod method) => method switch
    {
        TrainingMethod.Full => "full",
        TrainingMethod.LastLayer => "last-layer",
        TrainingMethod.BiasOnly => "bias-only",
        TrainingMethod.Gc => "gc",
        TrainingMethod.GcApu => "gc-apu",
        TrainingMethod.SparseUpdate => "sparse-update",
        TrainingMethod.GradientFilter => "gradient-filter",
        TrainingMethod.Elastic => "elastic",
        TrainingMethod.NanoTrain => "nanotrain",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>The methods' names, for help and errors.</summary>
    public static string MethodNames => string.Join(", ", Enum.GetValues<TrainingMethod>().Select(NameOf));

    /// <summary>Methods that train the int8 network (and so need the int8 model).</summary>
    public static bool UsesInt8(TrainingMethod method) => method is TrainingMethod.LastLayer || TrainsInt8Convs(method);

    /// <summary>Methods that train int8 convs at the int8 learning-rate scale.</summary>
    public static bool TrainsInt8Convs(TrainingMethod method) => method is TrainingMethod.SparseUpdate or TrainingMethod.Elastic || Condenses(method);

    /// <summary>Methods that train int8 convs from condensed gradients (whole maps or patches).</summary>
    public static bool Condenses(TrainingMethod method) => method is TrainingMethod.Gc or TrainingMethod.GcApu or TrainingMethod.GradientFilter or TrainingMethod.NanoTrain;

    /// <summary>Methods whose plans reserve elastic selection's workspace: the device chooses what trains at run time.</summary>
    public static bool Selects(TrainingMethod method) => method is TrainingMethod.Elastic or TrainingMethod.NanoTrain;

    /// <summary>Methods with alternant partial update (and so the source task's statistics).</summary>
    public static bool Alternates(TrainingMethod method) => method is TrainingMethod.GcApu or TrainingMethod.NanoTrain;

    /// <summary>gradient-filter's patch side when none is given: 2x2 patches, the paper's finest setting.</summary>
    public const int DefaultFilterPatch = 2;

    /// <summary>
    /// The patch side a condensing method runs with: <paramref name="patch"/>, or for 0 whole maps (gradient-filter:
    /// <see cref="DefaultFilterPatch"/>). Refuses 1 (the exact gradient), negative sides and patches for the other methods.
    /// </summary>
    public static int CheckPatch(TrainingMethod method, int patch)
    {
        if (patch < 0 || patch == 1 || (patch > 0 && !Condenses(method)))
        {
            throw new NanoTrainException(ErrorKind.Usage, patch > 1
                ? $"--patch is for the condensing methods (gc, gc-apu, gradient-filter, nanotrain), not {NameOf(method)}"
                : $"--patch {patch}: give 0 (whole maps) or a side of at least 2 (1 is the exact gradient: full or sparse-update)");
        }
        return method == TrainingMethod.GradientFilter && patch == 0 ? DefaultFilterPatch : patch;
    }

    /// <summary>The banks the arena may use, largest first; the stack's bank loses the stack and the firmware's reserve.</summary>
    public static IReadOnlyList<PlannerBank> BanksOf(BoardDescriptor board)
    {
        ArgumentNullException.ThrowIfNull(board);
        return board.Banks
            .Select(b => new PlannerBank(b.Name, b.Name == board.StackBank ? Math.Max(0, (long)b.Size - board.StackSize - FirmwareRamReserve) : b.Size))
            .OrderByDescending(b => b.Capacity)
            .ToList();
    }

    /// <summary>
    /// Plans <paramref name="method"/> for <paramref name="board"/> (or for the host: one unbounded "arena" bank when
    /// null). <paramref name="int8"/> is needed by last-layer and gc. <paramref name="budget"/> caps the SRAM (0: the
    /// board's). <paramref name="trainConvs"/> is how many of the deepest convs gc trains (0: those on small maps, as
    /// many as fit; see <see cref="MaxCondensedPositions"/>). <paramref name="apu"/> is gc-apu's alternant update;
    /// <paramref name="int8LrScale"/> the int8 convs' learning rate over the classifier's (gc, gc-apu, sparse-update);
    /// <paramref name="sparse"/> the int8 tensors sparse-update trains (conv.w.s8, conv.b.s32; see SparseSelection);
    /// <paramref name="patch"/> the side of the r x r patches the condensing methods average gradients over (0: whole
    /// maps for gc and gc-apu, <see cref="DefaultFilterPatch"/> for gradient-filter).
    /// </summary>
    public static TrainingPlan Plan(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, QuantizedModel? int8, TrainingMethod method,
        BoardDescriptor? board, long budget = 0, int trainConvs = 0, AlternantUpdate? apu = null, float int8LrScale = 1f, IReadOnlyCollection<string>? sparse = null,
        int patch = 0)
    {
        patch = CheckPatch(method, patch);
        if (method == TrainingMethod.Elastic)
        {
            // Every conv's weights and bias are candidates.
            var all = (int8 ?? throw new NanoTrainException(ErrorKind.Usage, "elastic needs the int8 model")).Ops.OfType<QuantizedConv>();
            sparse = [.. all.SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" })];
        }
        if (method == TrainingMethod.SparseUpdate && sparse == null)
        {
            throw new NanoTrainException(ErrorKind.Usage, "sparse-update needs the tensors it trains (from the contribution analysis, or --sparse-tensors)");
        }
        if (!(int8LrScale > 0 && int8LrScale <= 1000))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"int8 learning-rate scale {int8LrScale} is outside (0, 1000]");
        }
        if (Alternates(method) && apu == null)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{NameOf(method)} needs the source task's statistics (alternant update settings)");
        }
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        if (budget < 0)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"budget {budget} is negative");
        }
        if (trainConvs < 0)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"train-convs {trainConvs} is negative");
        }
        var banks = board == null ? [new PlannerBank("arena", long.MaxValue / 4)] : BanksOf(board);
        long stackReserve = board == null ? 0 : board.StackSize + FirmwareRamReserve;
        long sram = board == null ? long.MaxValue : banks.Sum(b => b.Capacity);
        long limit = budget > 0 ? Math.Min(budget, sram) : sram;
        var options = new PlanOptions { FoldBatchNorm = true, Board = board?.Id ?? "", Banks = banks };
        if (UsesInt8(method))
        {
            var q = int8 ?? throw new NanoTrainException(ErrorKind.Usage, $"{NameOf(method)} needs the int8 model");
            var classifier = ClassifierOf(graph, weights);
            var convs = q.Ops.OfType<QuantizedConv>().ToList();
            HashSet<string> Deepest(int depth) => convs.Skip(convs.Count - depth).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            TrainingPlan Make(int depth)
            {
                var trainable = Deepest(depth).SelectMany(c => new[] { c + ".w.s8", c + ".b.s32" }).Concat(["fc.w", "fc.b"]).ToHashSet(StringComparer.Ordinal);
                var plan = PlanWriter.WriteInt8WithFp32Classifier(q, classifier, options with
                {
                    Trainable = trainable, Condense = Condenses(method), Apu = Alternates(method) ? apu : null, Int8LrScale = int8LrScale,
                    Patch = patch, CentreSums = method == TrainingMethod.GradientFilter, Elastic = Selects(method),
                });
                return new TrainingPlan(plan, method, board, 0, stackReserve, limit)
                {
                    TrainedConvs = depth, Apu = Alternates(method) ? apu : null, Int8LrScale = int8LrScale, Patch = patch,
                };
            }
            if (method is TrainingMethod.SparseUpdate or TrainingMethod.Elastic && sparse != null)
            {
                var known = convs.SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }).ToHashSet(StringComparer.Ordinal);
                var unknown = sparse.FirstOrDefault(t => !known.Contains(t));
                if (unknown != null)
                {
                    throw new NanoTrainException(ErrorKind.Usage, $"sparse-update: '{unknown}' is not an int8 conv's weight (CONV.w.s8) or bias (CONV.b.s32) of {q.Name}");
                }
                var trainable = sparse.Concat(["fc.w", "fc.b"]).ToHashSet(StringComparer.Ordinal);
                var sparsePlan = PlanWriter.WriteInt8WithFp32Classifier(q, classifier, options with
                {
                    Trainable = trainable, Condense = false, Int8LrScale = int8LrScale, Elastic = Selects(method),
                });
                var fp32Names = graph.Layers.OfType<ConvLayer>().SelectMany(c => new[] { (c.Name + ".w.s8", c.Weight), (c.Name + ".b.s32", FoldedBias(c)) })
                    .Where(p => sparse.Contains(p.Item1)).Select(p => p.Item2).Concat(TrainableOf(graph, TrainingMethod.LastLayer)!).ToHashSet(StringComparer.Ordinal);
                return new TrainingPlan(sparsePlan, method, board, KeepEverything(graph, weights, fp32Names), stackReserve, limit)
                {
                    Int8LrScale = int8LrScale, SparseTensors = [.. sparse.Order(StringComparer.Ordinal)],
                };
            }
            TrainingPlan best;
            if (method == TrainingMethod.LastLayer)
            {
                best = Make(0);
            }
            else if (trainConvs > 0)
            {
                best = Make(Math.Min(trainConvs, convs.Count));
            }
            else
            {
                // Condensing is exact where the output map (or patch) is one position and close where it is small: by
                // default the trailing convs whose outputs have at most MaxCondensedPositions positions per patch, as
                // many of them as fit (the memory grows with the depth: binary search), at least one.
                int Side(int side) => patch > 0 ? Math.Min(side, patch) : side;
                int small = convs.AsEnumerable().Reverse().TakeWhile(c => Side(q.Shapes[c.Output].H) * Side(q.Shapes[c.Output].W) <= MaxCondensedPositions).Count();
                int lo = 1, hi = Math.Max(1, small);
                best = Make(1);
                while (lo < hi && best.FitsSram)
                {
                    int mid = (lo + hi + 1) / 2;
                    var tryPlan = Make(mid);
                    if (tryPlan.FitsSram)
                    {
                        lo = mid;
                        best = tryPlan;
                    }
                    else
                    {
                        hi = mid - 1;
                    }
                }
            }
            // Compared with fp32 training of the same parameters keeping everything.
            var trained = Deepest(best.TrainedConvs);
            var fp32 = TrainableOf(graph, TrainingMethod.LastLayer)!.Concat(graph.Layers.OfType<ConvLayer>().Where(c => trained.Contains(c.Name))
                .SelectMany(c => new[] { c.Weight, FoldedBias(c) })).ToHashSet(StringComparer.Ordinal);
            return best with { KeepEverythingBytes = KeepEverything(graph, weights, fp32) };
        }
        var written = PlanWriter.Write(graph, weights, options with { Trainable = TrainableOf(graph, method) });
        return new TrainingPlan(written, method, board, KeepEverything(graph, weights, TrainableOf(graph, method)), stackReserve, limit);
    }

    /// <summary>The parameter names a method trains in the fp32 (folded) graph; null for all.</summary>
    public static IReadOnlySet<string>? TrainableOf(ModelGraph graph, TrainingMethod method)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var fc = graph.Layers.OfType<FcLayer>().Last();
        return method switch
        {
            TrainingMethod.Full => null,
            TrainingMethod.LastLayer => new HashSet<string>(StringComparer.Ordinal) { fc.Weight, fc.Bias },
            TrainingMethod.BiasOnly => graph.Layers.OfType<ConvLayer>().Select(FoldedBias).Append(fc.Bias).ToHashSet(StringComparer.Ordinal),
            _ => throw new ArgumentOutOfRangeException(nameof(method), $"{NameOf(method)} trains the int8 network; its parameters depend on the depth"),
        };
    }

    /// <summary>A conv's bias in the folded graph: its own, or the one folding batch norm in gives it (CONV.b).</summary>
    private static string FoldedBias(ConvLayer conv) => conv.Bias ?? conv.Name + ".b";

    /// <summary>Every fp32 activation and its gradient kept, with the trainable parameters (fp32 names; null: all) and their gradients.</summary>
    public static long KeepEverything(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, IReadOnlySet<string>? trainable)
    {
        var sequential = PlanWriter.Write(graph, weights, new PlanOptions { FoldBatchNorm = true, Trainable = trainable });
        // Space 1: trainable parameters; space 2: every activation, its gradient, parameter gradients, labels and loss.
        return sequential.SpaceSizes[1] + sequential.SpaceSizes[2];
    }

    private static Dictionary<string, float[]> ClassifierOf(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights)
    {
        var fc = graph.Layers.OfType<FcLayer>().Last();
        return new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["fc.w"] = weights.TryGetValue(fc.Weight, out var w) ? w : throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: no weights for '{fc.Weight}'"),
            ["fc.b"] = weights.TryGetValue(fc.Bias, out var b) ? b : throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: no weights for '{fc.Bias}'"),
        };
    }
}
