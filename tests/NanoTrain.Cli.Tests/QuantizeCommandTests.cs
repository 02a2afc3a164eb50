using System.Text.Json;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class QuantizeCommandTests
{
    [Fact]
    public void Int8StaysWithinAPointOfFp32AndQuartersTheWeights()
    {
        string output = Path.Combine(Path.GetTempPath(), $"nt-q-{Guid.NewGuid():N}.ntq");
        var result = CliProcess.Run("quantize", "--model", "mbv2-w0.35", "--limit", "1000", "--out", output, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var (saved, _) = Core.Quantization.QuantizedModelFile.Load(output);
        File.Delete(output);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        double fp32 = json.GetProperty("fp32Top1").GetDouble();
        double int8 = json.GetProperty("int8Top1").GetDouble();
        Assert.True(fp32 > 0.85, $"fp32 top-1 {fp32}");
        Assert.True(Math.Abs(int8 - fp32) <= 0.01 + 1e-9, $"int8 {int8} vs fp32 {fp32}");
        long fp32Bytes = json.GetProperty("fp32WeightBytes").GetInt64();
        long int8Bytes = json.GetProperty("int8WeightBytes").GetInt64();
        Assert.InRange(int8Bytes, fp32Bytes / 4, fp32Bytes / 3);
        Assert.Equal(int8Bytes, saved.WeightBytes);
        var input = json.GetProperty("activations").GetProperty("input");
        Assert.InRange(input.GetProperty("scale").GetDouble(), 2.0 / 255 * 0.99, 2.0 / 255 * 1.01); // inputs span [-1, 1]
    }

    [Fact]
    public void CheckpointWithANonFiniteWeightIsRefusedNamingTheTensor()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nt-nan-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var paths = Core.Common.RepoPaths.Locate();
            var original = Core.Model.Checkpoint.Load(Path.Combine(paths.Models, "pretrained", "mbv2-w0.35.ntck"));
            var weights = original.Weights.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
            weights["b7.dw.conv.w"][5] = float.NaN;
            string path = Path.Combine(dir, "nan.ntck");
            new Core.Model.Checkpoint(original.Model, original.ArchitectureSha256, original.Resolution, weights).Save(path);
            var result = CliProcess.Run("quantize", "--checkpoint", path, "--limit", "10");
            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains("tensor 'b7.dw.conv.w' holds NaN at index 5", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void CalibrationFileOfTheWrongShapeIsRefusedNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nt-cal-{Guid.NewGuid():N}.ntds");
        try
        {
            var images = new Core.Data.LabeledImages("cal/train", 10, new byte[2], new byte[2 * 784]);
            Core.Data.DatasetFile.Write(path, images, 0);
            // Rewrite the header as 32x32 (and fix its CRC): a shape the cache never produces.
            byte[] bytes = File.ReadAllBytes(path);
            bytes[12] = 32;
            bytes[14] = 32;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(60), Core.Common.Crc32.Compute(bytes.AsSpan(0, 60)));
            File.WriteAllBytes(path, bytes);
            var result = CliProcess.Run("quantize", "--calibration", path, "--limit", "10");
            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains($"{path}: unsupported shape 32x32", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
