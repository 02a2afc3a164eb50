using NanoTrain.Core.Bench;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Model;

namespace NanoTrain.Core.Tests.Emulation;

/// <summary>
/// On the boards, every optimized kernel agrees with the reference kernel: int8 bit for bit, fp32 (which may
/// use fused multiply-add) within 1e-4 relative per element.
/// </summary>
public class KernelCheckTests
{
    // The anchor shapes need more than the 128K bank of the stm32f405; it checks the smaller cases.
    [Theory]
    [InlineData("openmv-h7", true)]
    [InlineData("stm32f405", false)]
    public void OptimizedInt8KernelsEqualTheReferenceOnTheBoard(string id, bool anchors)
    {
        var paths = RepoPaths.Locate();
        var board = BoardCatalog.FromRepo(paths).Get(id);
        string elf = new FirmwareBuilder(paths).Build(board, "kernelcheck");
        var cases = KernelBench.Anchors.Where(c => anchors).ToList();
        cases.AddRange(KernelBench.LayerShapes(ZooModel.FromZoo(paths, "mbv2-w0.35").Build(16)));
        cases.AddRange(KernelBench.LayerShapes(ZooModel.FromZoo(paths, "mcunet-tiny").Build(16)));
        // Depthwise: 5x5 and 7x7, stride 2, images with no interior pixel, channels not a multiple of 4.
        cases.Add(new BenchCase("dw 5x5 s1", BenchKernel.ConvS8, 9, 7, 12, 12, 5, 1, 2, 12));
        cases.Add(new BenchCase("dw 7x7 s2", BenchKernel.ConvS8, 11, 10, 8, 8, 7, 2, 3, 8));
        cases.Add(new BenchCase("dw 5x5 on 2x2", BenchKernel.ConvS8, 2, 2, 16, 16, 5, 1, 2, 16));
        cases.Add(new BenchCase("dw 3x3 s2 on 3x3", BenchKernel.ConvS8, 3, 3, 4, 4, 3, 2, 1, 4));
        cases.Add(new BenchCase("dw 3x3 6 channels", BenchKernel.ConvS8, 5, 5, 6, 6, 3, 1, 1, 6));
        cases.Add(new BenchCase("fc 16->10", BenchKernel.FcS8, 1, 1, 16, 10, 1, 1, 0, 1));
        cases.Add(new BenchCase("fc 112->6", BenchKernel.FcS8, 1, 1, 112, 6, 1, 1, 0, 1));
        // Odd pixel counts, channel counts that are not multiples of 2 or 4, and FC tails.
        cases.Add(new BenchCase("odd 1x1", BenchKernel.ConvS8, 3, 5, 7, 5, 1, 1, 0, 1));
        cases.Add(new BenchCase("stem 3x3 s2 cin 1", BenchKernel.ConvS8, 13, 11, 1, 16, 3, 2, 1, 1));
        cases.Add(new BenchCase("dense 5x5 cin 3", BenchKernel.ConvS8, 9, 9, 3, 6, 5, 1, 2, 1));
        cases.Add(new BenchCase("dense 3x3 cin 40 (too many taps: plain loop)", BenchKernel.ConvS8, 5, 5, 40, 4, 3, 1, 1, 1));
        cases.Add(new BenchCase("1x1 cin 6", BenchKernel.ConvS8, 4, 4, 6, 3, 1, 1, 0, 1));
        cases.Add(new BenchCase("fc 13->7", BenchKernel.FcS8, 1, 1, 13, 7, 1, 1, 0, 1));
        cases.Add(new BenchCase("fc 3->1", BenchKernel.FcS8, 1, 1, 3, 1, 1, 1, 0, 1));
        foreach (var kind in new[] { BenchKernel.ConvF32Forward, BenchKernel.ConvF32InputGradient, BenchKernel.ConvF32WeightGradient })
        {
            cases.Add(new BenchCase($"fp32 {kind} odd 1x1", kind, 3, 5, 7, 5, 1, 1, 0, 1));
            cases.Add(new BenchCase($"fp32 {kind} 1x1 8x8x24->16", kind, 8, 8, 24, 16, 1, 1, 0, 1));
            cases.Add(new BenchCase($"fp32 {kind} depthwise 3x3", kind, 6, 6, 8, 8, 3, 2, 1, 8));
        }
        var results = KernelBench.Run(board, elf, cases);
        Assert.Equal(cases.Count, results.Count);
        Assert.All(results, r => Assert.True(r.Mismatches == 0, $"{id} {r.Case.Label}: {r.Mismatches} outputs differ from the reference"));
        Assert.All(results, r => Assert.NotNull(r.Mismatches)); // every case was compared
    }
}
