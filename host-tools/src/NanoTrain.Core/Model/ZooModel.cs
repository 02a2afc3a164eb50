using System.Text.Json;
using System.Text.Json.Nodes;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Model;

/// <summary>One inverted-residual block: expand 1×1 (when expand &gt; 1), depthwise k×k, project 1×1.</summary>
public sealed record BlockSpec(int Expand, int Out, int Kernel, int Stride);

/// <summary>
/// A model of the zoo (<c>models/zoo/&lt;name&gt;.json</c>): a stem conv, inverted-residual blocks, optional
/// 1×1 head conv, global average pool and a fully connected classifier. Grayscale input; the resolution
/// is a parameter with a default.
/// </summary>
public sealed record ZooModel(
    string Name,
    string Description,
    int InputChannels,
    int DefaultResolution,
    int Classes,
    int StemOut,
    int StemKernel,
    int StemStride,
    IReadOnlyList<BlockSpec> Blocks,
    int? HeadOut,
    string SourcePath)
{
    public const float BatchNormEps = 1e-5f;
    public const float BatchNormMomentum = 0.1f;

    /// <summary>Reads and checks a zoo file; errors name the file and the field.</summary>
    public static ZooModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: model file not found");
        }
        return Parse(path, File.ReadAllText(path));
    }

    /// <summary>Checks the zoo-format JSON <paramref name="text"/> that is (or will be) the file <paramref name="path"/>; errors name the path and the field.</summary>
    public static ZooModel Parse(string path, string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var input = Field(path, root, "input");
            var stem = Field(path, root, "stem");
            var blocks = new List<BlockSpec>();
            int i = 0;
            foreach (var b in Field(path, root, "blocks").EnumerateArray())
            {
                string where = $"blocks[{i++}]";
                blocks.Add(new BlockSpec(Int(path, b, "expand", where, 1, 16), Int(path, b, "out", where, 1, 4096),
                    Int(path, b, "kernel", where, 1, 7), Int(path, b, "stride", where, 1, 2)));
                if (blocks[^1].Kernel % 2 == 0)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field '{where}.kernel' must be 1, 3, 5 or 7");
                }
            }
            if (blocks.Count == 0)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'blocks' is empty");
            }
            if (Int(path, stem, "kernel", "stem", 1, 7) % 2 == 0)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'stem.kernel' must be 1, 3, 5 or 7");
            }
            int? head = root.TryGetProperty("head", out var h) && h.ValueKind == JsonValueKind.Object ? Int(path, h, "out", "head", 1, 4096) : null;
            return new ZooModel(
                Str(path, root, "name"),
                root.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "",
                Int(path, input, "channels", "input", 1, 3),
                Int(path, input, "resolution", "input", 8, 512),
                Int(path, root, "classes", "", 2, 256),
                Int(path, stem, "out", "stem", 1, 4096),
                Int(path, stem, "kernel", "stem", 1, 7),
                Int(path, stem, "stride", "stem", 1, 2),
                blocks,
                head,
                path);
        }
        catch (JsonException ex)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not valid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// The zoo model called <paramref name="name"/> from <c>models/zoo</c>, or, when the name ends in <c>.json</c>, the model
    /// file at that path. A zoo name is a plain file name: one with a folder in it is refused, not looked up.
    /// </summary>
    public static ZooModel FromZoo(RepoPaths paths, string name)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(name);
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return Load(name);
        }
        string dir = Path.Combine(paths.Models, "zoo");
        string path = Path.Combine(dir, name + ".json");
        if (name.Length == 0 || name.IndexOfAny(['/', '\\']) >= 0 || name.StartsWith('.') || !File.Exists(path))
        {
            IEnumerable<string?> known = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").Select(Path.GetFileNameWithoutExtension).Order() : [];
            throw new NanoTrainException(ErrorKind.Usage, $"unknown model '{name}'; zoo models: {string.Join(", ", known)}");
        }
        return Load(path);
    }

    /// <summary>The model in the zoo file format (which <see cref="Parse"/> reads back to the same model).</summary>
    public string ToJson()
    {
        var blocks = new JsonArray();
        foreach (var b in Blocks)
        {
            blocks.Add(new JsonObject { ["expand"] = b.Expand, ["out"] = b.Out, ["kernel"] = b.Kernel, ["stride"] = b.Stride });
        }
        var json = new JsonObject
        {
            ["name"] = Name,
            ["description"] = Description,
            ["input"] = new JsonObject { ["channels"] = InputChannels, ["resolution"] = DefaultResolution },
            ["classes"] = Classes,
            ["stem"] = new JsonObject { ["out"] = StemOut, ["kernel"] = StemKernel, ["stride"] = StemStride },
            ["blocks"] = blocks,
        };
        if (HeadOut is int head)
        {
            json["head"] = new JsonObject { ["out"] = head };
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Builds the engine graph at a resolution (default: the model's own).</summary>
    public ModelGraph Build(int? resolution = null)
    {
        int r = resolution ?? DefaultResolution;
        var g = new ModelGraph(Name, new Activation("input", r, r, InputChannels), Classes);
        string x = "input";
        x = ConvBnRelu(g, "stem", x, StemOut, StemKernel, StemStride, 1, relu: true);
        int c = StemOut;
        for (int i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i];
            string blockIn = x;
            int hidden = c * b.Expand;
            string prefix = $"b{i + 1}";
            if (b.Expand != 1)
            {
                x = ConvBnRelu(g, $"{prefix}.expand", x, hidden, 1, 1, 1, relu: true);
            }
            x = ConvBnRelu(g, $"{prefix}.dw", x, hidden, b.Kernel, b.Stride, hidden, relu: true);
            x = ConvBnRelu(g, $"{prefix}.project", x, b.Out, 1, 1, 1, relu: false);
            if (b.Stride == 1 && c == b.Out)
            {
                var shape = g.ActivationOf(x);
                string sum = $"{prefix}.add";
                g.AddActivation(shape with { Name = sum });
                g.AddLayer(new AddLayer(sum, x, blockIn, sum));
                x = sum;
            }
            c = b.Out;
        }
        if (HeadOut is int head)
        {
            x = ConvBnRelu(g, "head", x, head, 1, 1, 1, relu: true);
            c = head;
        }
        g.AddActivation(new Activation("pool", 1, 1, c));
        g.AddLayer(new GapLayer("pool", x, "pool"));
        g.AddParameter(new Parameter("fc.w", [1, 1, c, Classes], ParameterRole.FcWeight));
        g.AddParameter(new Parameter("fc.b", [1, 1, 1, Classes], ParameterRole.Bias));
        g.AddActivation(new Activation("logits", 1, 1, Classes));
        g.AddLayer(new FcLayer("fc", "pool", "logits", "fc.w", "fc.b"));
        return g;
    }

    private static string ConvBnRelu(ModelGraph g, string name, string input, int outC, int kernel, int stride, int groups, bool relu)
    {
        var x = g.ActivationOf(input);
        int pad = kernel / 2;
        int oh = ((x.H + (2 * pad) - kernel) / stride) + 1;
        int ow = ((x.W + (2 * pad) - kernel) / stride) + 1;
        g.AddParameter(new Parameter($"{name}.conv.w", [kernel, kernel, x.C / groups, outC], ParameterRole.ConvWeight));
        g.AddActivation(new Activation($"{name}.conv", oh, ow, outC));
        g.AddLayer(new ConvLayer($"{name}.conv", input, $"{name}.conv", kernel, stride, pad, groups, $"{name}.conv.w", null));
        string bn = $"{name}.bn";
        g.AddParameter(new Parameter($"{bn}.gamma", [1, 1, 1, outC], ParameterRole.BatchNormGamma));
        g.AddParameter(new Parameter($"{bn}.beta", [1, 1, 1, outC], ParameterRole.BatchNormBeta));
        g.AddParameter(new Parameter($"{bn}.mean", [1, 1, 1, outC], ParameterRole.RunningMean));
        g.AddParameter(new Parameter($"{bn}.var", [1, 1, 1, outC], ParameterRole.RunningVar));
        g.AddActivation(new Activation(bn, oh, ow, outC));
        g.AddLayer(new BatchNormLayer(bn, $"{name}.conv", bn, $"{bn}.gamma", $"{bn}.beta", $"{bn}.mean", $"{bn}.var", BatchNormEps, BatchNormMomentum));
        if (!relu)
        {
            return bn;
        }
        string act = $"{name}.relu";
        g.AddActivation(new Activation(act, oh, ow, outC));
        g.AddLayer(new Relu6Layer(act, bn, act));
        return act;
    }

    private static JsonElement Field(string path, JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v : throw new NanoTrainException(ErrorKind.BadInput, $"{path}: missing field '{name}'");

    private static string Str(string path, JsonElement e, string name) =>
        Field(path, e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field '{name}' should be a string");

    private static int Int(string path, JsonElement e, string name, string where, int min, int max)
    {
        string full = where.Length == 0 ? name : $"{where}.{name}";
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field '{full}' is missing or not an integer");
        }
        if (value < min || value > max)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field '{full}' is {value}, must be {min}..{max}");
        }
        return value;
    }
}
