namespace NanoTrain.Core.Plan;

/// <summary>A written plan: its bytes and where each named tensor ended up.</summary>
public sealed class PlanImage
{
    public PlanImage(byte[] bytes, IReadOnlyList<long> spaceSizes, IReadOnlyDictionary<string, int> index, IReadOnlyDictionary<int, int> elements,
        int batch, int classes, IReadOnlyList<string> trainable)
    {
        Bytes = bytes;
        SpaceSizes = spaceSizes;
        Index = index;
        Elements = elements;
        Batch = batch;
        Classes = classes;
        Trainable = trainable;
    }

    public byte[] Bytes { get; }

    /// <summary>Bytes of each space; [0] is the blob; then, in the sequential layout, [1] the parameter state and
    /// [2] the arena, or in a planned layout one space per bank (<see cref="SpaceNames"/>).</summary>
    public IReadOnlyList<long> SpaceSizes { get; }

    /// <summary>Tensor index by name: activations and parameters by their own name, gradients as
    /// "grad:NAME", momentum as "momentum:NAME", and "labels", "loss".</summary>
    public IReadOnlyDictionary<string, int> Index { get; }

    /// <summary>Element count of each tensor index.</summary>
    public IReadOnlyDictionary<int, int> Elements { get; }

    public int Batch { get; }

    public int Classes { get; }

    /// <summary>Names of the parameters in the training section.</summary>
    public IReadOnlyList<string> Trainable { get; }

    /// <summary>Name of each space ("blob", then "state"/"arena" or the banks' names).</summary>
    public IReadOnlyList<string> SpaceNames { get; init; } = [];

    /// <summary>The planner's report for a planned layout; null for the sequential one.</summary>
    public PlanMemory? Memory { get; init; }

    public int Input => Index["input"];

    public int Labels => Index["labels"];

    public int Logits => Index["logits"];

    public int Loss => Index["loss"];
}

/// <summary>One bank of a planned layout: its capacity and the bytes the plan uses in it.</summary>
public sealed record BankUsage(string Name, long Capacity, long Bytes);

/// <summary>A tensor and its (aligned) size.</summary>
public sealed record TensorBytes(string Name, long Bytes);

/// <summary>A placed tensor: bank index (-1 when it fits nowhere), offset, size and the steps it is live.</summary>
public sealed record TensorLife(string Name, int Bank, long Offset, long Bytes, int First, int Last);

/// <summary>
/// What the memory planner did: per-bank bytes, the lower bound (largest total live at one step), the bytes
/// needed when the banks are too small (the same placement in one unbounded bank), the total without reuse, bytes by category, what did not fit, the largest tensors and the bytes live at each step.
/// </summary>
public sealed record PlanMemory(IReadOnlyList<BankUsage> Banks, long LowerBound, long NeededBytes, long NoReuseBytes, IReadOnlyDictionary<string, long> Categories,
    IReadOnlyList<TensorBytes> Unplaced, IReadOnlyList<TensorBytes> Largest, IReadOnlyList<long> LivePerStep, IReadOnlyList<TensorLife> Tensors)
{
    public long ArenaBytes => Banks.Sum(b => b.Bytes);

    /// <summary>Arena over the lower bound; for a plan that does not fit, what it needs (in one bank) over the bound.</summary>
    public double Ratio => LowerBound == 0 ? 1.0 : (double)(Fits ? ArenaBytes : NeededBytes) / LowerBound;

    public bool Fits => Unplaced.Count == 0;

    /// <summary>Tensors written in place over an input of theirs (elementwise ops whose input dies there, and input
    /// gradients written over the output gradient).</summary>
    public int InPlaceTensors { get; init; }

    /// <summary>Of <see cref="InPlaceTensors"/>, the input gradients written over their op's output gradient.</summary>
    public int InPlaceGradients { get; init; }

    /// <summary>Depthwise convs written over their own input through a window of a few input rows.</summary>
    public int InPlaceDepthwise { get; init; }
}
