using NanoTrain.Core.Common;
using NanoTrain.Core.Data;

namespace NanoTrain.Core.Tests.Data;

public class DatasetFileTests
{
    private static LabeledImages Sample()
    {
        var rng = new SplitMix64(3);
        var labels = Enumerable.Range(0, 5).Select(i => (byte)(i % 3)).ToArray();
        var pixels = Enumerable.Range(0, 5 * DatasetSpec.ImageBytes).Select(_ => (byte)rng.NextBelow(256)).ToArray();
        return new LabeledImages("sample/train", 3, labels, pixels);
    }

    [Fact]
    public void RoundTripKeepsEveryByte()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "s.ntds");
        var sample = Sample();
        DatasetFile.Write(path, sample, 42);
        var back = DatasetFile.Read(path);
        Assert.Equal("sample/train", back.Name);
        Assert.Equal(sample.Labels, back.Labels);
        Assert.Equal(sample.Pixels, back.Pixels);
        Assert.Equal(new[] { 2, 2, 1 }, back.PerClassCounts());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Theory]
    [InlineData(-1, "truncated")]
    [InlineData(0, "bad magic")]
    [InlineData(8, "header CRC mismatch")]
    [InlineData(64, "payload CRC mismatch")]
    [InlineData(100, "payload CRC mismatch")]
    public void DamageIsReportedWithTheFileAndTheDefect(int offset, string expected)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "s.ntds");
        DatasetFile.Write(path, Sample(), 42);
        byte[] bytes = File.ReadAllBytes(path);
        if (offset < 0)
        {
            bytes = bytes.AsSpan(0, bytes.Length - 1).ToArray();
        }
        else
        {
            bytes[offset] ^= 0x20;
        }
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<NanoTrainException>(() => DatasetFile.Read(path));
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
