using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Tests.Common;

public class Crc32Tests
{
    [Fact]
    public void CheckValueMatchesTheStandard() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void ChunkedEqualsOneShotAtEverySplit()
    {
        byte[] text = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        uint whole = Crc32.Compute(text);
        Assert.Equal(0x414FA339u, whole);
        for (int split = 0; split <= text.Length; split++)
        {
            Assert.Equal(whole, Crc32.Update(Crc32.Compute(text.AsSpan(0, split)), text.AsSpan(split)));
        }
    }
}

public class SplitMix64Tests
{
    [Fact]
    public void FirstOutputsMatchTheReferenceSequence()
    {
        // SplitMix64 seeded with 0 (Vigna's reference implementation).
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFul, rng.Next());
        Assert.Equal(0x6E789E6AA1B965F4ul, rng.Next());
    }

    [Fact]
    public void ShuffleIsAPermutationAndDependsOnTheSeed()
    {
        var a = Enumerable.Range(0, 100).ToList();
        var b = Enumerable.Range(0, 100).ToList();
        var c = Enumerable.Range(0, 100).ToList();
        new SplitMix64(7).Shuffle(a);
        new SplitMix64(7).Shuffle(b);
        new SplitMix64(8).Shuffle(c);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
    }
}
