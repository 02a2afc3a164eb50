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
}

/// <summary>Builds device plans for a method and a board with the memory planner (DESIGN.md §7).</summary>
public static class TrainingPlanner
{
    /// <summary>Bytes of the stack's bank kept for the firmware's own statics (buffers, executor state), besides the stack.</summary>
    public const long FirmwareRamReserve = 16 * 1024;

    /// <summary>Flash kept for the firmware's code.</summary>
    public const long FirmwareFlashReserve = 128 * 1024;

    public static TrainingMethod ParseMethod(string name) => name switch
    {
        "full" => TrainingMethod.Full,
        "last-layer" => TrainingMethod.LastLayer,
        "bias-only" => TrainingMethod.BiasOnly,
        _ => throw new NanoTrainException(ErrorKind.Usage, $"unknown method '{name}'; methods: full, last-layer, bias-only"),
    };

    public static string NameOf(TrainingMethod method) => method switch
    {
        TrainingMethod.Full => "full",
        TrainingMethod.LastLayer => "last-layer",
        TrainingMethod.BiasOnly => "bias-only",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

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
    /// null). <paramref name="int8"/> is needed by last-layer. <paramref name="budget"/> caps the SRAM (0: the board's).
    /// </summary>
    public static TrainingPlan Plan(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, QuantizedModel? int8, TrainingMethod method,
        BoardDescriptor? board, long budget = 0)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        if (budget < 0)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"budget {budget} is negative");
        }
        var banks = board == null ? [new PlannerBank("arena", long.MaxValue / 4)] : BanksOf(board);
        var options = new PlanOptions { FoldBatchNorm = true, Board = board?.Id ?? "", Banks = banks, Trainable = TrainableOf(graph, method) };
        PlanImage plan = method == TrainingMethod.LastLayer
            ? PlanWriter.WriteInt8WithFp32Classifier(int8 ?? throw new NanoTrainException(ErrorKind.Usage, "last-layer needs the int8 model"),
                ClassifierOf(graph, weights), options)
            : PlanWriter.Write(graph, weights, options);
        long stackReserve = board == null ? 0 : board.StackSize + FirmwareRamReserve;
        long sram = board == null ? long.MaxValue : banks.Sum(b => b.Capacity);
        return new TrainingPlan(plan, method, board, KeepEverything(graph, weights, method), stackReserve, budget > 0 ? Math.Min(budget, sram) : sram);
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
            // Folding gives every conv followed by batch norm a bias named CONV.b.
            TrainingMethod.BiasOnly => graph.Layers.OfType<ConvLayer>().Select(c => c.Bias ?? c.Name + ".b").Append(fc.Bias).ToHashSet(StringComparer.Ordinal),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    /// <summary>Every fp32 activation and its gradient kept, with the method's trainable parameters and their gradients.</summary>
    public static long KeepEverything(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, TrainingMethod method)
    {
        var sequential = PlanWriter.Write(graph, weights, new PlanOptions { FoldBatchNorm = true, Trainable = TrainableOf(graph, method) });
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
