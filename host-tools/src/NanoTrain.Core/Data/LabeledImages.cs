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
