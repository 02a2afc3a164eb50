using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;

namespace NanoTrain.Native.Tests;

/// <summary>Small models and seeded weights for engine tests.</summary>
internal static class TestModels
{
    /// <summary>Stem, a plain block, a strided block with kernel 5 and a residual block: every op kind, at 12×12.</summary>
    public static ModelGraph Tiny() => new ZooModel("tiny", "test model", 1, 12, 4, 8, 3, 2,
        [new BlockSpec(1, 8, 3, 1), new BlockSpec(3, 12, 5, 2), new BlockSpec(2, 12, 3, 1)], null, "(test)").Build();

    /// <summary>Initial weights with non-trivial batch-norm statistics, so folding changes every value.</summary>
    public static Dictionary<string, float[]> Weights(ModelGraph graph, ulong seed)
    {
        var weights = WeightInit.Initialize(graph, seed);
        var rng = new SplitMix64(seed ^ 0xABCDEF);
        foreach (var p in graph.Parameters)
        {
            var v = weights[p.Name];
            for (int i = 0; i < v.Length; i++)
            {
                float u = (float)((rng.Next() >> 40) / (double)(1ul << 24));
                v[i] = p.Role switch
                {
                    ParameterRole.BatchNormGamma => 0.5f + u,
                    ParameterRole.BatchNormBeta => u - 0.5f,
                    ParameterRole.RunningMean => (u - 0.5f) * 0.2f,
                    ParameterRole.RunningVar => 0.5f + u,
                    _ => v[i],
                };
            }
        }
        return weights;
    }

    public static float[] Input(ModelGraph graph, int batch, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var x = new float[batch * graph.Input.Elements];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = ((float)((rng.Next() >> 40) / (double)(1ul << 24)) * 2f) - 1f;
        }
        return x;
    }

    public static byte[] Labels(ModelGraph graph, int batch, ulong seed)
    {
        var rng = new SplitMix64(seed + 1);
        return Enumerable.Range(0, batch).Select(_ => (byte)rng.NextBelow((ulong)graph.Classes)).ToArray();
    }

    /// <summary>
    /// The tiny model quantized after calibration on <paramref name="count"/> random images (labels cycle through
    /// the classes); returns the int8 model, the fp32 weights it came from and the images.
    /// </summary>
    public static (QuantizedModel Model, Dictionary<string, float[]> Weights, LabeledImages Images) QuantizedTiny(
        ulong weightSeed, ulong imageSeed, int count, int calibrationSamples)
    {
        var g = Tiny();
        var weights = Weights(g, weightSeed);
        var rng = new SplitMix64(imageSeed);
        var pixels = Enumerable.Range(0, count * DatasetSpec.ImageBytes).Select(_ => (byte)rng.NextBelow(256)).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % g.Classes)).ToArray();
        var images = new LabeledImages("random", g.Classes, labels, pixels);
        var ranges = Calibrator.Calibrate(g, weights, images, calibrationSamples, null, 1);
        return (Quantizer.Quantize(g, weights, ranges), weights, images);
    }

    /// <summary>The pretrained mbv2-w0.35 quantized after calibration on 8 random images.</summary>
    public static (ModelGraph Graph, IReadOnlyDictionary<string, float[]> Weights, QuantizedModel Model) QuantizedMbv2()
    {
        var paths = Core.Common.RepoPaths.Locate();
        var graph = ZooModel.FromZoo(paths, "mbv2-w0.35").Build();
        var weights = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", "mbv2-w0.35.ntck")).Weights;
        var rng = new SplitMix64(3);
        var pixels = Enumerable.Range(0, 8 * DatasetSpec.ImageBytes).Select(_ => (byte)rng.NextBelow(256)).ToArray();
        var images = new LabeledImages("random", 10, new byte[8], pixels);
        return (graph, weights, Quantizer.Quantize(graph, weights, Calibrator.Calibrate(graph, weights, images, 8, null, 1)));
    }
}
