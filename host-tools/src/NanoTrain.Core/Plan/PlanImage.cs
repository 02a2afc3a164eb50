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

    /// <summary>Bytes of each space; [0] is the blob, [1] the parameter state, [2] the arena.</summary>
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

    public int Input => Index["input"];

    public int Labels => Index["labels"];

    public int Logits => Index["logits"];

    public int Loss => Index["loss"];
}
