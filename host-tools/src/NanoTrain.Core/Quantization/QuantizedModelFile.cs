using System.Text.Json.Nodes;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Quantization;

/// <summary>
/// An int8 model on disk (<c>.ntq</c>, magic "NTQM", version 1, in the <see cref="JsonContainer"/> layout): the
/// JSON holds model, architectureSha256, activations {name: {scale, zeroPoint, shape}} and ops; every array of an
/// op (weights int8, biases/multipliers/shifts int32, weight scales float32) is {offset, length} into the data.
/// </summary>
public static class QuantizedModelFile
{
    private const uint Version = 1;
    private static readonly byte[] Magic = "NTQM"u8.ToArray();

    public static void Save(QuantizedModel model, string architectureSha256, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var data = new MemoryStream();
        JsonObject Blob<T>(T[] values)
            where T : unmanaged
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
            long offset = data.Length;
            data.Write(bytes);
            while (data.Length % 4 != 0)
            {
                data.WriteByte(0);
            }
            return new JsonObject { ["offset"] = offset, ["length"] = values.Length };
        }
        JsonObject Quant(OutputQuant q) => new()
        {
            ["inputOffset"] = q.InputOffset,
            ["outputOffset"] = q.OutputOffset,
            ["actMin"] = q.ActMin,
            ["actMax"] = q.ActMax,
            ["multiplier"] = Blob(q.Multiplier),
            ["shift"] = Blob(q.Shift),
        };
        var ops = new JsonArray();
        foreach (var op in model.Ops)
        {
            var o = new JsonObject { ["name"] = op.Name, ["input"] = op.Input, ["output"] = op.Output };
            switch (op)
            {
                case QuantizedConv c:
                    o["kind"] = "conv";
                    o["kernel"] = c.Kernel;
                    o["stride"] = c.Stride;
                    o["pad"] = c.Pad;
                    o["groups"] = c.Groups;
                    o["weight"] = Blob(c.Weight);
                    o["bias"] = Blob(c.Bias);
                    o["weightScale"] = Blob(c.WeightScale);
                    o["quant"] = Quant(c.Quant);
                    break;
                case QuantizedFc f:
                    o["kind"] = "fc";
                    o["weight"] = Blob(f.Weight);
                    o["bias"] = Blob(f.Bias);
                    o["weightScale"] = Blob(f.WeightScale);
                    o["quant"] = Quant(f.Quant);
                    break;
                case QuantizedAdd a:
                    o["kind"] = "add";
                    o["other"] = a.Other;
                    o["params"] = new JsonArray(
                        a.Input1Offset, a.Input2Offset, a.Input1Multiplier, a.Input1Shift, a.Input2Multiplier, a.Input2Shift,
                        a.OutputMultiplier, a.OutputShift, a.OutputOffset, a.ActMin, a.ActMax);
                    break;
                case QuantizedGap:
                    o["kind"] = "gap";
                    break;
                default:
                    throw new NanoTrainException(ErrorKind.BadInput, $"op '{op.Name}' has no file form");
            }
            ops.Add(o);
        }
        var activations = new JsonObject();
        foreach (var (name, q) in model.Activations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (h, w, c) = model.Shapes[name];
            activations[name] = new JsonObject { ["scale"] = q.Scale, ["zeroPoint"] = q.ZeroPoint, ["shape"] = new JsonArray(h, w, c) };
        }
        var json = new JsonObject
        {
            ["model"] = model.Name,
            ["architectureSha256"] = architectureSha256,
            ["activations"] = activations,
            ["ops"] = ops,
        };
        JsonContainer.Write(path, Magic, Version, json, data.ToArray());
    }

    public static (QuantizedModel Model, string ArchitectureSha256) Load(string path)
    {
        var (root, file, dataStart) = JsonContainer.Read(path, Magic, Version, "int8 model");
        string field = "(top level)"; // where the header is being read, for the error
        try
        {
            T[] Blob<T>(JsonNode? node, string where)
                where T : unmanaged
            {
                long offset = node?["offset"]?.GetValue<long>() ?? -1;
                long length = node?["length"]?.GetValue<long>() ?? -1;
                int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                if (offset < 0 || length < 0 || offset > file.Length - dataStart || length > (file.Length - dataStart - offset) / size)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{path}: {where} lies outside the file");
                }
                return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(file.AsSpan(dataStart + (int)offset, (int)(length * size))).ToArray();
            }
            OutputQuant Quant(JsonNode q, string where) => new(
                q["inputOffset"]!.GetValue<int>(), q["outputOffset"]!.GetValue<int>(), q["actMin"]!.GetValue<int>(), q["actMax"]!.GetValue<int>(),
                Blob<int>(q["multiplier"], where + ".multiplier"), Blob<int>(q["shift"], where + ".shift"));
            var activations = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
            var shapes = new Dictionary<string, (int, int, int)>(StringComparer.Ordinal);
            field = "activations";
            foreach (var (name, a) in root["activations"]!.AsObject())
            {
                field = $"activations.{name}";
                activations[name] = new QuantParams(a!["scale"]!.GetValue<float>(), a["zeroPoint"]!.GetValue<int>());
                var s = a["shape"]!.AsArray();
                shapes[name] = (s[0]!.GetValue<int>(), s[1]!.GetValue<int>(), s[2]!.GetValue<int>());
            }
            var ops = new List<QuantizedOp>();
            field = "ops";
            int index = 0;
            foreach (var o in root["ops"]!.AsArray())
            {
                field = $"ops[{index++}]";
                string name = o!["name"]!.GetValue<string>();
                string input = o["input"]!.GetValue<string>();
                string output = o["output"]!.GetValue<string>();
                ops.Add(o["kind"]!.GetValue<string>() switch
                {
                    "conv" => new QuantizedConv(name, input, output, o["kernel"]!.GetValue<int>(), o["stride"]!.GetValue<int>(), o["pad"]!.GetValue<int>(),
                        o["groups"]!.GetValue<int>(), Blob<sbyte>(o["weight"], name + ".weight"), Blob<int>(o["bias"], name + ".bias"),
                        Blob<float>(o["weightScale"], name + ".weightScale"), Quant(o["quant"]!, name)),
                    "fc" => new QuantizedFc(name, input, output, Blob<sbyte>(o["weight"], name + ".weight"), Blob<int>(o["bias"], name + ".bias"),
                        Blob<float>(o["weightScale"], name + ".weightScale"), Quant(o["quant"]!, name)),
                    "add" => AddFrom(name, input, o["other"]!.GetValue<string>(), output, o["params"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray()),
                    "gap" => new QuantizedGap(name, input, output),
                    var kind => throw new NanoTrainException(ErrorKind.BadInput, $"{path}: op '{name}' has unknown kind '{kind}'"),
                });
            }
            field = "model";
            string model = root["model"]!.GetValue<string>();
            field = "architectureSha256";
            return (new QuantizedModel(model, ops, activations, shapes), root["architectureSha256"]!.GetValue<string>());
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            string why = ex is NullReferenceException ? "missing or not the expected kind of value" : ex.Message;
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: invalid int8 model header: field {field}: {why}", ex);
        }
    }

    private static QuantizedAdd AddFrom(string name, string input, string other, string output, int[] p) =>
        p.Length == 11
            ? new QuantizedAdd(name, input, other, output, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10])
            : throw new NanoTrainException(ErrorKind.BadInput, $"add '{name}' needs 11 parameters, has {p.Length}");
}
