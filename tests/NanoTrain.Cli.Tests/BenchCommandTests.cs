using System.Text.Json;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class BenchCommandTests
{
    [Fact]
    public void StepOnM7DevReportsEveryPhaseAndAgreesWithTheHost()
    {
        var result = CliProcess.Run("bench", "step", "--board", "m7-dev", "--model", "mbv2-w0.35", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        var phases = json.GetProperty("phases");
        long forward = phases.GetProperty("forward").GetProperty("boardInstructions").GetInt64();
        long backward = phases.GetProperty("backward").GetProperty("boardInstructions").GetInt64();
        long update = phases.GetProperty("update").GetProperty("boardInstructions").GetInt64();
        long loss = phases.GetProperty("loss").GetProperty("boardInstructions").GetInt64();
        long step = phases.GetProperty("step").GetProperty("boardInstructions").GetInt64();
        Assert.True(forward > json.GetProperty("forwardMacs").GetInt64(), "a forward MAC costs at least one instruction");
        Assert.True(backward > forward);
        // The phases are measured back to back, so they add up to the step within the counter's resolution per read.
        Assert.InRange(step - (forward + loss + backward + update), -160, 160);
        // The boards' fp32 kernels use fused multiply-add: the step agrees with the host within rounding.
        float hostLoss = json.GetProperty("hostLoss").GetSingle();
        Assert.True(Math.Abs(json.GetProperty("boardLoss").GetSingle() - hostLoss) <= 1e-4f * hostLoss);
        Assert.True(json.GetProperty("maxWeightDifference").GetSingle() <= 1e-5f);
    }

    [Fact]
    public void KernelsReportsTheAnchorShapesAndEveryZooLayerShape()
    {
        var result = CliProcess.Run("bench", "kernels", "--board", "openmv-h7", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var cases = JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("cases").EnumerateArray().ToList();
        var byLabel = cases.ToDictionary(c => c.GetProperty("label").GetString()!);
        Assert.Equal(442_368, byLabel["(a) depthwise 3x3 s1 32x32x48"].GetProperty("macs").GetInt64());
        Assert.Equal(786_432, byLabel["(b) 1x1 conv 32x32x48->16"].GetProperty("macs").GetInt64());
        Assert.Equal(196_608, byLabel["(c) 1x1 conv 8x8x96->32"].GetProperty("macs").GetInt64());
        Assert.Equal(1_120, byLabel["(d) FC 112->10"].GetProperty("macs").GetInt64());
        Assert.Equal(2.23, byLabel["(b) 1x1 conv 32x32x48->16"].GetProperty("cmsisNn").GetDouble());
        // No kernel beats the floor of half an instruction per MAC (two MACs per SMLAD).
        Assert.All(cases, c => Assert.True(c.GetProperty("instructionsPerMac").GetDouble() >= 0.5, c.GetProperty("label").GetString()));
        Assert.Contains(cases, c => c.GetProperty("label").GetString() == "mbv2-w0.35 fc");
        Assert.Contains(cases, c => c.GetProperty("label").GetString()!.StartsWith("mcunet-tiny ", StringComparison.Ordinal) && c.GetProperty("shape").GetProperty("kernel").GetInt32() == 7);
    }
}
