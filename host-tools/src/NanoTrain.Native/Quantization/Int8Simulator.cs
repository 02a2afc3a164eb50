using NanoTrain.Core.Data;
using NanoTrain.Core.Quantization;
using NanoTrain.Reference.Kernels;

namespace NanoTrain.Native.Quantization;

/// <summary>
/// Runs an int8 model with the C# reference int8 kernels (integer arithmetic: the same results as the C
/// kernels, bit for bit) to measure its accuracy; images run in parallel.
/// </summary>
public static class Int8Simulator
{
    /// <summary>The int8 logits of one image.</summary>
    public static sbyte[] Run(QuantizedModel model, ReadOnlySpan<byte> image, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Activations(model, image, pipeline)[model.Ops[^1].Output];
    }

    /// <summary>Every int8 activation of one image, by name ("input" and each op's output).</summary>
    public static Dictionary<string, sbyte[]> Activations(QuantizedModel model, ReadOnlySpan<byte> image, ImagePipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pipeline);
        var input = new float[pipeline.Resolution * pipeline.Resolution];
        pipeline.Render(image, input);
        var quantIn = model.Activations["input"];
        var tensors = new Dictionary<string, sbyte[]>(StringComparer.Ordinal) { ["input"] = input.Select(quantIn.Quantize).ToArray() };
        foreach (var op in model.Ops)
        {
            var (h, w, c) = model.Shapes[op.Input];
            var (oh, ow, oc) = model.Shapes[op.Output];
            var y = new sbyte[oh * ow * oc];
            switch (op)
            {
                case QuantizedConv conv:
                    var q = conv.Quant;
                    Conv2d.ForwardS8(new Conv2dShape(1, h, w, c, oc, conv.Kernel, conv.Stride, conv.Pad, conv.Groups),
                        new S8Quant(q.InputOffset, q.OutputOffset, q.ActMin, q.ActMax, q.Multiplier, q.Shift), tensors[op.Input], conv.Weight, conv.Bias, y);
                    break;
                case QuantizedAdd add:
                    Add.ForwardS8(new AddS8Quant(add.Input1Offset, add.Input2Offset, add.Input1Multiplier, add.Input1Shift, add.Input2Multiplier,
                        add.Input2Shift, add.OutputMultiplier, add.OutputShift, add.OutputOffset, QuantizedAdd.LeftShift, add.ActMin, add.ActMax),
                        tensors[add.Input], tensors[add.Other], y);
                    break;
                case QuantizedGap:
                    Gap.ForwardS8(1, h, w, c, -128, 127, tensors[op.Input], y);
                    break;
                case QuantizedFc fc:
                    var f = fc.Quant;
                    Fc.ForwardS8(1, c, oc, new S8Quant(f.InputOffset, f.OutputOffset, f.ActMin, f.ActMax, f.Multiplier, f.Shift), tensors[op.Input], fc.Weight, fc.Bias, y);
                    break;
            }
            tensors[op.Output] = y;
        }
        return tensors;
    }

    /// <summary>Top-1 accuracy of the int8 model on a split (argmax of the int8 logits, first on ties).</summary>
    public static double Accuracy(QuantizedModel model, LabeledImages data, ImagePipeline pipeline, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        int count = Math.Min(limit ?? data.Count, data.Count);
        int correct = 0;
        Parallel.For(0, count, () => 0, (i, _, local) =>
        {
            var logits = Run(model, data.Image(i), pipeline);
            int best = 0;
            for (int k = 1; k < logits.Length; k++)
            {
                if (logits[k] > logits[best])
                {
                    best = k;
                }
            }
            return local + (best == data.Labels[i] ? 1 : 0);
        }, local => Interlocked.Add(ref correct, local));
        return (double)correct / count;
    }
}
