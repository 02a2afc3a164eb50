using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Cli.Tests;

/// <summary>
/// Hostile files and paths given to the tool: each gets one line on stderr naming the file (and the field at fault),
/// an exit code other than 0, no stack trace, and leaves no output or temporary file behind. Each case's error line
/// is also written to build/test-results/hostile-input/CASE.txt for the record.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "nt-hostile-" + Guid.NewGuid().ToString("N"));

    public HostileInputTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Root = RepoPaths.Locate().Root;

    /// <summary>A JSON container (checkpoint "NTCK", int8 model "NTQM") around raw header text, with a valid SHA-256.</summary>
    private static byte[] Container(string magic, string json, int dataBytes = 64)
    {
        byte[] text = Encoding.UTF8.GetBytes(json);
        int padded = (text.Length + 3) / 4 * 4;
        var file = new byte[JsonContainer.HeaderBytes + padded + dataBytes];
        Encoding.ASCII.GetBytes(magic).CopyTo(file, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), (uint)text.Length);
        text.CopyTo(file, JsonContainer.HeaderBytes);
        SHA256.HashData(file.AsSpan(JsonContainer.HeaderBytes)).CopyTo(file, 16);
        return file;
    }

    private static string Ckpt(string tensorJson) =>
        "{\"model\":\"mbv2-w0.35\",\"architectureSha256\":\"x\",\"resolution\":64,\"tensors\":[" + tensorJson + "],\"metadata\":{}}";

    private static byte[] RealPlanPrefix(int bytes)
    {
        var plan = new byte[Math.Max(bytes, 64)];
        Encoding.ASCII.GetBytes("NTPL").CopyTo(plan, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(plan.AsSpan(4), 4);
        BinaryPrimitives.WriteUInt16LittleEndian(plan.AsSpan(6), 64);
        return plan;
    }

    /// <summary>The pretrained mbv2-w0.35 as ONNX bytes.</summary>
    private static byte[] ExportedMbv2()
    {
        var graph = Core.Model.ZooModel.FromZoo(RepoPaths.Locate(), "mbv2-w0.35").Build();
        var ck = Core.Model.Checkpoint.Load(Path.Combine(Root, "models", "pretrained", "mbv2-w0.35.ntck"));
        return Google.Protobuf.MessageExtensions.ToByteArray(Core.Onnx.OnnxExporter.Export(graph, ck.Weights, "test"));
    }

    /// <summary>The hand-built PyTorch-shaped graph, changed by <paramref name="change"/>, as bytes.</summary>
    private static byte[] TorchShapedWith(Action<Core.Onnx.Proto.ModelProto> change)
    {
        var b = Core.Tests.Onnx.OnnxBuilder.TorchShaped();
        change(b.Model);
        return b.Bytes();
    }

    /// <summary>Case name → (file name, content or null for none, arguments with {F} for the file and {O} for an output path, expected text).</summary>
    public static TheoryData<string> Cases => new(HostileCases.Keys);

    private static readonly Dictionary<string, (string File, Func<byte[]?> Content, string[] Args, string[] Expect)> HostileCases = new()
    {
        ["checkpoint-truncated"] = ("c.ntck", () => File.ReadAllBytes(Path.Combine(Root, "models", "pretrained", "mbv2-w0.35.ntck"))[..1000],
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["sha256 mismatch"]),
        ["checkpoint-not-a-checkpoint"] = ("c.ntck", () => Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip file, not a checkpoint........................"),
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["not a nanoTrain checkpoint"]),
        ["checkpoint-tensor-claims-4GB"] = ("c.ntck", () => Container("NTCK", Ckpt("""{"name":"stem.conv.w","length":1073741824,"offset":0}""")),
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["tensor 'stem.conv.w'", "1073741824 floats", "outside the file"]),
        ["checkpoint-tensor-length-wraps"] = ("c.ntck", () => Container("NTCK", Ckpt("""{"name":"stem.conv.w","length":2305843009213693952,"offset":0}""")),
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["tensor 'stem.conv.w'", "outside the file"]),
        ["checkpoint-length-not-a-number"] = ("c.ntck", () => Container("NTCK", Ckpt("""{"name":"stem.conv.w","length":"many","offset":0}""")),
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["field tensors[0] ('stem.conv.w')"]),
        ["checkpoint-header-not-json"] = ("c.ntck", () => Container("NTCK", "{\"model\": [1, 2,"),
            ["plan", "--method", "full", "--board", "m7-dev", "--checkpoint", "{F}", "--out", "{O}"], ["header JSON is invalid"]),
        ["int8-model-truncated"] = ("m.ntq", () => Container("NTQM", "{}")[..60],
            ["plan", "--method", "last-layer", "--board", "m7-dev", "--int8", "{F}", "--out", "{O}"], ["sha256 mismatch"]),
        ["int8-model-blob-wraps"] = ("m.ntq", () => Container("NTQM", """{"model":"m","architectureSha256":"x","activations":{},"ops":[{"name":"c","input":"a","output":"b","kind":"fc","weight":{"offset":0,"length":4611686018427387904}}]}"""),
            ["plan", "--method", "last-layer", "--board", "m7-dev", "--int8", "{F}", "--out", "{O}"], ["c.weight lies outside the file"]),
        ["int8-model-missing-ops"] = ("m.ntq", () => Container("NTQM", """{"model":"m","architectureSha256":"x","activations":{}}"""),
            ["plan", "--method", "last-layer", "--board", "m7-dev", "--int8", "{F}", "--out", "{O}"], ["invalid int8 model header: field ops: missing"]),
        ["plan-truncated"] = ("p.ntplan", () => RealPlanPrefix(40),
            ["flash", "--board", "stm32f746-disco", "--elf", "{ELF}", "--plan", "{F}", "--dry-run"], ["p.ntplan"]),
        ["plan-claims-4GB"] = ("p.ntplan", () => { var p = RealPlanPrefix(256); BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), 0xFFFFFFF0); return p; },
            ["flash", "--board", "stm32f746-disco", "--elf", "{ELF}", "--plan", "{F}", "--dry-run"], ["p.ntplan"]),
        ["plan-crc-mismatch"] = ("p.ntplan", () => { var p = RealPlanPrefix(256); BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), 256); return p; },
            ["flash", "--board", "stm32f746-disco", "--elf", "{ELF}", "--plan", "{F}", "--dry-run"], ["p.ntplan: crc: "]),
        ["dataset-file-corrupt"] = ("d.ntds", () => Encoding.ASCII.GetBytes(new string('x', 80)),
            ["quantize", "--calibration", "{F}", "--out", "{O}"], ["d.ntds", "bad magic"]),
        ["model-json-not-json"] = ("m.json", () => Encoding.UTF8.GetBytes("{\"name\": \"x\", \"blocks\": ["),
            ["plan", "--model", "{F}", "--method", "full", "--board", "m7-dev", "--out", "{O}"], ["m.json", "not valid JSON"]),
        ["model-json-bad-kernel"] = ("m.json", () => File.ReadAllBytes(Path.Combine(Root, "models", "zoo", "mbv2-w0.35.json")).AsSpan().ToArray() is var b
                ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(b).Replace("\"kernel\": 3", "\"kernel\": 4", StringComparison.Ordinal)) : b,
            ["plan", "--model", "{F}", "--method", "full", "--board", "m7-dev", "--out", "{O}"], ["m.json", "kernel"]),
        ["model-name-with-a-path"] = ("unused", () => null,
            ["plan", "--model", "../../../etc/passwd", "--method", "full", "--board", "m7-dev", "--out", "{O}"], ["unknown model '../../../etc/passwd'"]),
        ["out-is-a-folder"] = ("unused", () => null,
            ["plan", "--method", "full", "--board", "m7-dev", "--out", "{DIR}"], ["is a folder"]),
        ["out-under-a-file"] = ("f", () => [1, 2, 3],
            ["plan", "--method", "full", "--board", "m7-dev", "--out", "{F}/x.ntplan"], ["cannot write there", "is a file, not a folder"]),
        ["json-into-a-folder"] = ("unused", () => null,
            ["plan", "--method", "full", "--board", "m7-dev", "--out", "{O}", "--json", "{DIR}"], ["is a folder"]),
        ["onnx-not-protobuf"] = ("m.onnx", () => Encoding.ASCII.GetBytes("graph { node { op_type: \"Conv\" } }\n"),
            ["import", "{F}", "--out", "{DIR}/out/m.json"], ["m.onnx: not a valid ONNX protobuf", "not a protobuf field"]),
        ["onnx-truncated"] = ("m.onnx", () => ExportedMbv2()[..60_000],
            ["import", "{F}", "--out", "{DIR}/out/m.json"], ["m.onnx: not a valid ONNX protobuf: the file ends inside the graph's initializer '", "truncated"]),
        ["onnx-unknown-op"] = ("m.onnx", () => TorchShapedWith(m => m.Graph.Node.First(n => n.Name == "/features.2/dw/Clip").OpType = "HardSwish"),
            ["import", "{F}", "--out", "{DIR}/out/m.json"], ["m.onnx: node '/features.2/dw/Clip' (HardSwish): op HardSwish is not supported"]),
        ["onnx-missing-initializer"] = ("m.onnx", () => TorchShapedWith(m => m.Graph.Initializer.Remove(m.Graph.Initializer.First(t => t.Name == "classifier.weight"))),
            ["import", "{F}", "--out", "{DIR}/out/m.json"], ["m.onnx: node '/classifier/Gemm' (Gemm): the weight 'classifier.weight' is not an initializer"]),
        ["onnx-wrong-tensor-size"] = ("m.onnx", () => TorchShapedWith(m => m.Graph.Initializer.First(t => t.Name == "/stem/Conv.bias").Dims[0] = 9),
            ["import", "{F}", "--out", "{DIR}/out/m.json"], ["m.onnx: node '/stem/Conv' (Conv): bias '/stem/Conv.bias': raw_data holds 32 bytes, its dims [9] need 36"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void HostileInputGetsOneLineNamingItAndLeavesNothingBehind(string name)
    {
        var (fileName, content, args, expect) = HostileCases[name];
        string file = Path.Combine(_dir, fileName);
        if (content() is { } bytes)
        {
            File.WriteAllBytes(file, bytes);
        }
        string output = Path.Combine(_dir, "out", "result.out");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string elf = Path.Combine(Root, "build", "stm32f746-disco", "app", "trainer.elf");
        string[] argv = [.. args.Select(a => a.Replace("{F}", file, StringComparison.Ordinal).Replace("{O}", output, StringComparison.Ordinal)
            .Replace("{DIR}", _dir, StringComparison.Ordinal).Replace("{ELF}", elf, StringComparison.Ordinal))];
        var before = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Order().ToArray();

        var result = CliProcess.Run(argv);

        // Progress lines ("› …") may come first; the error is one line, the last.
        string err = result.StandardError.Trim().Split('\n')[^1];
        string record = Path.Combine(Root, "build", "test-results", "hostile-input");
        Directory.CreateDirectory(record);
        File.WriteAllText(Path.Combine(record, name + ".txt"), $"exit {result.ExitCode}: {err.Replace(_dir, "DIR", StringComparison.Ordinal)}\n");
        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("error: ", err, StringComparison.Ordinal);
        Assert.Single(result.StandardError.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", err, StringComparison.Ordinal);
        foreach (string e in expect)
        {
            Assert.Contains(e, err, StringComparison.Ordinal);
        }
        // Nothing written: no output, no temporary file, the input untouched.
        Assert.Equal(before, Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Order().ToArray());
    }
}
