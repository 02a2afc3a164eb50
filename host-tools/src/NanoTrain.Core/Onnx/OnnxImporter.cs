using NanoTrain.Core.Common;
using NanoTrain.Core.Model;
using NanoTrain.Core.Onnx.Proto;
using static NanoTrain.Core.Onnx.OnnxNodes;

namespace NanoTrain.Core.Onnx;

/// <summary>What <see cref="OnnxImporter.Import"/> may change to make a graph fit.</summary>
public sealed record OnnxImportOptions
{
    /// <summary>Model name (default: the file's name).</summary>
    public string? Name { get; init; }

    /// <summary>Read a plain Relu as ReLU6 (the engine's activation): outputs change wherever an activation exceeds 6.</summary>
    public bool ReluAsRelu6 { get; init; }
}

/// <summary>An imported model: the zoo description, its weights by zoo parameter name, and what the import changed.</summary>
public sealed record OnnxImport(
    ZooModel Model,
    IReadOnlyDictionary<string, float[]> Weights,
    IReadOnlyList<string> Notes,
    int Opset,
    string Producer,
    bool InputIsNhwc,
    int Nodes,
    string LogitsTensor);

/// <summary>
/// Maps an ONNX graph of MobileNetV2/MCUNet shape onto the zoo format: stem conv, inverted-residual blocks (expand 1×1,
/// depthwise k×k, project 1×1, residual add when stride 1 and channels kept), optional 1×1 head, global average pool
/// and a fully connected classifier. Weights are converted from ONNX's layouts (OIHW, [out,in]) to the engine's (HWIO,
/// [in,out]); a conv bias, a BatchNormalization epsilon other than the engine's, a Gemm's alpha and beta are folded
/// into the zoo's conv + batch-norm + FC parameters. Every refusal names the node, its op type and the reason.
/// </summary>
public static class OnnxImporter
{
    /// <summary>Ops read, for messages and the README's table.</summary>
    public static readonly IReadOnlyList<string> SupportedOps =
    [
        "Conv", "BatchNormalization", "Clip", "Relu", "Add", "GlobalAveragePool", "AveragePool", "ReduceMean",
        "Flatten", "Reshape", "Squeeze", "Gemm", "MatMul", "Softmax", "Transpose", "Identity", "Dropout", "Constant",
    ];

    /// <summary>Imports <paramref name="model"/> read from <paramref name="path"/>.</summary>
    public static OnnxImport Import(ModelProto model, string path, OnnxImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        int opset = OnnxFile.Opset(model, path);
        try
        {
            var lowered = new Lowering(model, opset, options);
            lowered.Run();
            string name = options.Name ?? ModelNameFrom(path);
            var matcher = new Matcher(lowered, path, name);
            var (zoo, weights, logits) = matcher.Run();
            string producer = (model.ProducerName + " " + model.ProducerVersion).Trim();
            return new OnnxImport(zoo, weights, [.. lowered.Notes, .. matcher.Notes], opset, producer, lowered.InputIsNhwc, model.Graph.Node.Count, logits);
        }
        catch (NanoTrainException ex)
        {
            // Errors below name the node or the graph's part; the file is named here, once.
            throw new NanoTrainException(ex.Kind, $"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>A model name from a file name: lower case, letters, digits, '.', '-' and '_' kept, others made '-'.</summary>
    public static string ModelNameFrom(string path)
    {
        string stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var chars = stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-').ToArray();
        string name = new string(chars).Trim('-', '.');
        return name.Length == 0 ? "imported" : name;
    }

    // ---- lowering: ONNX nodes to a list of steps over NCHW shapes -------------------------------------------------

    internal sealed record Shape(int C, int H, int W, bool Flat = false)
    {
        public override string ToString() => Flat ? $"[{C}]" : $"[{C}, {H}, {W}]";
    }

    internal abstract record Step(NodeProto Node, string Input, string Output);

    internal sealed record ConvStep(NodeProto Node, string Input, string Output, float[] Weight, float[]? Bias, int InC, int OutC, int Kernel, int Stride, int Group)
        : Step(Node, Input, Output);

    internal sealed record BnStep(NodeProto Node, string Input, string Output, float[] Gamma, float[] Beta, float[] Mean, float[] Var, float Eps)
        : Step(Node, Input, Output);

    internal sealed record Relu6Step(NodeProto Node, string Input, string Output) : Step(Node, Input, Output);

    internal sealed record AddStep(NodeProto Node, string Input, string Other, string Output) : Step(Node, Input, Output);

    internal sealed record GapStep(NodeProto Node, string Input, string Output) : Step(Node, Input, Output);

    internal sealed record FlattenStep(NodeProto Node, string Input, string Output) : Step(Node, Input, Output);

    /// <summary>A classifier; <see cref="Weight"/> is [in, out] as the engine keeps it.</summary>
    internal sealed record FcStep(NodeProto Node, string Input, string Output, float[] Weight, float[]? Bias, int Out) : Step(Node, Input, Output);

    internal sealed record SoftmaxStep(NodeProto Node, string Input, string Output) : Step(Node, Input, Output);

    internal sealed class Lowering
    {
        private readonly ModelProto _model;
        private readonly int _opset;
        private readonly OnnxImportOptions _options;
        private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal);

        public Lowering(ModelProto model, int opset, OnnxImportOptions options)
        {
            _model = model;
            _opset = opset;
            _options = options;
        }

        public List<Step> Steps { get; } = [];

        public Dictionary<string, Shape> Shapes { get; } = new(StringComparer.Ordinal);

        public List<string> Notes { get; } = [];

        public string InputName { get; private set; } = "";

        public string OutputName { get; private set; } = "";

        public bool InputIsNhwc { get; private set; }

        public void Run()
        {
            var graph = _model.Graph;
            foreach (var t in graph.Initializer)
            {
                _constants[t.Name] = t;
            }
            ReadInput(graph);
            foreach (var node in graph.Node)
            {
                Lower(node);
            }
            if (graph.Output.Count != 1)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"the graph has {graph.Output.Count} outputs; a classifier has one (the logits)");
            }
            OutputName = Resolve(graph.Output[0].Name);
            if (!Shapes.ContainsKey(OutputName))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"graph output '{graph.Output[0].Name}' is produced by no node");
            }
        }

        private void ReadInput(GraphProto graph)
        {
            var inputs = graph.Input.Where(i => !_constants.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"the graph has {inputs.Count} data inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); an image classifier has one");
            }
            var input = inputs[0];
            InputName = input.Name;
            var tensor = input.Type?.TensorType;
            if (tensor == null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"input '{input.Name}' is {(tensor == null ? "not a tensor" : OnnxFile.TypeName(tensor.ElemType))}; FLOAT images are read");
            }
            var dims = tensor.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray() ?? [];
            if (dims.Length != 4 || dims.Skip(1).Any(d => d <= 0 || d > 4096) || dims[0] > 1)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"input '{input.Name}' has shape [{string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]; [N, C, H, W] (or [N, H, W, C] with a Transpose) with fixed C, H, W and N 1 or free is read");
            }
            // An input transposed to NCHW by the graph's first node (TensorFlow exporters) is an NHWC image.
            var first = graph.Node.FirstOrDefault(n => n.Input.Contains(input.Name));
            if (first is { OpType: "Transpose" } && graph.Node.Count(n => n.Input.Contains(input.Name)) == 1
                && Ints(first, "perm") is [0, 3, 1, 2])
            {
                InputIsNhwc = true;
                Shapes[input.Name] = new Shape((int)dims[3], (int)dims[1], (int)dims[2]);
                Notes.Add($"input '{input.Name}' is NHWC ([N, {dims[1]}, {dims[2]}, {dims[3]}]) with a Transpose to NCHW: the engine reads NHWC, the Transpose is dropped");
            }
            else
            {
                Shapes[input.Name] = new Shape((int)dims[1], (int)dims[2], (int)dims[3]);
            }
        }

        private string Resolve(string name) => _alias.TryGetValue(name, out var a) ? a : name;

        private Shape Activation(NodeProto node, int index)
        {
            string? name = Input(node, index) ?? throw Error(node, $"input {index} is missing");
            return Shapes.TryGetValue(Resolve(name), out var s) ? s
                : _constants.ContainsKey(name) ? throw Error(node, $"input '{name}' is a constant where an activation is expected")
                : throw Error(node, $"input '{name}' is produced by no node before it (nodes must be in topological order)");
        }

        private TensorProto Constant(NodeProto node, int index, string role)
        {
            string? name = Input(node, index) ?? throw Error(node, $"the {role} (input {index}) is missing");
            return _constants.TryGetValue(name, out var t) ? t
                : throw Error(node, $"the {role} '{name}' is not an initializer or Constant (a computed {role} is not supported)");
        }

        private float[] Floats(NodeProto node, int index, string role, long expected)
        {
            var t = Constant(node, index, role);
            var values = OnnxFile.Floats(t, $"{Describe(node)}: {role} '{node.Input[index]}'");
            if (expected >= 0 && values.Length != expected)
            {
                throw Error(node, $"{role} '{node.Input[index]}' has {values.Length:N0} values (dims [{string.Join(", ", t.Dims)}]), {expected:N0} are needed");
            }
            return values;
        }

        private void Produce(NodeProto node, Shape shape, Step step)
        {
            if (node.Output.Count == 0 || node.Output[0].Length == 0)
            {
                throw Error(node, "has no output");
            }
            Shapes[node.Output[0]] = shape;
            Steps.Add(step);
        }

        private void Lower(NodeProto node)
        {
            if (node.Domain is not ("" or "ai.onnx"))
            {
                throw Error(node, $"op domain '{node.Domain}' is not supported (only the default ONNX domain is)");
            }
            string x = Input(node, 0) is string i0 ? Resolve(i0) : "";
            string y = node.Output.Count > 0 ? node.Output[0] : "";
            switch (node.OpType)
            {
                case "Constant":
                    _constants[y] = ConstantValue(node);
                    break;
                case "Identity":
                case "Dropout":
                    Activation(node, 0);
                    _alias[y] = x;
                    break;
                case "Transpose":
                    if (!(InputIsNhwc && x == InputName))
                    {
                        throw Error(node, "a Transpose is read only as the first node, taking an NHWC input to NCHW (perm [0, 3, 1, 2])");
                    }
                    _alias[y] = x;
                    break;
                case "Conv":
                    LowerConv(node, x, y);
                    break;
                case "BatchNormalization":
                    LowerBatchNorm(node, x, y);
                    break;
                case "Relu":
                    if (!_options.ReluAsRelu6)
                    {
                        throw Error(node, "a plain ReLU is not supported: the engine's activation is ReLU6 (Clip 0..6); import with --relu-as-relu6 to read it as ReLU6 (the import reports how much the outputs change)");
                    }
                    Produce(node, Activation(node, 0), new Relu6Step(node, x, y));
                    break;
                case "Clip":
                    LowerClip(node, x, y);
                    break;
                case "Add":
                    LowerAdd(node, x, y);
                    break;
                case "GlobalAveragePool":
                    Produce(node, Activation(node, 0) with { H = 1, W = 1 }, new GapStep(node, x, y));
                    break;
                case "AveragePool":
                    LowerAveragePool(node, x, y);
                    break;
                case "ReduceMean":
                    LowerReduceMean(node, x, y);
                    break;
                case "Flatten":
                case "Reshape":
                case "Squeeze":
                    LowerFlatten(node, x, y);
                    break;
                case "Gemm":
                case "MatMul":
                    LowerFullyConnected(node, x, y);
                    break;
                case "Softmax":
                    Produce(node, Activation(node, 0), new SoftmaxStep(node, x, y));
                    break;
                default:
                    throw Error(node, $"op {node.OpType} is not supported; supported ops: {string.Join(", ", SupportedOps)}");
            }
        }

        private void LowerConv(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            RequireMap(node, s);
            var w = Constant(node, 1, "weight");
            int group = (int)Int(node, "group", 1);
            if (w.Dims.Count != 4 || w.Dims.Any(d => d <= 0 || d > 4096))
            {
                throw Error(node, $"weight '{node.Input[1]}' has dims [{string.Join(", ", w.Dims)}]; a 2-D conv's is [out, in/group, kH, kW]");
            }
            int outC = (int)w.Dims[0];
            int kh = (int)w.Dims[2];
            int kw = (int)w.Dims[3];
            if (group < 1 || s.C % group != 0 || outC % group != 0 || w.Dims[1] != s.C / group)
            {
                throw Error(node, $"weight '{node.Input[1]}' dims [{string.Join(", ", w.Dims)}] do not match an input of {s.C} channels in {group} group(s)");
            }
            var kernelShape = Ints(node, "kernel_shape");
            if (kernelShape != null && !(kernelShape.Length == 2 && kernelShape[0] == kh && kernelShape[1] == kw))
            {
                throw Error(node, $"kernel_shape [{string.Join(", ", kernelShape)}] differs from the weight's {kh}x{kw}");
            }
            if (kh != kw)
            {
                throw Error(node, $"kernel {kh}x{kw} is not square; the engine's convs are k×k");
            }
            var dilations = Ints(node, "dilations");
            if (dilations != null && dilations.Any(d => d != 1))
            {
                throw Error(node, $"dilations [{string.Join(", ", dilations)}] are not supported (dilation 1 only)");
            }
            var strides = Ints(node, "strides") ?? [1, 1];
            if (strides.Length != 2 || strides[0] != strides[1] || strides[0] is < 1 or > 2)
            {
                throw Error(node, $"strides [{string.Join(", ", strides)}] are not supported (1 or 2, the same on both axes)");
            }
            int stride = (int)strides[0];
            var pads = ConvPads(node, s.H, s.W, kh, kw, stride, stride);
            int pad = kh / 2;
            if (pads.Any(p => p != pad))
            {
                throw Error(node, $"pads [{string.Join(", ", pads)}] (top, left, bottom, right) are not supported: the engine pads k/2 = {pad} on every side" +
                    (pads[0] != pads[2] || pads[1] != pads[3] ? " (asymmetric pads come from TensorFlow's 'SAME' with stride 2; export with symmetric padding)" : ""));
            }
            var weight = Floats(node, 1, "weight", OnnxFile.ElementCount(w.Dims));
            float[]? bias = Input(node, 2) != null ? Floats(node, 2, "bias", outC) : null;
            int oh = ((s.H + (2 * pad) - kh) / stride) + 1;
            int ow = ((s.W + (2 * pad) - kw) / stride) + 1;
            Produce(node, new Shape(outC, oh, ow), new ConvStep(node, x, y, weight, bias, s.C, outC, kh, stride, group));
        }

        private void LowerBatchNorm(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            if (Int(node, "training_mode", 0) != 0)
            {
                throw Error(node, "training_mode = 1: export the model in inference mode (model.eval())");
            }
            if (node.Output.Skip(1).Any(o => o.Length > 0))
            {
                throw Error(node, "uses the running-statistics outputs of training mode; export the model in inference mode");
            }
            var step = new BnStep(node, x, y, Floats(node, 1, "scale", s.C), Floats(node, 2, "bias", s.C), Floats(node, 3, "mean", s.C),
                Floats(node, 4, "variance", s.C), Float(node, "epsilon", 1e-5f));
            if (!(step.Eps > 0))
            {
                throw Error(node, $"epsilon {step.Eps} is not positive");
            }
            Produce(node, s, step);
        }

        private void LowerClip(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            float min;
            float max;
            if (_opset < 11)
            {
                min = Float(node, "min", float.NegativeInfinity);
                max = Float(node, "max", float.PositiveInfinity);
            }
            else
            {
                min = Input(node, 1) != null ? Floats(node, 1, "min", 1)[0] : float.NegativeInfinity;
                max = Input(node, 2) != null ? Floats(node, 2, "max", 1)[0] : float.PositiveInfinity;
            }
            if (min != 0f || max != 6f)
            {
                throw Error(node, $"Clip({min}, {max}) is not supported; Clip(0, 6) is ReLU6, the engine's activation");
            }
            Produce(node, s, new Relu6Step(node, x, y));
        }

        private void LowerAdd(NodeProto node, string x, string y)
        {
            string? other = Input(node, 1) ?? throw Error(node, "input 1 is missing");
            bool constA = Input(node, 0) is string a && _constants.ContainsKey(a);
            bool constB = _constants.ContainsKey(other);
            if (!constA && !constB)
            {
                var sa = Activation(node, 0);
                var sb = Activation(node, 1);
                if (sa != sb)
                {
                    throw Error(node, $"adds shapes {sa} and {sb}; the engine adds equal shapes (a residual connection)");
                }
                Produce(node, sa, new AddStep(node, x, Resolve(other), y));
                return;
            }
            // A constant added to a MatMul's output is that classifier's bias.
            int dataIndex = constA ? 1 : 0;
            string data = Resolve(node.Input[dataIndex]);
            int last = Steps.Count - 1;
            if (constA && constB || last < 0 || Steps[last] is not FcStep { Bias: null } fc || fc.Output != data)
            {
                throw Error(node, "adding a constant is read only as the bias right after a MatMul");
            }
            Steps[last] = fc with { Output = y, Bias = Bias(node, 1 - dataIndex, fc.Out, 1f) };
            Shapes[y] = Shapes[data];
        }

        private void LowerAveragePool(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            var kernel = Ints(node, "kernel_shape") ?? throw Error(node, "has no kernel_shape");
            var pads = Ints(node, "pads") ?? [0, 0, 0, 0];
            if (!(kernel.Length == 2 && kernel[0] == s.H && kernel[1] == s.W) || pads.Any(p => p != 0) || String(node, "auto_pad", "NOTSET") is not ("NOTSET" or "VALID"))
            {
                throw Error(node, $"kernel [{string.Join(", ", kernel)}] over a {s.H}x{s.W} map: only a pool over the whole map without padding (global average pooling) is supported");
            }
            Produce(node, s with { H = 1, W = 1 }, new GapStep(node, x, y));
        }

        private void LowerReduceMean(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            RequireMap(node, s);
            if (!AxesAreHw(node, inputFromOpset: 18, out var axes))
            {
                throw Error(node, $"axes [{string.Join(", ", axes)}]: only the mean over H and W (axes [2, 3]) is supported, as global average pooling");
            }
            bool keep = Int(node, "keepdims", 1) != 0;
            Produce(node, new Shape(s.C, 1, 1, Flat: !keep), new GapStep(node, x, y));
        }

        private void LowerFlatten(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            if (!s.Flat && (s.H != 1 || s.W != 1))
            {
                throw Error(node, $"flattens a {s.H}x{s.W} map; the engine flattens only after global average pooling (1x1)");
            }
            long[] target = node.OpType switch
            {
                "Flatten" => Int(node, "axis", 1) == 1 ? [1, s.C] : throw Error(node, $"axis {Int(node, "axis", 1)}: only axis 1 ([N, C]) is supported"),
                "Reshape" => OnnxFile.Integers(Constant(node, 1, "shape"), $"{Describe(node)}: shape"),
                _ => SqueezeAxes(node),
            };
            bool toFeatures = target.Length == 2 && target[0] is 1 or 0 or -1 && (target[1] == s.C || target[1] == -1);
            if (!toFeatures)
            {
                throw Error(node, $"target [{string.Join(", ", target)}]: only a reshape of [N, {s.C}, 1, 1] to [N, {s.C}] is supported");
            }
            Produce(node, new Shape(s.C, 1, 1, Flat: true), new FlattenStep(node, x, y));
        }

        private long[] SqueezeAxes(NodeProto node) =>
            AxesAreHw(node, inputFromOpset: 13, out var axes) ? [1, -1] : throw Error(node, $"axes [{string.Join(", ", axes)}]: only squeezing H and W (axes [2, 3]) is supported");

        /// <summary>Whether the node's axes (an attribute, or input 1 from <paramref name="inputFromOpset"/>) are H and W of NCHW.</summary>
        private bool AxesAreHw(NodeProto node, int inputFromOpset, out long[] axes)
        {
            axes = _opset >= inputFromOpset
                ? (Input(node, 1) != null ? OnnxFile.Integers(Constant(node, 1, "axes"), $"{Describe(node)}: axes") : [])
                : Ints(node, "axes") ?? [];
            return axes.Select(a => a < 0 ? a + 4 : a).Order().ToArray() is [2, 3];
        }

        /// <summary>Gemm (Y = α·A·B(ᵀ) + β·C) or MatMul (Gemm with neither transposes, α, β nor C): the classifier.</summary>
        private void LowerFullyConnected(NodeProto node, string x, string y)
        {
            var s = Activation(node, 0);
            RequireFlat(node, s);
            if (Int(node, "transA", 0) != 0)
            {
                throw Error(node, "transA = 1 is not supported");
            }
            bool transB = Int(node, "transB", 0) != 0;
            float alpha = Float(node, "alpha", 1f);
            float beta = Float(node, "beta", 1f);
            var b = Constant(node, 1, "weight");
            long inDim = b.Dims.Count == 2 ? b.Dims[transB ? 1 : 0] : -1;
            if (b.Dims.Count != 2 || inDim != s.C || b.Dims[transB ? 0 : 1] is <= 0 or > 4096)
            {
                throw Error(node, $"weight '{node.Input[1]}' has dims [{string.Join(", ", b.Dims)}]; {(transB ? $"[out, {s.C}]" : $"[{s.C}, out]")} is needed for an input of {s.C} features" +
                    (node.OpType == "Gemm" ? $" (transB = {(transB ? 1 : 0)})" : ""));
            }
            int outputs = (int)b.Dims[transB ? 0 : 1];
            var raw = Floats(node, 1, "weight", (long)s.C * outputs);
            var weight = (transB ? OnnxLayouts.Transpose(raw, outputs, s.C) : raw).Select(v => alpha * v).ToArray();
            float[]? bias = Input(node, 2) != null ? Bias(node, 2, outputs, beta) : null;
            Produce(node, new Shape(outputs, 1, 1, Flat: true), new FcStep(node, x, y, weight, bias, outputs));
        }

        /// <summary>A classifier's bias from input <paramref name="index"/>: one value per output, or one for all; times <paramref name="scale"/>.</summary>
        private float[] Bias(NodeProto node, int index, int outputs, float scale)
        {
            var c = Floats(node, index, "bias", -1);
            if (c.Length != outputs && c.Length != 1)
            {
                throw Error(node, $"bias '{node.Input[index]}' has {c.Length} values; the classifier has {outputs} outputs");
            }
            return Enumerable.Range(0, outputs).Select(o => scale * c[c.Length == 1 ? 0 : o]).ToArray();
        }

        private static void RequireMap(NodeProto node, Shape s)
        {
            if (s.Flat)
            {
                throw Error(node, $"its input is a flat vector {s}; a [C, H, W] map is needed");
            }
        }

        private static void RequireFlat(NodeProto node, Shape s)
        {
            if (!s.Flat)
            {
                throw Error(node, $"its input is a map {s}; flatten it first (Flatten after global average pooling)");
            }
        }
    }

    // ---- matching: steps to the zoo format ----------------------------------------------------------------------

    private sealed record ConvUnit(ConvStep Conv, BnStep? Bn, bool Relu6, string Output);

    private sealed class Matcher
    {
        private readonly Lowering _g;
        private readonly string _path;
        private readonly string _name;
        private readonly Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, float[]> _weights = new(StringComparer.Ordinal);
        private int _at;

        public Matcher(Lowering lowered, string path, string name)
        {
            _g = lowered;
            _path = path;
            _name = name;
            foreach (var step in lowered.Steps)
            {
                _consumers[step.Input] = _consumers.GetValueOrDefault(step.Input) + 1;
                if (step is AddStep add)
                {
                    _consumers[add.Other] = _consumers.GetValueOrDefault(add.Other) + 1;
                }
            }
        }

        public List<string> Notes { get; } = [];

        private List<Step> Steps => _g.Steps;

        private Step? Peek() => _at < Steps.Count ? Steps[_at] : null;

        private NanoTrainException Unexpected(string expected, string after)
        {
            var next = Peek();
            return next == null
                ? new NanoTrainException(ErrorKind.BadInput, $"the graph ends after {after}; {expected} was expected")
                : Error(next.Node, $"{expected} was expected here (after {after})");
        }

        /// <summary>A conv and the batch norm and ReLU6 that follow it alone; its input must be <paramref name="x"/>.</summary>
        private ConvUnit TakeConv(string x, string role, string after)
        {
            if (Peek() is not ConvStep conv || conv.Input != x)
            {
                throw Unexpected($"the {role} (Conv)", after);
            }
            _at++;
            string y = conv.Output;
            BnStep? bn = null;
            if (Peek() is BnStep b && b.Input == y && _consumers.GetValueOrDefault(y) == 1)
            {
                bn = b;
                y = b.Output;
                _at++;
            }
            bool relu = false;
            if (Peek() is Relu6Step r && r.Input == y && _consumers.GetValueOrDefault(y) == 1)
            {
                relu = true;
                y = r.Output;
                _at++;
            }
            return new ConvUnit(conv, bn, relu, y);
        }

        private static void Require(bool ok, ConvUnit unit, string reason)
        {
            if (!ok)
            {
                throw Error(unit.Conv.Node, reason);
            }
        }

        /// <summary>The zoo model, its weights, and the graph tensor that holds its logits.</summary>
        public (ZooModel Model, Dictionary<string, float[]> Weights, string Logits) Run()
        {
            var input = _g.Shapes[_g.InputName];
            if (input.H != input.W)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"input '{_g.InputName}' is {input.H}x{input.W}; the engine's inputs are square");
            }
            var stem = TakeConv(_g.InputName, "stem conv", $"input '{_g.InputName}'");
            Require(stem.Conv.Group == 1, stem, $"the stem conv has {stem.Conv.Group} groups; a full conv (group 1) is needed");
            Require(stem.Relu6, stem, "the stem conv is not followed by ReLU6 (Clip 0..6)");
            Keep("stem", stem);
            string x = stem.Output;
            int c = stem.Conv.OutC;
            var blocks = new List<BlockSpec>();
            int? head = null;
            while (Peek() is ConvStep)
            {
                string where = blocks.Count == 0 ? "the stem" : $"block {blocks.Count}";
                var first = TakeConv(x, "expand, depthwise or head conv", where);
                bool firstIsDepthwise = first.Conv.Group == first.Conv.InC && first.Conv.Group == first.Conv.OutC && first.Conv.Group > 1;
                if (!firstIsDepthwise && Peek() is not ConvStep)
                {
                    Require(first.Conv.Kernel == 1 && first.Conv.Group == 1 && first.Relu6, first,
                        "the last conv before pooling must be a 1x1 head conv + ReLU6");
                    Keep("head", first);
                    head = first.Conv.OutC;
                    x = first.Output;
                    c = head.Value;
                    break;
                }
                string prefix = $"b{blocks.Count + 1}";
                ConvUnit dw;
                int expand = 1;
                if (firstIsDepthwise)
                {
                    dw = first;
                }
                else
                {
                    Require(first.Conv.Kernel == 1 && first.Conv.Group == 1, first, $"{prefix}'s expand conv must be 1x1 with group 1 (is {first.Conv.Kernel}x{first.Conv.Kernel}, group {first.Conv.Group})");
                    Require(first.Relu6, first, $"{prefix}'s expand conv is not followed by ReLU6 (Clip 0..6)");
                    Require(first.Conv.OutC % c == 0 && first.Conv.OutC / c > 1, first,
                        $"{prefix}'s expand conv makes {first.Conv.OutC} channels from {c}; the zoo's expansion is a whole factor of 2 or more");
                    expand = first.Conv.OutC / c;
                    Keep($"{prefix}.expand", first);
                    dw = TakeConv(first.Output, "depthwise conv", $"{prefix}'s expand conv");
                }
                int hidden = c * expand;
                Require(dw.Conv.Group == hidden && dw.Conv.InC == hidden && dw.Conv.OutC == hidden, dw,
                    $"{prefix}'s depthwise conv must have group = in = out = {hidden} channels (has group {dw.Conv.Group}, {dw.Conv.InC} in, {dw.Conv.OutC} out)");
                Require(dw.Conv.Kernel % 2 == 1, dw, $"{prefix}'s depthwise kernel {dw.Conv.Kernel} is even");
                Require(dw.Relu6, dw, $"{prefix}'s depthwise conv is not followed by ReLU6 (Clip 0..6)");
                Keep($"{prefix}.dw", dw);
                var project = TakeConv(dw.Output, "project conv (1x1)", $"{prefix}'s depthwise conv");
                Require(project.Conv.Kernel == 1 && project.Conv.Group == 1, project, $"{prefix}'s project conv must be 1x1 with group 1");
                Require(!project.Relu6, project, $"{prefix}'s project conv is followed by an activation; the zoo's blocks end linear");
                Keep($"{prefix}.project", project);
                int outC = project.Conv.OutC;
                string y = project.Output;
                bool residualExpected = dw.Conv.Stride == 1 && c == outC;
                if (Peek() is AddStep add && (add.Input == y && add.Other == x || add.Input == x && add.Other == y))
                {
                    if (!residualExpected)
                    {
                        throw Error(add.Node, $"{prefix} adds its input although it changes the shape (stride {dw.Conv.Stride}, {c} → {outC} channels)");
                    }
                    _at++;
                    y = add.Output;
                }
                else if (residualExpected)
                {
                    throw Error(project.Conv.Node, $"{prefix} keeps stride 1 and {c} channels but has no residual Add of its input; the zoo format adds one in every such block");
                }
                blocks.Add(new BlockSpec(expand, outC, dw.Conv.Kernel, dw.Conv.Stride));
                x = y;
                c = outC;
            }
            if (blocks.Count == 0)
            {
                throw Unexpected("an inverted-residual block (expand 1x1, depthwise, project 1x1)", "the stem");
            }
            string after = head != null ? "the head conv" : $"block {blocks.Count}";
            if (Peek() is not GapStep gap || gap.Input != x)
            {
                throw Unexpected("global average pooling (GlobalAveragePool, ReduceMean over H and W, or an AveragePool over the whole map)", after);
            }
            _at++;
            x = gap.Output;
            if (Peek() is FlattenStep flat && flat.Input == x)
            {
                _at++;
                x = flat.Output;
            }
            if (Peek() is not FcStep fc || fc.Input != x)
            {
                throw Unexpected("the classifier (Gemm, or MatMul + Add)", "the pooling");
            }
            _at++;
            x = fc.Output;
            string logits = x;
            _weights["fc.w"] = fc.Weight;
            _weights["fc.b"] = fc.Bias ?? new float[fc.Out];
            if (Peek() is SoftmaxStep softmax && softmax.Input == x)
            {
                _at++;
                x = softmax.Output;
                Notes.Add($"{Describe(softmax.Node)} after the classifier is dropped: the engine's model ends in logits (the loss applies softmax; the top-1 class is unchanged)");
            }
            if (Peek() is Step extra)
            {
                throw Error(extra.Node, "nothing may follow the classifier (and its Softmax)");
            }
            if (x != _g.OutputName)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"the graph's output is '{_g.OutputName}', not the classifier's '{x}'");
            }
            string description = $"Imported from {Path.GetFileName(_path)}: {blocks.Count} inverted-residual blocks{(head != null ? ", 1x1 head" : "")}, {fc.Out} classes.";
            string json = new ZooModel(_name, description, input.C, input.H, fc.Out, stem.Conv.OutC, stem.Conv.Kernel, stem.Conv.Stride, blocks, head, _path).ToJson();
            // The zoo's own reader checks every range and names the field ("the imported model: field 'blocks[2].expand' …").
            var model = ZooModel.Parse("the imported model", json) with { SourcePath = _path };
            return (model, _weights, logits);
        }

        /// <summary>
        /// The unit's weights under the zoo names of <paramref name="prefix"/>: conv weight HWIO, batch norm with the
        /// engine's epsilon; a conv bias goes into the running mean, a missing batch norm becomes an identity one.
        /// </summary>
        private void Keep(string prefix, ConvUnit unit)
        {
            var conv = unit.Conv;
            var hwio = OnnxLayouts.OihwToHwio(conv.Weight, conv.OutC, conv.InC / conv.Group, conv.Kernel);
            _weights[$"{prefix}.conv.w"] = hwio;
            int n = conv.OutC;
            float eps = ZooModel.BatchNormEps;
            float[] gamma, beta, mean, variance;
            if (unit.Bn is BnStep bn)
            {
                gamma = bn.Gamma;
                beta = bn.Beta;
                mean = conv.Bias == null ? bn.Mean : bn.Mean.Select((m, c) => m - conv.Bias[c]).ToArray();
                // Same σ² + ε as the file's: only rewritten when its ε differs from the engine's.
                variance = bn.Eps == eps ? bn.Var : bn.Var.Select(v => v + bn.Eps - eps).ToArray();
            }
            else
            {
                // γ/√(σ²+ε) = 1 exactly, so the batch norm passes the conv (and its bias) through.
                gamma = Enumerable.Repeat(MathF.Sqrt(1f + eps), n).ToArray();
                beta = conv.Bias ?? new float[n];
                mean = new float[n];
                variance = Enumerable.Repeat(1f, n).ToArray();
            }
            _weights[$"{prefix}.bn.gamma"] = gamma;
            _weights[$"{prefix}.bn.beta"] = beta;
            _weights[$"{prefix}.bn.mean"] = mean;
            _weights[$"{prefix}.bn.var"] = variance;
        }
    }
}
