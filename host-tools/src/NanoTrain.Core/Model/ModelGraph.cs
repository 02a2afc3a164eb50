using System.Security.Cryptography;
using System.Text;

namespace NanoTrain.Core.Model;

/// <summary>An activation tensor of the graph: NHWC without the batch dimension.</summary>
public sealed record Activation(string Name, int H, int W, int C)
{
    public int Elements => H * W * C;
}

/// <summary>A learned tensor of the graph, with its dims as the engine lays them out.</summary>
/// <param name="Name">Unique name ("b3.expand.conv.w").</param>
/// <param name="Dims">Four dims: HWIO for conv weights, [1,1,in,out] for FC weights, [1,1,1,c] for vectors.</param>
/// <param name="Role">What it is, which decides its initial value and whether training updates it.</param>
public sealed record Parameter(string Name, int[] Dims, ParameterRole Role)
{
    public int Elements => Dims.Aggregate(1, (a, b) => a * b);
}

/// <summary>Kinds of learned tensors.</summary>
public enum ParameterRole
{
    ConvWeight,
    Bias,
    BatchNormGamma,
    BatchNormBeta,
    /// <summary>Running mean: state, not trained by SGD.</summary>
    RunningMean,
    /// <summary>Running variance: state, not trained by SGD.</summary>
    RunningVar,
    FcWeight,
}

/// <summary>One layer of the graph; executed in list order.</summary>
public abstract record Layer(string Name, string Input, string Output);

public sealed record ConvLayer(string Name, string Input, string Output, int Kernel, int Stride, int Pad, int Groups, string Weight, string? Bias)
    : Layer(Name, Input, Output);

public sealed record BatchNormLayer(string Name, string Input, string Output, string Gamma, string Beta, string RunningMean, string RunningVar, float Eps, float Momentum)
    : Layer(Name, Input, Output);

public sealed record Relu6Layer(string Name, string Input, string Output) : Layer(Name, Input, Output);

public sealed record AddLayer(string Name, string Input, string Other, string Output) : Layer(Name, Input, Output);

public sealed record GapLayer(string Name, string Input, string Output) : Layer(Name, Input, Output);

public sealed record FcLayer(string Name, string Input, string Output, string Weight, string Bias) : Layer(Name, Input, Output);

/// <summary>
/// A CNN as the engine sees it: activations, parameters and layers in execution order, for one input
/// resolution. Built from a zoo model by <see cref="ZooModel.Build"/>.
/// </summary>
public sealed class ModelGraph
{
    private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
    private readonly List<Layer> _layers = [];
    private readonly List<Activation> _activationOrder = [];
    private readonly List<Parameter> _parameterOrder = [];

    public ModelGraph(string name, Activation input, int classes)
    {
        Name = name;
        Classes = classes;
        InputName = input.Name;
        AddActivation(input);
    }

    public string Name { get; }

    public int Classes { get; }

    public string InputName { get; }

    public Activation Input => _activations[InputName];

    /// <summary>The logits activation (the last layer's output).</summary>
    public Activation Output => _activations[_layers[^1].Output];

    public IReadOnlyList<Layer> Layers => _layers;

    public IReadOnlyList<Activation> Activations => _activationOrder;

    public IReadOnlyList<Parameter> Parameters => _parameterOrder;

    public Activation ActivationOf(string name) => _activations[name];

    public Parameter ParameterOf(string name) => _parameters[name];

    /// <summary>Parameters SGD updates (everything but batch-norm running statistics).</summary>
    public IEnumerable<Parameter> Trainable => _parameterOrder.Where(p => p.Role is not (ParameterRole.RunningMean or ParameterRole.RunningVar));

    public void AddActivation(Activation a)
    {
        ArgumentNullException.ThrowIfNull(a);
        _activations.Add(a.Name, a);
        _activationOrder.Add(a);
    }

    public void AddParameter(Parameter p)
    {
        ArgumentNullException.ThrowIfNull(p);
        _parameters.Add(p.Name, p);
        _parameterOrder.Add(p);
    }

    public void AddLayer(Layer layer) => _layers.Add(layer);

    /// <summary>Multiply-accumulates of one forward pass for one sample.</summary>
    public long ForwardMacs => _layers.Sum(l => l switch
    {
        ConvLayer c => (long)ActivationOf(c.Output).Elements * ParameterOf(c.Weight).Dims[0] * ParameterOf(c.Weight).Dims[1] * ParameterOf(c.Weight).Dims[2],
        FcLayer f => (long)ParameterOf(f.Weight).Dims[2] * ParameterOf(f.Weight).Dims[3],
        _ => 0L,
    });

    /// <summary>Number of learned values (running statistics excluded).</summary>
    public long ParameterCount => Trainable.Sum(p => (long)p.Elements);

    /// <summary>Largest activation (elements) and the sum of all activations of one sample.</summary>
    public (long Largest, long Total) ActivationElements =>
        (_activationOrder.Max(a => (long)a.Elements), _activationOrder.Sum(a => (long)a.Elements));

    /// <summary>
    /// The architecture's fingerprint: sha256 over every layer, activation shape and parameter shape. Two
    /// graphs with the same fingerprint accept each other's checkpoints.
    /// </summary>
    public string ArchitectureSha256()
    {
        var text = new StringBuilder();
        foreach (var a in _activationOrder)
        {
            text.Append($"A {a.Name} {a.H} {a.W} {a.C}\n");
        }
        foreach (var p in _parameterOrder)
        {
            text.Append($"P {p.Name} {string.Join(',', p.Dims)} {p.Role}\n");
        }
        foreach (var l in _layers)
        {
            text.Append(l.ToString()).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
