using NanoTrain.Core.Common;

namespace NanoTrain.Core.Model;

/// <summary>Seeded initial weights: He-uniform for conv and FC weights, γ = 1, β = 0, running mean 0 and variance 1.</summary>
public static class WeightInit
{
    public static Dictionary<string, float[]> Initialize(ModelGraph graph, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var rng = new SplitMix64(seed);
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var p in graph.Parameters)
        {
            var v = new float[p.Elements];
            switch (p.Role)
            {
                case ParameterRole.ConvWeight:
                case ParameterRole.FcWeight:
                    // fan_in = kh·kw·ci_per_group; bound = √(6 / fan_in).
                    int fanIn = p.Dims[0] * p.Dims[1] * p.Dims[2];
                    float bound = MathF.Sqrt(6f / fanIn);
                    for (int i = 0; i < v.Length; i++)
                    {
                        v[i] = ((float)((rng.Next() >> 40) / (double)(1ul << 24)) * 2f - 1f) * bound;
                    }
                    break;
                case ParameterRole.BatchNormGamma:
                case ParameterRole.RunningVar:
                    Array.Fill(v, 1f);
                    break;
                default:
                    break; // biases, β and running means start at zero
            }
            weights[p.Name] = v;
        }
        return weights;
    }
}
