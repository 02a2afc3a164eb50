using System.Text.Json;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Model;

namespace NanoTrain.Cli.Tests;

public class PretrainCommandTests
{
    [Fact]
    public void AShortRunWritesACheckpointThatEvalReadsBackWithTheSameAccuracy()
    {
        string dir = Path.Combine(Path.GetTempPath(), "nt-pretrain-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string ck = Path.Combine(dir, "m.ntck");
            var train = CliProcess.Run("pretrain", "--model", "mcunet-tiny", "--resolution", "16", "--epochs", "1", "--limit", "2560", "--out", ck, "--json");
            Assert.True(train.ExitCode == 0, train.StandardError);
            var result = JsonDocument.Parse(train.StandardOutput).RootElement;
            double accuracy = result.GetProperty("testTop1").GetDouble();
            Assert.InRange(accuracy, 0.2, 1.0); // twice chance (0.1) after 2,560 images
            // The run is deterministic: the same command writes the same bytes.
            string again = Path.Combine(dir, "again.ntck");
            Assert.Equal(0, CliProcess.Run("pretrain", "--model", "mcunet-tiny", "--resolution", "16", "--epochs", "1", "--limit", "2560", "--out", again).ExitCode);
            Assert.Equal(File.ReadAllBytes(ck), File.ReadAllBytes(again));

            var checkpoint = Checkpoint.Load(ck);
            Assert.Equal("mcunet-tiny", checkpoint.Model);
            Assert.Equal(16, checkpoint.Resolution);
            Assert.Equal(accuracy, checkpoint.Metadata["testTop1"]!.GetValue<double>(), 5);

            var eval = CliProcess.Run("eval", "--model", "mcunet-tiny", "--resolution", "16", "--checkpoint", ck, "--json");
            Assert.True(eval.ExitCode == 0, eval.StandardError);
            Assert.Equal(accuracy, JsonDocument.Parse(eval.StandardOutput).RootElement.GetProperty("top1").GetDouble(), 5);

            // The same checkpoint for another architecture or resolution is refused, naming both.
            var wrong = CliProcess.Run("eval", "--model", "mbv2-w0.35", "--checkpoint", ck);
            Assert.Equal(ExitCodes.BadInput, wrong.ExitCode);
            Assert.Contains("checkpoint is for 'mcunet-tiny' at 16x16", wrong.StandardError, StringComparison.Ordinal);
            Assert.Contains("not 'mbv2-w0.35' at 40x40", wrong.StandardError, StringComparison.Ordinal);
            var otherResolution = CliProcess.Run("eval", "--model", "mcunet-tiny", "--checkpoint", ck);
            Assert.Equal(ExitCodes.BadInput, otherResolution.ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void UnknownModelListsTheZoo()
    {
        var result = CliProcess.Run("pretrain", "--model", "resnet50");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("error: unknown model 'resnet50'; zoo models: mbv2-w0.35, mcunet-tiny", result.StandardError.Trim());
    }

    [Fact]
    public void CorruptCheckpointIsRefused()
    {
        string path = Path.Combine(Path.GetTempPath(), "nt-bad-" + Guid.NewGuid().ToString("N") + ".ntck");
        try
        {
            File.WriteAllBytes(path, "NTCK\u0001\0\0\0 not really a checkpoint, far too short for its header"u8.ToArray());
            var result = CliProcess.Run("eval", "--checkpoint", path);
            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains($"{path}: sha256 mismatch", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
