using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Model;

/// <summary>
/// A model's weights on disk (<c>.ntck</c>), little-endian:
/// <code>
///  0  magic "NTCK"     4  version u32 (1)     8  JSON bytes u32     12  reserved u32
/// 16  sha256 of every byte from offset 48 to the end
/// 48  JSON (UTF-8): model, architectureSha256, resolution, tensors [{name, dims, offset}], metrics, training
///     then zero padding to a multiple of 4, then each tensor's float32 values at its offset (from the data start)
/// </code>
/// The architecture fingerprint ties the file to one model at one resolution; loading it for another is refused.
/// </summary>
public sealed class Checkpoint
{
    private const uint Version = 1;
    private const int HeaderBytes = 48;
    private static readonly byte[] Magic = "NTCK"u8.ToArray();

    public Checkpoint(string model, string architectureSha256, int resolution, IReadOnlyDictionary<string, float[]> weights, JsonObject? metadata = null)
    {
        Model = model;
        ArchitectureSha256 = architectureSha256;
        Resolution = resolution;
        Weights = weights;
        Metadata = metadata ?? [];
    }

    public string Model { get; }

    public string ArchitectureSha256 { get; }

    public int Resolution { get; }

    public IReadOnlyDictionary<string, float[]> Weights { get; }

    /// <summary>Free-form facts: accuracy, epochs, seed, the command that made it.</summary>
    public JsonObject Metadata { get; }

    /// <summary>A checkpoint of <paramref name="graph"/>'s parameters.</summary>
    public static Checkpoint For(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, JsonObject? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new Checkpoint(graph.Name, graph.ArchitectureSha256(), graph.Input.H, weights, metadata);
    }

    /// <summary>Refuses a checkpoint made for another architecture or resolution, naming both.</summary>
    public void RequireArchitecture(ModelGraph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (ArchitectureSha256 != graph.ArchitectureSha256())
        {
            throw new NanoTrainException(ErrorKind.BadInput,
                $"{path}: checkpoint is for '{Model}' at {Resolution}x{Resolution} (architecture {ArchitectureSha256[..12]}), not '{graph.Name}' at {graph.Input.H}x{graph.Input.W} (architecture {graph.ArchitectureSha256()[..12]})");
        }
        foreach (var p in graph.Parameters)
        {
            if (!Weights.TryGetValue(p.Name, out var v) || v.Length != p.Elements)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: tensor '{p.Name}' is missing or has the wrong size");
            }
        }
    }

    public void Save(string path)
    {
        var tensors = new JsonArray();
        long offset = 0;
        foreach (var (name, values) in Weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            tensors.Add(new JsonObject { ["name"] = name, ["length"] = values.Length, ["offset"] = offset });
            offset += values.Length * 4L;
        }
        var json = new JsonObject
        {
            ["model"] = Model,
            ["architectureSha256"] = ArchitectureSha256,
            ["resolution"] = Resolution,
            ["tensors"] = tensors,
            ["metadata"] = JsonNode.Parse(Metadata.ToJsonString()),
        };
        byte[] jsonBytes = Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        int padded = (jsonBytes.Length + 3) / 4 * 4;
        var file = new byte[HeaderBytes + padded + offset];
        Magic.CopyTo(file, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), (uint)jsonBytes.Length);
        jsonBytes.CopyTo(file, HeaderBytes);
        int data = HeaderBytes + padded;
        foreach (var (_, values) in Weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Buffer.BlockCopy(values, 0, file, data, values.Length * 4);
            data += values.Length * 4;
        }
        SHA256.HashData(file.AsSpan(HeaderBytes)).CopyTo(file, 16);
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temp, file);
        File.Move(temp, path, overwrite: true);
    }

    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: checkpoint not found");
        }
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < HeaderBytes || !file.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not a nanoTrain checkpoint (bad magic or too short)");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4));
        if (version != Version)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: checkpoint version {version}, this tool reads {Version}");
        }
        if (!SHA256.HashData(file.AsSpan(HeaderBytes)).AsSpan().SequenceEqual(file.AsSpan(16, 32)))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: sha256 mismatch (corrupt or truncated checkpoint)");
        }
        uint jsonBytes = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8));
        if (HeaderBytes + (long)jsonBytes > file.Length)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: header JSON runs past the end of the file");
        }
        JsonNode root;
        try
        {
            root = JsonNode.Parse(file.AsSpan(HeaderBytes, (int)jsonBytes)) ?? throw new JsonException("empty");
        }
        catch (JsonException ex)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: header JSON is invalid ({ex.Message})", ex);
        }
        long data = HeaderBytes + ((jsonBytes + 3) / 4 * 4);
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var t in root["tensors"]?.AsArray() ?? [])
        {
            string name = t?["name"]?.GetValue<string>() ?? throw new NanoTrainException(ErrorKind.BadInput, $"{path}: a tensor has no 'name'");
            long length = t["length"]?.GetValue<long>() ?? -1;
            long offset = t["offset"]?.GetValue<long>() ?? -1;
            if (length < 0 || offset < 0 || offset % 4 != 0 || data + offset + (length * 4) > file.Length)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: tensor '{name}' lies outside the file");
            }
            var values = new float[length];
            Buffer.BlockCopy(file, (int)(data + offset), values, 0, (int)(length * 4));
            weights[name] = values;
        }
        return new Checkpoint(
            root["model"]?.GetValue<string>() ?? "",
            root["architectureSha256"]?.GetValue<string>() ?? "",
            root["resolution"]?.GetValue<int>() ?? 0,
            weights,
            root["metadata"]?.AsObject() is { } meta ? (JsonObject)JsonNode.Parse(meta.ToJsonString())! : null);
    }
}
