using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Model;

namespace NanoTrain.Core.Bench;

/// <summary>Kernels the kernelbench firmware can run (its case kinds).</summary>
public enum BenchKernel
{
    ConvS8 = 1,
    FcS8 = 2,
    ConvF32Forward = 3,
    ConvF32InputGradient = 4,
    ConvF32WeightGradient = 5,
    FcF32Forward = 6,
    FcF32InputGradient = 7,
    FcF32WeightGradient = 8,
}

/// <summary>One benchmark case: a kernel on a shape, optionally with the published figure it is compared against.</summary>
/// <param name="Label">"(b) 1x1 conv 32x32x48->16" or the zoo layer it comes from.</param>
/// <param name="CmsisNn">CMSIS-NN's instructions per MAC for this shape on the same core (DESIGN.md §5), or null.</param>
/// <param name="Target">The figure to meet or beat, or null.</param>
public sealed record BenchCase(string Label, BenchKernel Kernel, int H, int W, int Cin, int Cout, int K, int Stride, int Pad, int Groups,
    double? CmsisNn = null, double? Target = null)
{
    public int OutH => ((H + (2 * Pad) - K) / Stride) + 1;

    public int OutW => ((W + (2 * Pad) - K) / Stride) + 1;

    /// <summary>Multiply-accumulates of the kernel (forward, input gradient and weight gradient have the same count).</summary>
    public long Macs => Kernel is BenchKernel.FcS8 or BenchKernel.FcF32Forward or BenchKernel.FcF32InputGradient or BenchKernel.FcF32WeightGradient
        ? (long)Cin * Cout
        : (long)OutH * OutW * Cout * K * K * (Cin / Groups);
}

/// <summary>A measured case; <paramref name="Mismatches"/> is reported by the kernelcheck firmware only.</summary>
public sealed record BenchResult(BenchCase Case, long Instructions, long? Mismatches = null)
{
    public double InstructionsPerMac => (double)Instructions / Case.Macs;

    /// <summary>True, false, or null when the case has no target.</summary>
    public bool? MeetsTarget => Case.Target is double t ? InstructionsPerMac <= t : null;
}

/// <summary>Runs kernel cases on an emulated board with the kernelbench firmware.</summary>
public static class KernelBench
{
    private const int Fields = 16;

    /// <summary>The anchor shapes of DESIGN.md §5 with CMSIS-NN's figures and our targets.</summary>
    public static IReadOnlyList<BenchCase> Anchors { get; } =
    [
        new("(a) depthwise 3x3 s1 32x32x48", BenchKernel.ConvS8, 32, 32, 48, 48, 3, 1, 1, 48, 8.66, 4.5),
        new("(b) 1x1 conv 32x32x48->16", BenchKernel.ConvS8, 32, 32, 48, 16, 1, 1, 0, 1, 2.23, 2.23),
        new("(c) 1x1 conv 8x8x96->32", BenchKernel.ConvS8, 8, 8, 96, 32, 1, 1, 0, 1, 1.86, 1.86),
        new("(d) FC 112->10", BenchKernel.FcS8, 1, 1, 112, 10, 1, 1, 0, 1, 2.44, 2.44),
        new("(b) fp32 forward", BenchKernel.ConvF32Forward, 32, 32, 48, 16, 1, 1, 0, 1, null, 2.5),
        new("(b) fp32 dx", BenchKernel.ConvF32InputGradient, 32, 32, 48, 16, 1, 1, 0, 1, null, 2.5),
        new("(b) fp32 dW", BenchKernel.ConvF32WeightGradient, 32, 32, 48, 16, 1, 1, 0, 1, null, 2.5),
        new("(c) fp32 forward", BenchKernel.ConvF32Forward, 8, 8, 96, 32, 1, 1, 0, 1, null, 2.5),
        new("(c) fp32 dx", BenchKernel.ConvF32InputGradient, 8, 8, 96, 32, 1, 1, 0, 1, null, 2.5),
        new("(c) fp32 dW", BenchKernel.ConvF32WeightGradient, 8, 8, 96, 32, 1, 1, 0, 1, null, 2.5),
    ];

    /// <summary>Every distinct int8 layer shape of a model (conv and FC), labelled with its first layer's name.</summary>
    public static IEnumerable<BenchCase> LayerShapes(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in graph.Layers)
        {
            BenchCase? c = layer switch
            {
                ConvLayer conv => new BenchCase($"{graph.Name} {conv.Name}", BenchKernel.ConvS8, graph.ActivationOf(conv.Input).H, graph.ActivationOf(conv.Input).W,
                    graph.ActivationOf(conv.Input).C, graph.ActivationOf(conv.Output).C, conv.Kernel, conv.Stride, conv.Pad, conv.Groups),
                FcLayer fc => new BenchCase($"{graph.Name} {fc.Name}", BenchKernel.FcS8, 1, 1, graph.ParameterOf(fc.Weight).Dims[2], graph.ParameterOf(fc.Weight).Dims[3], 1, 1, 0, 1),
                _ => null,
            };
            if (c != null && seen.Add($"{c.Kernel} {c.H} {c.W} {c.Cin} {c.Cout} {c.K} {c.Stride} {c.Pad} {c.Groups}"))
            {
                yield return c;
            }
        }
    }

    /// <summary>
    /// Runs the cases (in chunks the firmware accepts) with the kernelbench firmware, or with kernelcheck to also
    /// compare each optimized int8 kernel with the reference on the board, and returns the results.
    /// </summary>
    public static IReadOnlyList<BenchResult> Run(BoardDescriptor board, string elf, IReadOnlyList<BenchCase> cases, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(cases);
        var results = new List<BenchResult>();
        string dir = Path.Combine(Path.GetTempPath(), "nt-kbench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var chunk in cases.Chunk(64))
            {
                var words = new int[1 + (chunk.Length * Fields)];
                words[0] = chunk.Length;
                for (int i = 0; i < chunk.Length; i++)
                {
                    var c = chunk[i];
                    int[] f = [(int)c.Kernel, 1, c.H, c.W, c.Cin, c.Cout, c.K, c.Stride, c.Pad, c.Groups];
                    f.CopyTo(words, 1 + (i * Fields));
                }
                var bytes = new byte[words.Length * 4];
                Buffer.BlockCopy(words, 0, bytes, 0, bytes.Length);
                File.WriteAllBytes(Path.Combine(dir, "bench.cases"), bytes);
                var run = new QemuRunner().Run(board, elf, TimeSpan.FromMinutes(10), workingDirectory: dir);
                if (run.ExitCode != 0)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"kernelbench on {board.Id} failed (exit {run.ExitCode}): {ProcessRunner.LastLine(run.Uart)}");
                }
                for (int i = 0; i < chunk.Length; i++)
                {
                    if (run.Facts.ContainsKey($"case_{i}_error"))
                    {
                        throw new NanoTrainException(ErrorKind.BadInput, $"kernelbench on {board.Id}: case '{chunk[i].Label}' does not fit the board's largest bank");
                    }
                    long? mismatches = run.Facts.ContainsKey($"case_{i}_mismatches") ? run.Number($"case_{i}_mismatches") : null;
                    results.Add(new BenchResult(chunk[i], run.Number($"case_{i}_instructions"), mismatches));
                }
                progress?.Progress("kernel cases", results.Count, cases.Count);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return results;
    }
}
