using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;

namespace NanoTrain.Native.Tests;

public class QuantizedModelFileTests
{
    [Fact]
    public void SavedModelLoadsBackAndComputesTheSameLogits()
    {
        var (model, _, images) = TestModels.QuantizedTiny(12, 4, 64, 48);
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
        var (model, _, _) = TestModels.QuantizedTiny(12, 4, 64, 48);
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
