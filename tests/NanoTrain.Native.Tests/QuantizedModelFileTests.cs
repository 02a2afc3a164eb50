using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;

namespace NanoTrain.Native.Tests;

public class QuantizedModelFileTests
{
    private static (QuantizedModel Model, LabeledImages Images) Quantized()
    {
        var g = TestModels.Tiny();
        var weights = TestModels.Weights(g, 12);
        var rng = new SplitMix64(4);
        var pixels = Enumerable.Range(0, 64 * DatasetSpec.ImageBytes).Select(_ => (byte)rng.NextBelow(256)).ToArray();
        var images = new LabeledImages("random", 4, new byte[64], pixels);
        var ranges = Calibrator.Calibrate(g, weights, images, 48, null, 1);
        return (Quantizer.Quantize(g, weights, ranges), images);
    }

    [Fact]
    public void SavedModelLoadsBackAndComputesTheSameLogits()
    {
        var (model, images) = Quantized();
        string path = Path.Combine(Path.GetTempPath(), $"nt-q-{Guid.NewGuid():N}.ntq");
        try
        {
            QuantizedModelFile.Save(model, "arch", path);
            var (back, arch) = QuantizedModelFile.Load(path);
            Assert.Equal("arch", arch);
            Assert.Equal(model.Ops.Count, back.Ops.Count);
            Assert.Equal(model.WeightBytes, back.WeightBytes);
            var pipeline = new ImagePipeline(12);
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(Int8Simulator.Run(model, images.Image(i), pipeline), Int8Simulator.Run(back, images.Image(i), pipeline));
            }
            // The logits are not all the same value: the model computes something.
            Assert.True(Enumerable.Range(0, 16).Select(i => string.Join(',', Int8Simulator.Run(model, images.Image(i), pipeline))).Distinct().Count() > 1);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CorruptFileIsRefused()
    {
        var (model, _) = Quantized();
        string path = Path.Combine(Path.GetTempPath(), $"nt-q-{Guid.NewGuid():N}.ntq");
        try
        {
            QuantizedModelFile.Save(model, "arch", path);
            var bytes = File.ReadAllBytes(path);
            bytes[^3] ^= 0x40;
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<NanoTrainException>(() => QuantizedModelFile.Load(path));
            Assert.Equal(ErrorKind.BadInput, ex.Kind);
            Assert.Contains("sha256 mismatch", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
