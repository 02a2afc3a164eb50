namespace NanoTrain.Core.Data;

/// <summary>A split of a dataset in memory: uint8 images (row-major, 28×28) and their labels.</summary>
public sealed class LabeledImages
{
    public LabeledImages(string name, int classes, byte[] labels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != labels.Length * DatasetSpec.ImageBytes)
        {
            throw new ArgumentException($"{labels.Length} labels need {labels.Length * DatasetSpec.ImageBytes} pixel bytes, got {pixels.Length}", nameof(pixels));
        }
        Name = name;
        Classes = classes;
        Labels = labels;
        Pixels = pixels;
    }

    /// <summary>"mnist/train" and so on.</summary>
    public string Name { get; }

    public int Classes { get; }

    public int Count => Labels.Length;

    public byte[] Labels { get; }

    /// <summary>Count × 784 bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * DatasetSpec.ImageBytes, DatasetSpec.ImageBytes);

    /// <summary>
    /// <paramref name="count"/> images spread evenly over the split (every k-th), so a class-ordered split
    /// keeps its class balance; the whole split when count is at least its size.
    /// </summary>
    public LabeledImages Spread(int count) =>
        count >= Count ? this : Subset([.. Enumerable.Range(0, count).Select(i => (int)((long)i * Count / count))]);

    /// <summary>
    /// For each class, the indices of its first <paramref name="perClass"/> images in an order shuffled with
    /// <paramref name="seed"/>; an error naming the class when one has fewer.
    /// </summary>
    public int[][] PerClassIndices(int perClass, ulong seed)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        new Common.SplitMix64(seed).Shuffle(order);
        var chosen = new int[Classes][];
        for (int c = 0; c < Classes; c++)
        {
            chosen[c] = [.. order.Where(i => Labels[i] == c).Take(perClass)];
            if (chosen[c].Length < perClass)
            {
                throw new Common.NanoTrainException(Common.ErrorKind.BadInput, $"{Name} has {chosen[c].Length} samples of class {c}, asked for {perClass}");
            }
        }
        return chosen;
    }

    /// <summary>The images of <see cref="PerClassIndices"/>, class by class.</summary>
    public LabeledImages PerClass(int perClass, ulong seed) => Subset([.. PerClassIndices(perClass, seed).SelectMany(c => c)]);

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public LabeledImages Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var labels = new byte[indices.Count];
        var pixels = new byte[indices.Count * DatasetSpec.ImageBytes];
        for (int i = 0; i < indices.Count; i++)
        {
            labels[i] = Labels[indices[i]];
            Image(indices[i]).CopyTo(pixels.AsSpan(i * DatasetSpec.ImageBytes));
        }
        return new LabeledImages(Name, Classes, labels, pixels);
    }

    /// <summary>Number of images of each class.</summary>
    public int[] PerClassCounts()
    {
        var counts = new int[Classes];
        foreach (byte label in Labels)
        {
            counts[label]++;
        }
        return counts;
    }
}
