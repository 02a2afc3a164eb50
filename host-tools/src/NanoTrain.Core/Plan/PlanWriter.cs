using System.Buffers.Binary;
using System.Text;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;

namespace NanoTrain.Core.Plan;

/// <summary>How to turn a model into a plan.</summary>
public sealed record PlanOptions
{
    /// <summary>Samples per step (the device uses 1).</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Fold batch norm into the preceding conv's weights and a bias (the device form).</summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>Names of the parameters training may update; null for all of them.</summary>
    public IReadOnlySet<string>? Trainable { get; init; }

    /// <summary>Give trainable parameters momentum buffers.</summary>
    public bool Momentum { get; init; }

    /// <summary>Board the plan is for; empty for any (host).</summary>
    public string Board { get; init; } = "";

    /// <summary>
    /// Memory banks to lay the arena out in with reuse (DESIGN.md §7), in order of preference; null for the
    /// sequential layout (every tensor its own bytes, parameters and state in space 1, the rest in space 2),
    /// which keeps every gradient readable after nt_exec_backward (host training, gradient checks).
    /// </summary>
    public IReadOnlyList<PlannerBank>? Banks { get; init; }

    /// <summary>
    /// Gradient condensing (TinyMP, DESIGN.md §6.2): activation gradients are kept as per-channel spatial means
    /// [n,1,1,c]; a conv whose weights train keeps its input's shifted-window sums instead of the input, a ReLU6 its
    /// per-channel active counts instead of its output. Needs <see cref="FoldBatchNorm"/> (no batch-norm backward).
    /// </summary>
    public bool Condense { get; init; }

    /// <summary>
    /// With <see cref="Condense"/> on the int8 network: the side r of the r x r patches gradients are averaged over,
    /// [n, ceil(h/r), ceil(w/r), c]; the sums and active counts are kept per patch. 0: whole maps.
    /// </summary>
    public int Patch { get; init; }

    /// <summary>
    /// With <see cref="Condense"/> on the int8 network: each conv keeps one input sum per patch, under its centre tap,
    /// for every tap's weight gradient (gradient filtering), instead of one per tap.
    /// </summary>
    public bool CentreSums { get; init; }

    /// <summary>
    /// The learning rate of trainable int8 parameters over that of the fp32 ones (the classifier): condensed
    /// gradients of deep convs are larger and their steps rounder, so they usually want a smaller rate.
    /// </summary>
    public float Int8LrScale { get; init; } = 1f;

    /// <summary>
    /// Elastic selection (DESIGN.md §6.4): the plan reserves the workspace the device chooses its trained tensors in
    /// (<see cref="ElasticState.Bytes"/>), for the whole run.
    /// </summary>
    public bool Elastic { get; init; }

    /// <summary>Alternant partial update of the int8 convs whose weights train (with <see cref="Condense"/>); null: every filter trains.</summary>
    public AlternantUpdate? Apu { get; init; }
}

/// <summary>
/// Writes a model and its weights as an .ntplan: every tensor at its own offset (no reuse yet), trainable
/// parameters and batch-norm running statistics in space 1 initialised from the blob, frozen parameters
/// read straight from the blob, activations, gradients and the rest in space 2.
/// </summary>
public static class PlanWriter
{
    private const int Align = 16;

    public static PlanImage Write(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Batch < 1 || options.Batch > ushort.MaxValue)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"batch {options.Batch} is out of range 1..65535");
        }
        if (options.Patch != 0 || options.CentreSums)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{graph.Name}: condensing over patches is for the int8 network's convs; the fp32 kernels condense whole maps");
        }
        if (options.Condense && !options.FoldBatchNorm && graph.Layers.OfType<BatchNormLayer>().Any())
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{graph.Name}: gradient condensing needs batch norm folded (there is no condensed batch-norm backward)");
        }
        if (Encoding.ASCII.GetByteCount(options.Board) > PlanFormat.BoardBytes)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"board id '{options.Board}' is longer than {PlanFormat.BoardBytes} characters");
        }
        var b = new Builder(graph, weights, options);
        return b.Build();
    }

    /// <summary>
    /// Writes an int8 model as an inference plan: the fp32 input is quantized, every op runs in int8, the logits
    /// are dequantized to fp32 for the loss and the prediction. Nothing is trainable.
    /// </summary>
    public static PlanImage WriteInt8(Quantization.QuantizedModel model, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Batch < 1 || options.Batch > ushort.MaxValue)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"batch {options.Batch} is out of range 1..65535");
        }
        return new Builder(null, new Dictionary<string, float[]>(), options).BuildInt8(model, null);
    }

    /// <summary>
    /// The device form of last-layer training: the int8 model up to its classifier, whose input is dequantized
    /// and fed to the classifier in fp32, trainable, initialised from <paramref name="fp32Weights"/> ("fc.w" IO
    /// [1,1,in,out] and "fc.b").
    /// </summary>
    public static PlanImage WriteInt8WithFp32Classifier(Quantization.QuantizedModel model, IReadOnlyDictionary<string, float[]> fp32Weights, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fp32Weights);
        ArgumentNullException.ThrowIfNull(options);
        if (model.Ops.Count == 0 || model.Ops[^1] is not Quantization.QuantizedFc)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: the last op is not a fully connected classifier");
        }
        if ((options.Patch != 0 || options.CentreSums) && !options.Condense || options.Patch < 0 || options.Patch == 1)
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{model.Name}: patch {options.Patch}{(options.CentreSums ? " with centre sums" : "")} needs condensing and a side of at least 2 (0: whole maps)");
        }
        return new Builder(null, fp32Weights, options).BuildInt8(model, fp32Weights);
    }

    private sealed class Tensor
    {
        public byte Dtype;
        public byte Space;
        public ushort Flags;
        public uint Offset;
        public uint Bytes;
        public uint InitOffset;
        public int[] Dims = [1, 1, 1, 1];
        public ushort Grad = PlanFormat.None;
        public ushort Momentum = PlanFormat.None;
    }

    private sealed class Op
    {
        public byte Kind;
        public byte Flags;
        public ushort Select = PlanFormat.None;
        public ushort[] In = [PlanFormat.None, PlanFormat.None, PlanFormat.None, PlanFormat.None, PlanFormat.None, PlanFormat.None];
        public ushort[] Out = [PlanFormat.None, PlanFormat.None];
        public ushort[] Saved = [PlanFormat.None, PlanFormat.None];
        public int[] Params = new int[6];
    }

    private sealed class Builder(ModelGraph? graphOrNull, IReadOnlyDictionary<string, float[]> weights, PlanOptions options)
    {
        private ModelGraph graph => graphOrNull!;
        private readonly List<Tensor> _tensors = [];
        private readonly List<Op> _ops = [];
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private long[] _spaceUsed = new long[3];
        private PlanMemory? _memory;
        private readonly MemoryStream _blob = new();
        private readonly List<string> _trainable = [];
        private readonly Dictionary<string, float[]> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _renamed = new(StringComparer.Ordinal);
        private int _maxBnChannels;
        private int _scratchIndex = -1;
        private readonly HashSet<int> _windows = [];
        private string name = "";

        public PlanImage BuildInt8(Quantization.QuantizedModel model, IReadOnlyDictionary<string, float[]>? fp32Classifier)
        {
            int n = options.Batch;
            name = model.Name;
            int[] Dims(string activation)
            {
                var (h, w, c) = model.Shapes[activation];
                return [n, h, w, c];
            }
            // Activations after the first trainable conv carry gradients back to it: condensed ([n,1,1,c], or over r x r
            // patches), or full maps for exact backward (sparse update).
            bool gradients = false;
            int[] Patches(string activation)
            {
                var (h, w, c) = model.Shapes[activation];
                int r = options.Patch;
                return r > 0 ? [n, (h + r - 1) / r, (w + r - 1) / r, c] : [n, 1, 1, c];
            }
            ushort S8(string activation)
            {
                if (_index.TryGetValue(activation, out int i))
                {
                    return (ushort)i;
                }
                int t = AddTensor(activation, PlanFormat.DtypeS8, 2, Dims(activation), 0);
                if (gradients)
                {
                    _tensors[t].Grad = (ushort)AddTensor("grad:" + activation, PlanFormat.DtypeF32, 2, options.Condense ? Patches(activation) : Dims(activation), 0);
                }
                return (ushort)t;
            }
            bool Trains(string tensorName) => options.Trainable?.Contains(tensorName) == true;
            // Read in place from the blob; or, when it trains, an int8 parameter in SRAM copied from the blob and updated
            // in place by its op's backward.
            ushort Const<T>(string tensorName, T[] values, byte dtype, int[] dims, bool trains = false)
                where T : unmanaged
            {
                if (!trains)
                {
                    int frozen = AddTensor(tensorName, dtype, 0, dims, 0);
                    _tensors[frozen].Offset = AppendBlob(values);
                    return (ushort)frozen;
                }
                int t = AddTensor(tensorName, dtype, 1, dims, (ushort)(PlanFormat.FlagInit | PlanFormat.FlagParam));
                _tensors[t].InitOffset = AppendBlob(values);
                _trainable.Add(tensorName);
                return (ushort)t;
            }

            // The drift op after a conv whose filters update alternately: source statistics in the blob (mean, then
            // 1/std floored at one quantum of the output), scores and ages kept in SRAM across steps. Returns the ages.
            ushort AddFilterDrift(Quantization.QuantizedConv conv, AlternantUpdate apu)
            {
                var (h, w, c) = model.Shapes[conv.Output];
                apu.Check(conv.Name, c);
                var quant = model.Activations[conv.Output];
                var stats = apu.Source.TryGetValue(conv.Output, out var found) ? found
                    : throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: no source statistics for '{conv.Output}'");
                if (stats.Mean.Length != c || stats.Std.Length != c)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: source statistics of '{conv.Output}' have {stats.Mean.Length} channels, expected {c}");
                }
                float[] source = [.. stats.Mean, .. stats.Std.Select(sd => (float)Math.Min(1e6, 1.0 / Math.Max(sd, quant.Scale)))];
                var d = NewOp(PlanFormat.OpFilterDrift);
                d.In[0] = S8(conv.Output);
                d.In[1] = Const(conv.Name + ".source", source, PlanFormat.DtypeF32, [1, 1, 2, c]);
                d.Out[0] = (ushort)AddTensor(conv.Name + ".drift", PlanFormat.DtypeF32, 1, [1, 1, 1, c], PlanFormat.FlagZero);
                d.Out[1] = (ushort)AddTensor(conv.Name + ".ages", PlanFormat.DtypeU8, 1, [1, 1, 1, c], PlanFormat.FlagZero);
                d.Params = [apu.Round, apu.Chosen(c), apu.HorizonFor(c), BitConverter.SingleToInt32Bits(apu.Momentum),
                    BitConverter.SingleToInt32Bits(quant.Scale), quant.ZeroPoint];
                return d.Out[1];
            }

            var inputQuant = model.Activations["input"];
            var quantize = NewOp(PlanFormat.OpQuantize);
            quantize.In[0] = AddActivation("input.f32", Dims("input"), grad: false);
            quantize.Out[0] = S8("input");
            quantize.Params[0] = BitConverter.SingleToInt32Bits(inputQuant.Scale);
            quantize.Params[1] = inputQuant.ZeroPoint;
            string last = "input";
            var int8Ops = fp32Classifier == null ? model.Ops : model.Ops.Take(model.Ops.Count - 1).ToList();
            foreach (var op in int8Ops)
            {
                switch (op)
                {
                    case Quantization.QuantizedConv conv:
                    {
                        var o = NewOp(PlanFormat.OpConv2dS8);
                        var (_, _, cout) = model.Shapes[conv.Output];
                        var (_, _, cin) = model.Shapes[conv.Input];
                        bool depthwise = conv.Groups == cin && conv.Groups == cout && conv.Groups > 1;
                        bool trainW = Trains(conv.Name + ".w.s8"), trainB = Trains(conv.Name + ".b.s32");
                        o.In[0] = S8(conv.Input);
                        int[] wDims = depthwise ? [conv.Kernel, conv.Kernel, 1, cout] : [cout, conv.Kernel, conv.Kernel, cin / conv.Groups];
                        o.In[1] = Const(conv.Name + ".w.s8", conv.Weight, PlanFormat.DtypeS8, wDims, trainW);
                        o.In[2] = Const(conv.Name + ".b.s32", conv.Bias, PlanFormat.DtypeS32, [1, 1, 1, cout], trainB);
                        o.In[3] = Const(conv.Name + ".multiplier", conv.Quant.Multiplier, PlanFormat.DtypeS32, [1, 1, 1, cout]);
                        o.In[4] = Const(conv.Name + ".shift", conv.Quant.Shift, PlanFormat.DtypeS32, [1, 1, 1, cout]);
                        bool backward = trainW || trainB || _tensors[o.In[0]].Grad != PlanFormat.None;
                        gradients |= backward;
                        o.Out[0] = S8(conv.Output);
                        o.Params = [conv.Kernel, conv.Stride, conv.Pad, conv.Groups,
                            PlanFormat.Pack16(conv.Quant.InputOffset, conv.Quant.OutputOffset), PlanFormat.Pack16(conv.Quant.ActMin, conv.Quant.ActMax)];
                        if (backward)
                        {
                            // Weight scales, then the input scale. Condensed: the sums pair with the output's mean gradient for
                            // dW; the counts carry that gradient through the clamp (the fused activation's, or the int8 range's:
                            // an output at either end of its range passes no gradient, even when that range is ReLU6's
                            // [0, 6] at scale 6/255). Exact: the backward reads the input and the output themselves (see Lifetimes).
                            o.In[5] = Const(conv.Name + ".scales", [.. conv.WeightScale, model.Activations[conv.Input].Scale], PlanFormat.DtypeF32, [1, 1, 1, cout + 1]);
                            int[] grid = Patches(conv.Output);
                            int patches = grid[1] * grid[2];
                            if (trainW && options.Condense)
                            {
                                // Per tap, or the centre tap's only; the whole map keeps its [n,k,k,c] layout.
                                int taps = options.CentreSums ? 1 : conv.Kernel * conv.Kernel;
                                int[] sums = patches == 1 ? (options.CentreSums ? [n, 1, 1, cin] : [n, conv.Kernel, conv.Kernel, cin]) : [n, patches, taps, cin];
                                o.Saved[0] = (ushort)AddTensor(conv.Name + ".sums", PlanFormat.DtypeF32, 2, sums, 0);
                            }
                            if (options.Condense)
                            {
                                o.Saved[1] = (ushort)AddTensor(conv.Name + ".active", PlanFormat.DtypeF32, 2, grid[..3].Append(cout).ToArray(), 0);
                            }
                        }
                        AddWindow(o, conv.Name, PlanFormat.DtypeS8);
                        if (options.Apu != null && trainW)
                        {
                            o.Select = AddFilterDrift(conv, options.Apu);
                        }
                        break;
                    }
                    case Quantization.QuantizedFc fc:
                    {
                        var o = NewOp(PlanFormat.OpFcS8);
                        var (_, _, outputs) = model.Shapes[fc.Output];
                        var (_, _, inputs) = model.Shapes[fc.Input];
                        o.In[0] = S8(fc.Input);
                        o.In[1] = Const(fc.Name + ".w.s8", fc.Weight, PlanFormat.DtypeS8, [1, 1, outputs, inputs]);
                        o.In[2] = Const(fc.Name + ".b.s32", fc.Bias, PlanFormat.DtypeS32, [1, 1, 1, outputs]);
                        o.In[3] = Const(fc.Name + ".multiplier", fc.Quant.Multiplier, PlanFormat.DtypeS32, [1, 1, 1, outputs]);
                        o.In[4] = Const(fc.Name + ".shift", fc.Quant.Shift, PlanFormat.DtypeS32, [1, 1, 1, outputs]);
                        o.Out[0] = S8(fc.Output);
                        o.Params[4] = PlanFormat.Pack16(fc.Quant.InputOffset, fc.Quant.OutputOffset);
                        o.Params[5] = PlanFormat.Pack16(fc.Quant.ActMin, fc.Quant.ActMax);
                        break;
                    }
                    case Quantization.QuantizedAdd add:
                    {
                        var o = NewOp(PlanFormat.OpAddS8);
                        o.In[0] = S8(add.Input);
                        o.In[1] = S8(add.Other);
                        int[] q = [add.Input1Offset, add.Input2Offset, add.Input1Multiplier, add.Input1Shift, add.Input2Multiplier, add.Input2Shift,
                            add.OutputMultiplier, add.OutputShift, add.OutputOffset, Quantization.QuantizedAdd.LeftShift, add.ActMin, add.ActMax];
                        o.In[2] = Const(add.Name + ".quant", q, PlanFormat.DtypeS32, [1, 1, 1, 12]);
                        o.Out[0] = S8(add.Output);
                        break;
                    }
                    case Quantization.QuantizedGap gap:
                    {
                        var o = NewOp(PlanFormat.OpGapS8);
                        o.In[0] = S8(gap.Input);
                        o.Out[0] = S8(gap.Output);
                        o.Params[0] = -128;
                        o.Params[1] = 127;
                        break;
                    }
                    default:
                        throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: op '{op.Name}' has no int8 plan op");
                }
                last = op.Output;
            }
            var outQuant = model.Activations[last];
            var dequantize = NewOp(PlanFormat.OpDequantize);
            dequantize.In[0] = S8(last);
            dequantize.Params[0] = BitConverter.SingleToInt32Bits(outQuant.Scale);
            dequantize.Params[1] = outQuant.ZeroPoint;
            int classes;
            if (fp32Classifier == null)
            {
                dequantize.Out[0] = AddActivation("logits.f32", Dims(last), grad: true);
                classes = model.Shapes[last].C;
            }
            else
            {
                // The features enter the fp32 classifier, which is the only trainable part.
                dequantize.Out[0] = AddActivation(last + ".f32", Dims(last), grad: true);
                var w = fp32Classifier.TryGetValue("fc.w", out var fw) ? fw : throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: no fp32 weights 'fc.w'");
                var b = fp32Classifier.TryGetValue("fc.b", out var fb) ? fb : throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: no fp32 weights 'fc.b'");
                int inputs = model.Shapes[last].C;
                classes = b.Length;
                if (w.Length != inputs * classes)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{model.Name}: 'fc.w' has {w.Length} values, expected {inputs}x{classes}");
                }
                _values["fc.w"] = w;
                _values["fc.b"] = b;
                var fc = NewOp(PlanFormat.OpFc);
                fc.In[0] = dequantize.Out[0];
                fc.In[1] = ParamOf("fc.w", [1, 1, inputs, classes], ParameterRole.FcWeight);
                fc.In[2] = ParamOf("fc.b", [1, 1, 1, classes], ParameterRole.Bias);
                fc.Out[0] = AddActivation("logits.f32", [n, 1, 1, classes], grad: true);
            }
            // The training section names the fp32 ends; the int8 tensors keep their names with ".s8".
            _index[last + ".s8"] = _index[last];
            _index["input.s8"] = _index["input"];
            _index["input"] = _index["input.f32"];
            _index["logits"] = _index["logits.f32"];
            return Finish(n, classes);
        }

        public PlanImage Build()
        {
            name = graph.Name;
            int n = options.Batch;
            ResolveValues();
            var input = graph.Input;
            AddActivation("input", [n, input.H, input.W, input.C], grad: false);
            var layers = graph.Layers;
            for (int i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                switch (layer)
                {
                    case ConvLayer conv:
                        var fold = options.FoldBatchNorm && i + 1 < layers.Count && layers[i + 1] is BatchNormLayer next && next.Input == conv.Output ? next : null;
                        EmitConv(conv, fold);
                        if (fold != null)
                        {
                            i++;
                        }
                        break;
                    case BatchNormLayer bn:
                        if (options.FoldBatchNorm)
                        {
                            throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: batch norm '{bn.Name}' does not follow a conv and cannot be folded");
                        }
                        EmitBatchNorm(bn);
                        break;
                    case Relu6Layer r:
                        EmitUnary(PlanFormat.OpRelu6, r.Input, r.Output);
                        break;
                    case AddLayer a:
                        var add = NewOp(PlanFormat.OpAdd);
                        add.In[0] = Act(a.Input);
                        add.In[1] = Act(a.Other);
                        add.Out[0] = AddActivation(a.Output, DimsOf(a.Input), grad: true);
                        break;
                    case GapLayer gap:
                        var g = NewOp(PlanFormat.OpGap);
                        g.In[0] = Act(gap.Input);
                        g.Out[0] = AddActivation(gap.Output, [n, 1, 1, graph.ActivationOf(gap.Output).C], grad: true);
                        break;
                    case FcLayer fc:
                        var f = NewOp(PlanFormat.OpFc);
                        f.In[0] = Act(fc.Input);
                        f.In[1] = Param(fc.Weight);
                        f.In[2] = Param(fc.Bias);
                        f.Out[0] = AddActivation(fc.Output, [n, 1, 1, graph.ParameterOf(fc.Weight).Dims[3]], grad: true);
                        break;
                    default:
                        throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: layer '{layer.Name}' has no plan op");
                }
            }
            // The classifier's output is the logits whatever it is called.
            _index["logits"] = _index[layers[^1].Output];
            return Finish(n, graph.Classes);
        }

        /// <summary>Adds the labels, the loss op and the scratch tensor, then serializes.</summary>
        private PlanImage Finish(int n, int classes)
        {
            int labels = AddTensor("labels", PlanFormat.DtypeU8, 2, [n, 1, 1, 1], 0);
            int loss = AddTensor("loss", PlanFormat.DtypeF32, 2, [1, 1, 1, 1], 0);
            var ce = NewOp(PlanFormat.OpSoftmaxCe);
            ce.In[0] = (ushort)_index["logits"];
            ce.In[1] = (ushort)labels;
            ce.Out[0] = (ushort)loss;
            ce.Params[0] = options.Banks != null ? PlanFormat.FusedUpdate : 0;
            ushort scratch = PlanFormat.None;
            if (_maxBnChannels > 0)
            {
                scratch = (ushort)AddTensor("scratch", PlanFormat.DtypeF32, 2, [1, 1, 1, 2 * _maxBnChannels], 0);
                _scratchIndex = scratch;
            }
            ushort elastic = PlanFormat.None;
            if (options.Elastic)
            {
                if (_trainable.Count == 0)
                {
                    throw new NanoTrainException(ErrorKind.Usage, $"{name}: elastic selection needs trainable tensors to choose from");
                }
                // Sized for the plan as it will be, this tensor included (rows of 64 bytes: dims are 16-bit); zeroed once and
                // kept for the whole run.
                long rows = (ElasticState.Bytes(_tensors.Count + 1, _ops.Count, _trainable.Count) + 63) / 64;
                if (rows > ushort.MaxValue)
                {
                    throw new NanoTrainException(ErrorKind.Usage, $"{name}: elastic selection's workspace for {_trainable.Count} tensors would be {rows * 64:N0} B, more than a plan tensor holds");
                }
                elastic = (ushort)AddTensor("elastic", PlanFormat.DtypeU8, 1, [1, 1, (int)rows, 64], PlanFormat.FlagZero);
            }
            return Serialize(scratch, elastic, classes);
        }

        /// <summary>Weights as the plan stores them: straight from the checkpoint, or with batch norm folded in.</summary>
        private void ResolveValues()
        {
            foreach (var p in graph.Parameters)
            {
                if (!weights.TryGetValue(p.Name, out var v))
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: no weights for parameter '{p.Name}'");
                }
                if (v.Length != p.Elements)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: parameter '{p.Name}' has {v.Length} values, expected {p.Elements}");
                }
                _values[p.Name] = v;
            }
        }

        private void EmitConv(ConvLayer conv, BatchNormLayer? fold)
        {
            int n = options.Batch;
            var op = NewOp(PlanFormat.OpConv2d);
            op.In[0] = Act(conv.Input);
            var w = graph.ParameterOf(conv.Weight);
            string output = conv.Output;
            if (fold == null)
            {
                op.In[1] = Param(conv.Weight);
                op.In[2] = conv.Bias == null ? PlanFormat.None : Param(conv.Bias);
            }
            else
            {
                var (folded, bias) = BatchNormFolding.Fold(_values[conv.Weight], _values[fold.Gamma], _values[fold.Beta],
                    _values[fold.RunningMean], _values[fold.RunningVar], fold.Eps);
                int cout = w.Dims[3];
                string biasName = conv.Name + ".b";
                _values[conv.Weight] = folded;
                _values[biasName] = bias;
                op.In[1] = ParamOf(conv.Weight, w.Dims, ParameterRole.ConvWeight);
                op.In[2] = ParamOf(biasName, [1, 1, 1, cout], ParameterRole.Bias);
                output = fold.Output;
            }
            op.Params[0] = conv.Kernel;
            op.Params[1] = conv.Stride;
            op.Params[2] = conv.Pad;
            op.Params[3] = conv.Groups;
            var shape = graph.ActivationOf(output);
            op.Out[0] = AddActivation(output, [n, shape.H, shape.W, shape.C], grad: true);
            if (options.Condense && _tensors[op.In[1]].Grad != PlanFormat.None)
            {
                // The weight trains: its condensed gradient pairs the output's mean gradient with these sums.
                op.Saved[0] = (ushort)AddTensor(conv.Name + ".sums", PlanFormat.DtypeF32, 2, [n, conv.Kernel, conv.Kernel, _tensors[op.In[0]].Dims[3]], 0);
            }
            AddWindow(op, conv.Name, PlanFormat.DtypeF32);
        }

        /// <summary>
        /// A depthwise conv's window (out[1]: k input rows padded to in_w + 2*pad), with which the executor runs it
        /// in place when the layout gives its output the memory of its input. Only planned layouts get one.
        /// </summary>
        private void AddWindow(Op op, string convName, byte dtype)
        {
            var x = _tensors[op.In[0]];
            var y = _tensors[op.Out[0]];
            int k = op.Params[0], pad = op.Params[2], groups = op.Params[3];
            if (options.Banks == null || groups < 2 || groups != x.Dims[3] || groups != y.Dims[3] || 2 * pad >= k)
            {
                return;
            }
            op.Out[1] = (ushort)AddTensor(convName + ".window", dtype, 2, [1, k, x.Dims[2] + (2 * pad), x.Dims[3]], 0);
            _windows.Add(op.Out[1]);
        }

        private void EmitBatchNorm(BatchNormLayer bn)
        {
            var op = NewOp(PlanFormat.OpBatchNorm);
            op.In[0] = Act(bn.Input);
            op.In[1] = Param(bn.Gamma);
            op.In[2] = Param(bn.Beta);
            op.In[3] = Param(bn.RunningMean);
            op.In[4] = Param(bn.RunningVar);
            int c = graph.ActivationOf(bn.Output).C;
            _maxBnChannels = Math.Max(_maxBnChannels, c);
            op.Saved[0] = (ushort)AddTensor($"{bn.Name}.saved_mean", PlanFormat.DtypeF32, 2, [1, 1, 1, c], 0);
            op.Saved[1] = (ushort)AddTensor($"{bn.Name}.saved_invstd", PlanFormat.DtypeF32, 2, [1, 1, 1, c], 0);
            op.Params[0] = BitConverter.SingleToInt32Bits(bn.Eps);
            op.Params[1] = BitConverter.SingleToInt32Bits(bn.Momentum);
            op.Out[0] = AddActivation(bn.Output, DimsOf(bn.Input), grad: true);
        }

        private void EmitUnary(byte kind, string input, string output)
        {
            var op = NewOp(kind);
            op.In[0] = Act(input);
            op.Out[0] = AddActivation(output, DimsOf(input), grad: true);
            if (options.Condense && kind == PlanFormat.OpRelu6)
            {
                var dims = DimsOf(input);
                op.Saved[0] = (ushort)AddTensor(output + ".active", PlanFormat.DtypeF32, 2, [dims[0], 1, 1, dims[3]], 0);
            }
        }

        private Op NewOp(byte kind)
        {
            var op = new Op { Kind = kind };
            _ops.Add(op);
            return op;
        }

        private int[] DimsOf(string activation) => _tensors[_index[activation]].Dims;

        private ushort Act(string name) =>
            _index.TryGetValue(name, out int i) ? (ushort)i : throw new NanoTrainException(ErrorKind.BadInput, $"{graph.Name}: activation '{name}' is used before it is produced");

        private ushort Param(string name)
        {
            var p = graph.ParameterOf(name);
            return ParamOf(name, p.Dims, p.Role);
        }

        private ushort ParamOf(string name, int[] dims, ParameterRole role)
        {
            if (_index.TryGetValue(name, out int existing))
            {
                return (ushort)existing;
            }
            bool state = role is ParameterRole.RunningMean or ParameterRole.RunningVar;
            bool trainable = !state && (options.Trainable == null || options.Trainable.Contains(name));
            var values = _values[name];
            uint init = AppendBlob(values);
            if (!trainable && !state)
            {
                // Frozen: read in place from the blob.
                int frozen = AddTensor(name, PlanFormat.DtypeF32, 0, dims, 0);
                _tensors[frozen].Offset = init;
                _tensors[frozen].Flags = PlanFormat.FlagParam;
                return (ushort)frozen;
            }
            int t = AddTensor(name, PlanFormat.DtypeF32, 1, dims, (ushort)(PlanFormat.FlagInit | (trainable ? PlanFormat.FlagParam : 0)));
            _tensors[t].InitOffset = init;
            if (trainable)
            {
                _tensors[t].Grad = (ushort)AddTensor("grad:" + name, PlanFormat.DtypeF32, 2, dims, PlanFormat.FlagZero);
                if (options.Momentum)
                {
                    _tensors[t].Momentum = (ushort)AddTensor("momentum:" + name, PlanFormat.DtypeF32, 1, dims, PlanFormat.FlagZero);
                }
                _trainable.Add(name);
            }
            return (ushort)t;
        }

        private ushort AddActivation(string name, int[] dims, bool grad)
        {
            int t = AddTensor(name, PlanFormat.DtypeF32, 2, dims, 0);
            if (grad)
            {
                int[] gradDims = options.Condense ? [dims[0], 1, 1, dims[3]] : dims;
                _tensors[t].Grad = (ushort)AddTensor("grad:" + name, PlanFormat.DtypeF32, 2, gradDims, 0);
            }
            return (ushort)t;
        }

        private int AddTensor(string name, byte dtype, byte space, int[] dims, ushort flags)
        {
            if (dims.Any(d => d < 1 || d > ushort.MaxValue))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{this.name}: tensor '{name}' has a dimension outside 1..65535");
            }
            long bytes = dims.Aggregate(1L, (a, d) => a * d) * (dtype is PlanFormat.DtypeF32 or PlanFormat.DtypeS32 ? 4 : 1);
            var t = new Tensor { Dtype = dtype, Space = space, Flags = flags, Dims = dims, Bytes = checked((uint)bytes) };
            if (space != 0)
            {
                t.Offset = checked((uint)_spaceUsed[space]);
                _spaceUsed[space] = AlignUp(_spaceUsed[space] + bytes);
            }
            if (_tensors.Count >= 2048)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{this.name}: more than 2048 tensors");
            }
            _index[name] = _tensors.Count;
            _tensors.Add(t);
            return _tensors.Count - 1;
        }

        private uint AppendBlob<T>(T[] values)
            where T : unmanaged
        {
            uint offset = (uint)_blob.Length;
            _blob.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            while (_blob.Length % Align != 0)
            {
                _blob.WriteByte(0);
            }
            return offset;
        }

        private static long AlignUp(long v) => (v + Align - 1) / Align * Align;

        /// <summary>
        /// Flags each op whose backward first writes an input's gradient: the last reader of that input in the forward
        /// order (the loss is not a reader: it writes the logits' gradient outright).
        /// </summary>
        private void SetZeroGradFlags()
        {
            var lastReader = new Dictionary<ushort, int>();
            for (int i = 0; i < _ops.Count; i++)
            {
                if (_ops[i].Kind == PlanFormat.OpSoftmaxCe)
                {
                    continue;
                }
                for (int k = 0; k < 2; k++)
                {
                    ushort t = _ops[i].In[k];
                    if (t != PlanFormat.None && _tensors[t].Grad != PlanFormat.None && (_tensors[t].Flags & PlanFormat.FlagParam) == 0)
                    {
                        lastReader[t] = i;
                    }
                }
            }
            for (int i = 0; i < _ops.Count; i++)
            {
                for (int k = 0; k < 2; k++)
                {
                    ushort t = _ops[i].In[k];
                    if (t != PlanFormat.None && lastReader.TryGetValue(t, out int reader) && reader == i)
                    {
                        _ops[i].Flags |= (byte)(1 << k);
                    }
                }
            }
        }

        /// <summary>
        /// The training schedule as the executor runs it with every parameter of the training section trained: forward
        /// op i at step i, the loss at step L (the loss op's index), op i's backward and its parameters' update at step
        /// 2L - i. Returns each touched arena tensor's first and last step; the input and labels are written before
        /// step 0, the logits and the loss are read after the last step.
        /// </summary>
        private Dictionary<int, (int First, int Last)> Lifetimes(HashSet<int> paramGradients)
        {
            int lossStep = _ops.Count - 1;
            int lastStep = 2 * lossStep;
            var life = new Dictionary<int, (int First, int Last)>();
            void Touch(int t, int step)
            {
                if (t == PlanFormat.None || _tensors[t].Space == 0)
                {
                    return;
                }
                life[t] = life.TryGetValue(t, out var l) ? (Math.Min(l.First, step), Math.Max(l.Last, step)) : (step, step);
            }
            // Which tensors need a gradient: trained parameters and every op output downstream of one.
            var rg = new HashSet<int>(_trainable.Select(n => _index[n]));
            foreach (var op in _ops)
            {
                if (op.In.Any(t => t != PlanFormat.None && rg.Contains(t)) && _tensors[op.Out[0]].Grad != PlanFormat.None)
                {
                    rg.Add(op.Out[0]);
                }
            }
            int Grad(int t) => t != PlanFormat.None && rg.Contains(t) ? _tensors[t].Grad : PlanFormat.None;
            for (int i = 0; i < _tensors.Count; i++)
            {
                var t = _tensors[i];
                if ((t.Flags & (PlanFormat.FlagInit | PlanFormat.FlagZero)) != 0 && t.Space != 0 && !paramGradients.Contains(i))
                {
                    // Parameters, running statistics and momentum: the whole schedule.
                    Touch(i, 0);
                    Touch(i, lastStep);
                }
            }
            Touch(_index["input"], 0);
            Touch(_index["labels"], 0);
            for (int i = 0; i < lossStep; i++)
            {
                var op = _ops[i];
                // (out[1], a depthwise conv's window, is only live when the conv runs in place: see LayOut.)
                foreach (var t in op.In.Append(op.Out[0]).Concat(op.Saved))
                {
                    Touch(t, i);
                }
            }
            var logits = _index["logits"];
            Touch(logits, lossStep);
            Touch(_index["labels"], lossStep);
            Touch(_tensors[logits].Grad, lossStep);
            Touch(_index["loss"], lossStep);
            Touch(logits, lastStep);
            Touch(_index["loss"], lastStep);
            for (int i = lossStep - 1; i >= 0; i--)
            {
                var op = _ops[i];
                if (!rg.Contains(op.Out[0]))
                {
                    continue;
                }
                int step = (2 * lossStep) - i;
                Touch(_tensors[op.Out[0]].Grad, step);
                switch (op.Kind)
                {
                    case PlanFormat.OpConv2d:
                    case PlanFormat.OpFc:
                        if (rg.Contains(op.In[1]))
                        {
                            Touch(op.Saved[0] != PlanFormat.None ? op.Saved[0] : op.In[0], step); // dW needs the input (or its sums)
                        }
                        if (rg.Contains(op.In[0]))
                        {
                            Touch(op.In[1], step); // dx needs the weights
                        }
                        break;
                    case PlanFormat.OpConv2dS8:
                        Touch(op.Saved[0], step); // the input sums (condensed dW)
                        Touch(op.Saved[1], step); // the clamp's active counts
                        if (!options.Condense)
                        {
                            if (rg.Contains(op.In[1]))
                            {
                                Touch(op.In[0], step); // exact dW reads the int8 input
                            }
                            Touch(op.Out[0], step); // and the clamp its int8 output
                        }
                        break;
                    case PlanFormat.OpRelu6:
                        Touch(op.Saved[0] != PlanFormat.None ? op.Saved[0] : op.Out[0], step); // the mask (or the counts)
                        break;
                    case PlanFormat.OpBatchNorm:
                        Touch(op.In[0], step);
                        Touch(op.In[1], step);
                        Touch(op.Saved[0], step);
                        Touch(op.Saved[1], step);
                        if (_scratchIndex >= 0)
                        {
                            Touch(_scratchIndex, step);
                        }
                        break;
                }
                foreach (var t in op.In)
                {
                    Touch(Grad(t), step);
                }
            }
            return life;
        }

        /// <summary>Which in-place rules a placement try applies.</summary>
        [Flags]
        private enum InPlaceKinds
        {
            None = 0,
            Elementwise = 1,
            Depthwise = 2,
            Gradients = 4,
            All = 7,
        }

        private sealed record PlacementTry(InPlaceKinds Kinds, Dictionary<int, int> Sharing, Dictionary<int, (int First, int Last)> Life,
            List<PlannerBuffer> Buffers, PlannerResult Result, long Needed);

        /// <summary>
        /// In-place ops: the output of an elementwise forward op (ReLU6, add, int8 add) takes the memory of an
        /// input of the same size that nothing reads after that op (the kernels read element i before writing
        /// it, so y may be x), and so does the output of a depthwise conv with a window (see AddWindow); in the backward, the input gradient of a ReLU6 or add takes the memory of its
        /// output gradient when that op writes the input gradient first (NT_OP_FLAG_ZERO_GRAD_IN*) and is the
        /// output gradient's last reader (the executor then writes dx over dy instead of zeroing and adding).
        /// Returns, for each tensor that shares memory, the first tensor of its group.
        /// </summary>
        private Dictionary<int, int> InPlace(Dictionary<int, (int First, int Last)> life, InPlaceKinds kinds, IReadOnlySet<int>? keepConvs = null)
        {
            var group = new Dictionary<int, int>();
            var groupLast = new Dictionary<int, int>();
            int Root(int t) => group.GetValueOrDefault(t, t);
            int Last(int t) => groupLast.TryGetValue(Root(t), out int l) ? l : life[t].Last;
            int lossStep = _ops.Count - 1;
            for (int i = 0; i < lossStep; i++)
            {
                var op = _ops[i];
                // A window smaller than the output: in place saves memory at this step.
                bool windowed = op.Out[1] != PlanFormat.None && _tensors[op.Out[1]].Bytes < _tensors[op.Out[0]].Bytes;
                int[] candidates = op.Kind switch
                {
                    PlanFormat.OpRelu6 when kinds.HasFlag(InPlaceKinds.Elementwise) => [op.In[0]],
                    PlanFormat.OpAdd or PlanFormat.OpAddS8 when kinds.HasFlag(InPlaceKinds.Elementwise) => [op.In[0], op.In[1]],
                    PlanFormat.OpConv2d or PlanFormat.OpConv2dS8 when windowed && kinds.HasFlag(InPlaceKinds.Depthwise) && keepConvs?.Contains(i) != false => [op.In[0]],
                    _ => [],
                };
                int y = op.Out[0];
                if (candidates.Length == 0 || !life.TryGetValue(y, out var yLife) || yLife.First != i)
                {
                    continue;
                }
                foreach (int x in candidates)
                {
                    if (x == PlanFormat.None || x == y || !life.ContainsKey(x) || Last(x) != i || candidates.Count(c => c == x) > 1 ||
                        (windowed ? _tensors[y].Bytes > _tensors[x].Bytes : _tensors[x].Bytes != _tensors[y].Bytes))
                    {
                        continue;
                    }
                    Share(x, y, yLife.Last);
                    break;
                }
            }
            for (int i = lossStep - 1; kinds.HasFlag(InPlaceKinds.Gradients) && i >= 0; i--)
            {
                var op = _ops[i];
                int step = (2 * lossStep) - i;
                int[] inputs = op.Kind switch
                {
                    PlanFormat.OpRelu6 when op.Saved[0] == PlanFormat.None => [0], // (no in-place condensed kernel)
                    PlanFormat.OpAdd or PlanFormat.OpAddS8 => op.In[0] == op.In[1] ? [] : [0, 1],
                    _ => [],
                };
                int dy = _tensors[op.Out[0]].Grad;
                if (inputs.Length == 0 || dy == PlanFormat.None || !life.ContainsKey(dy))
                {
                    continue;
                }
                foreach (int k in inputs)
                {
                    int dx = op.In[k] == PlanFormat.None ? PlanFormat.None : _tensors[op.In[k]].Grad;
                    if (dx == PlanFormat.None || (op.Flags & (1 << k)) == 0 || !life.TryGetValue(dx, out var dxLife) || dxLife.First != step ||
                        Last(dy) != step || _tensors[dx].Bytes != _tensors[dy].Bytes)
                    {
                        continue;
                    }
                    Share(dy, dx, dxLife.Last);
                    break;
                }
            }
            return group;

            // `to` joins the group of `from`, which then lives until `last`.
            void Share(int from, int to, int last)
            {
                int root = Root(from);
                group[from] = root;
                group[to] = root;
                groupLast[root] = last;
            }
        }

        /// <summary>Assigns every arena tensor a bank (space 1..) and an offset with reuse; records the memory report.</summary>
        private void LayOut(IReadOnlyList<PlannerBank> banks)
        {
            if (banks.Count == 0 || banks.Count + 1 > PlanFormat.MaxSpaces)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"{name}: a plan needs 1..{PlanFormat.MaxSpaces - 1} banks, got {banks.Count}");
            }
            var gradients = _tensors.Where(t => t.Grad != PlanFormat.None).Select(t => (int)t.Grad).ToHashSet();
            var paramGradients = _tensors.Where(t => (t.Flags & PlanFormat.FlagParam) != 0 && t.Grad != PlanFormat.None).Select(t => (int)t.Grad).ToHashSet();
            // A tensor's shortest name (activations and parameters by their own, gradients as "grad:NAME").
            var names = _index.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Select(kv => kv.Key).OrderBy(k => k.Length).First());
            string NameOf(int index) => names.TryGetValue(index, out var n) ? n : $"#{index}";
            var life = Lifetimes(paramGradients);
            // Placed with and without each kind of in-place op; first-fit is a heuristic, so the smallest layout is
            // kept (on a tie, or when none fits, the one with the most in-place ops).
            PlacementTry Try(InPlaceKinds kinds, IReadOnlySet<int>? keepConvs = null)
            {
                var sharing = InPlace(life, kinds, keepConvs);
                // A depthwise conv written in place needs its window while it runs.
                var tryLife = new Dictionary<int, (int First, int Last)>(life);
                for (int i = 0; i < _ops.Count; i++)
                {
                    var op = _ops[i];
                    if (op.Out[1] != PlanFormat.None && sharing.TryGetValue(op.Out[0], out int root) && root == sharing.GetValueOrDefault(op.In[0], op.In[0]))
                    {
                        tryLife[op.Out[1]] = (i, i);
                    }
                }
                // One buffer per group of tensors sharing memory, named by its first member.
                var buffers = tryLife.GroupBy(kv => sharing.GetValueOrDefault(kv.Key, kv.Key))
                    .Select(g => new PlannerBuffer(g.Key, g.Max(kv => (long)_tensors[kv.Key].Bytes), g.Min(kv => kv.Value.First), g.Max(kv => kv.Value.Last)))
                    .ToList();
                var placed = MemoryPlanner.Place(buffers, banks, Align);
                // What the plan needs when the banks are too small: the same placement in one unbounded bank.
                long need = placed.Fits ? placed.TotalBytes : MemoryPlanner.Place(buffers, [new PlannerBank("unbounded", long.MaxValue / 4)], Align).TotalBytes;
                return new PlacementTry(kinds, sharing, tryLife, buffers, placed, need);
            }
            var tries = Enumerable.Range(0, (int)InPlaceKinds.All + 1).Reverse().Select(k => Try((InPlaceKinds)k)).ToList();
            var chosen = tries.FirstOrDefault(t => t.Result.Fits && tries.All(o => !o.Result.Fits || o.Needed >= t.Needed)) ?? tries[0];
            // A depthwise conv in place costs instructions (the window's copies, a kernel call per row): each one
            // whose removal needs no more memory goes back to running out of place.
            var windowed = Enumerable.Range(0, _ops.Count).Where(i => _ops[i].Out[1] != PlanFormat.None && chosen.Life.ContainsKey(_ops[i].Out[1])).ToHashSet();
            foreach (int op in windowed.ToList())
            {
                windowed.Remove(op);
                var fewer = Try(chosen.Kinds, windowed);
                if (fewer.Result.Fits == chosen.Result.Fits && fewer.Needed <= chosen.Needed)
                {
                    chosen = fewer;
                }
                else
                {
                    windowed.Add(op);
                }
            }
            var sharesWith = chosen.Sharing;
            life = chosen.Life;
            var buffers = chosen.Buffers;
            var result = chosen.Result;
            long needed = chosen.Needed;
            var bufferLife = buffers.ToDictionary(b => b.Id, b => (b.First, b.Last));
            long bound = tries.Min(t => MemoryPlanner.LowerBound(t.Buffers, Align));
            _spaceUsed = new long[banks.Count + 1];
            for (int b = 0; b < banks.Count; b++)
            {
                _spaceUsed[b + 1] = result.BankBytes[b];
            }
            for (int i = 0; i < _tensors.Count; i++)
            {
                var t = _tensors[i];
                if (t.Space == 0)
                {
                    continue;
                }
                if (paramGradients.Contains(i))
                {
                    t.Flags = (ushort)(t.Flags & ~PlanFormat.FlagZero); // zeroed before each use instead
                }
                if (result.Placements.TryGetValue(sharesWith.GetValueOrDefault(i, i), out var at))
                {
                    t.Space = (byte)(at.Bank + 1);
                    t.Offset = checked((uint)at.Offset);
                }
                else if (!life.ContainsKey(i))
                {
                    // Never touched in this schedule (a gradient nothing needs): any in-bounds place will do.
                    int bank = Enumerable.Range(0, banks.Count).FirstOrDefault(b => _spaceUsed[b + 1] >= t.Bytes, 0);
                    t.Space = (byte)(bank + 1);
                    t.Offset = 0;
                    _spaceUsed[bank + 1] = Math.Max(_spaceUsed[bank + 1], AlignUp(t.Bytes));
                }
                else
                {
                    // Does not fit: keep a consistent (unusable) layout so the report can still be written.
                    t.Space = 1;
                    t.Offset = 0;
                }
            }
            var categories = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var buffer in buffers)
            {
                string category = Category(buffer.Id, bufferLife[buffer.Id], gradients, paramGradients);
                categories[category] = categories.GetValueOrDefault(category) + AlignUp(buffer.Bytes);
            }
            _memory = new PlanMemory(
                banks.Select((b, i) => new BankUsage(b.Name, b.Capacity, result.BankBytes[i])).ToList(),
                bound,
                needed,
                life.Keys.Sum(t => AlignUp(_tensors[t].Bytes)),
                categories,
                result.Unplaced.Select(u => new TensorBytes(NameOf(u.Id), AlignUp(u.Bytes))).ToList(),
                buffers.OrderByDescending(b => b.Bytes).Take(8).Select(b => new TensorBytes(NameOf(b.Id), AlignUp(b.Bytes))).ToList(),
                MemoryPlanner.LiveBytesPerStep(buffers, Align),
                buffers.Select(b => new TensorLife(NameOf(b.Id), result.Placements.TryGetValue(b.Id, out var p) ? p.Bank : -1,
                    result.Placements.TryGetValue(b.Id, out var q) ? q.Offset : -1, AlignUp(b.Bytes), b.First, b.Last)).ToList())
            {
                InPlaceTensors = sharesWith.Count(kv => kv.Key != kv.Value),
                InPlaceGradients = sharesWith.Count(kv => kv.Key != kv.Value && gradients.Contains(kv.Key)),
                InPlaceDepthwise = _ops.Count(o => o.Out[1] != PlanFormat.None && life.ContainsKey(o.Out[1])),
            };
        }

        /// <summary>What a tensor is, for the breakdown: weights in SRAM, stored or transient activations, gradients.</summary>
        private string Category(int index, (int First, int Last) life, HashSet<int> gradients, HashSet<int> paramGradients)
        {
            var t = _tensors[index];
            int lossStep = _ops.Count - 1;
            if ((t.Flags & (PlanFormat.FlagInit | PlanFormat.FlagParam)) != 0)
            {
                return "weights";
            }
            if (_index.TryGetValue("elastic", out int workspace) && index == workspace)
            {
                return "elastic selection";
            }
            if ((t.Flags & PlanFormat.FlagZero) != 0 && !paramGradients.Contains(index))
            {
                return "optimizer state";
            }
            if (index == _scratchIndex || _windows.Contains(index))
            {
                return "scratch";
            }
            if (gradients.Contains(index))
            {
                return "gradients";
            }
            return life.Last > lossStep && life.First < lossStep ? "stored activations" : "transient activations";
        }

        private PlanImage Serialize(ushort scratch, ushort elastic, int classes)
        {
            byte[] blob = _blob.ToArray();
            SetZeroGradFlags();
            string[] spaceNames = options.Banks == null ? ["blob", "state", "arena"] : ["blob", .. options.Banks.Select(b => b.Name)];
            if (options.Banks != null)
            {
                LayOut(options.Banks);
            }
            _spaceUsed[0] = blob.Length;
            int nSpaces = spaceNames.Length;
            int spacesOff = PlanFormat.HeaderBytes;
            int tensorsOff = spacesOff + (nSpaces * PlanFormat.SpaceBytes);
            int opsOff = tensorsOff + (_tensors.Count * PlanFormat.TensorBytes);
            int trainOff = opsOff + (_ops.Count * PlanFormat.OpBytes);
            int blobOff = (int)AlignUp(trainOff + PlanFormat.TrainHeaderBytes + (2 * _trainable.Count));
            int total = blobOff + blob.Length;
            var file = new byte[total];
            var s = file.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(s, PlanFormat.Magic);
            BinaryPrimitives.WriteUInt16LittleEndian(s[4..], PlanFormat.Version);
            BinaryPrimitives.WriteUInt16LittleEndian(s[6..], PlanFormat.HeaderBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)total);
            Encoding.ASCII.GetBytes(options.Board).CopyTo(s[16..]);
            BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)nSpaces);
            BinaryPrimitives.WriteUInt16LittleEndian(s[34..], (ushort)_tensors.Count);
            BinaryPrimitives.WriteUInt16LittleEndian(s[36..], (ushort)_ops.Count);
            BinaryPrimitives.WriteUInt16LittleEndian(s[38..], (ushort)options.Batch);
            BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)spacesOff);
            BinaryPrimitives.WriteUInt32LittleEndian(s[44..], (uint)tensorsOff);
            BinaryPrimitives.WriteUInt32LittleEndian(s[48..], (uint)opsOff);
            BinaryPrimitives.WriteUInt32LittleEndian(s[52..], (uint)trainOff);
            BinaryPrimitives.WriteUInt32LittleEndian(s[56..], (uint)blobOff);
            BinaryPrimitives.WriteUInt32LittleEndian(s[60..], (uint)blob.Length);

            for (int i = 0; i < nSpaces; i++)
            {
                var e = s[(spacesOff + (i * PlanFormat.SpaceBytes))..];
                BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)_spaceUsed[i]);
                BinaryPrimitives.WriteUInt32LittleEndian(e[4..], Align);
                Encoding.ASCII.GetBytes(spaceNames[i]).CopyTo(e[8..]);
            }
            for (int i = 0; i < _tensors.Count; i++)
            {
                var t = _tensors[i];
                var e = s[(tensorsOff + (i * PlanFormat.TensorBytes))..];
                e[0] = t.Dtype;
                e[1] = t.Space;
                BinaryPrimitives.WriteUInt16LittleEndian(e[2..], t.Flags);
                BinaryPrimitives.WriteUInt32LittleEndian(e[4..], t.Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(e[8..], t.Bytes);
                BinaryPrimitives.WriteUInt32LittleEndian(e[12..], t.InitOffset);
                for (int d = 0; d < 4; d++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(e[(16 + (2 * d))..], (ushort)t.Dims[d]);
                }
                BinaryPrimitives.WriteUInt16LittleEndian(e[24..], t.Grad);
                BinaryPrimitives.WriteUInt16LittleEndian(e[26..], t.Momentum);
            }
            for (int i = 0; i < _ops.Count; i++)
            {
                var o = _ops[i];
                var e = s[(opsOff + (i * PlanFormat.OpBytes))..];
                e[0] = o.Kind;
                e[1] = o.Flags;
                BinaryPrimitives.WriteUInt16LittleEndian(e[2..], o.Select);
                for (int k = 0; k < 6; k++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(e[(4 + (2 * k))..], o.In[k]);
                }
                for (int k = 0; k < 2; k++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(e[(16 + (2 * k))..], o.Out[k]);
                    BinaryPrimitives.WriteUInt16LittleEndian(e[(20 + (2 * k))..], o.Saved[k]);
                }
                for (int k = 0; k < 6; k++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(e[(24 + (4 * k))..], o.Params[k]);
                }
            }
            var train = s[trainOff..];
            BinaryPrimitives.WriteUInt16LittleEndian(train, (ushort)_index["input"]);
            BinaryPrimitives.WriteUInt16LittleEndian(train[2..], (ushort)_index["labels"]);
            BinaryPrimitives.WriteUInt16LittleEndian(train[4..], (ushort)_index["logits"]);
            BinaryPrimitives.WriteUInt16LittleEndian(train[6..], (ushort)_index["loss"]);
            BinaryPrimitives.WriteUInt16LittleEndian(train[8..], scratch);
            BinaryPrimitives.WriteUInt16LittleEndian(train[10..], (ushort)_trainable.Count);
            BinaryPrimitives.WriteSingleLittleEndian(train[12..], options.Int8LrScale);
            BinaryPrimitives.WriteUInt16LittleEndian(train[16..], elastic);
            for (int i = 0; i < _trainable.Count; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(train[(PlanFormat.TrainHeaderBytes + (2 * i))..], (ushort)_index[_trainable[i]]);
            }
            blob.CopyTo(s[blobOff..]);
            BinaryPrimitives.WriteUInt32LittleEndian(s[12..], Crc32.Compute(s[16..]));

            var elements = new Dictionary<int, int>();
            for (int i = 0; i < _tensors.Count; i++)
            {
                elements[i] = _tensors[i].Dims.Aggregate(1, (a, d) => a * d);
            }
            return new PlanImage(file, _spaceUsed.ToArray(), _index, elements, options.Batch, classes, _trainable)
            {
                Memory = _memory,
                SpaceNames = spaceNames,
            };
        }
    }
}
