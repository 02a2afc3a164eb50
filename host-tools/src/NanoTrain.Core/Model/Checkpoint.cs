using System.Text.Json.Nodes;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Model;

/// <summary>
/// A model's weights on disk (<c>.ntck</c>, magic "NTCK", version 1, in the <see cref="JsonContainer"/> layout):
/// the JSON holds model, architectureSha256, resolution, tensors [{name, length, offset}] and metadata; the data
/// holds each tensor's float32 values at its offset.
/// The architecture fingerprint ties the file to one model at one resolution; loading it for another is refused.
/// </summary>
public sealed class Checkpoint
{
    private const uint Version = 1;
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
        var data = new byte[offset];
        int at = 0;
        foreach (var (_, values) in Weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Buffer.BlockCopy(values, 0, data, at, values.Length * 4);
            at += values.Length * 4;
        }
        JsonContainer.Write(path, Magic, Version, json, data);
    }

    public static Checkpoint Load(string path)
    {
        var (root, file, data) = JsonContainer.Read(path, Magic, Version, "checkpoint");
        string field = "tensors";
        try
        {
            var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
            int index = 0;
            foreach (var t in root["tensors"]?.AsArray() ?? [])
            {
                field = $"tensors[{index++}]";
                string name = t?["name"]?.GetValue<string>() ?? throw new NanoTrainException(ErrorKind.BadInput, $"{path}: {field} has no 'name'");
                field = $"tensors[{index - 1}] ('{name}')";
                long length = t["length"]?.GetValue<long>() ?? -1;
                long offset = t["offset"]?.GetValue<long>() ?? -1;
                // Compared by division: a length near long.MaxValue must not wrap round into range.
                if (length < 0 || offset < 0 || offset % 4 != 0 || offset > file.Length - data || length > (file.Length - data - offset) / 4)
                {
                    throw new NanoTrainException(ErrorKind.BadInput,
                        $"{path}: tensor '{name}' ({length} floats at offset {offset}) lies outside the file's {file.Length - data} data bytes");
                }
                var values = new float[length];
                Buffer.BlockCopy(file, (int)(data + offset), values, 0, (int)(length * 4));
                weights[name] = values;
            }
            field = "model";
            string model = root["model"]?.GetValue<string>() ?? "";
            field = "architectureSha256";
            string architecture = root["architectureSha256"]?.GetValue<string>() ?? "";
            field = "resolution";
            int resolution = root["resolution"]?.GetValue<int>() ?? 0;
            field = "metadata";
            var metadata = root["metadata"]?.AsObject() is { } meta ? (JsonObject)JsonNode.Parse(meta.ToJsonString())! : null;
            return new Checkpoint(model, architecture, resolution, weights, metadata);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field {field} of the checkpoint header is not valid ({ex.Message})", ex);
        }
    }
}
