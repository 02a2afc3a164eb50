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
        Assert.Equal(json.GetProperty("hostLoss").GetSingle(), json.GetProperty("boardLoss").GetSingle(), 1e-6f);
        Assert.True(json.GetProperty("maxWeightDifference").GetSingle() <= 1e-6f);
    }

    [Fact]
    public void KernelsIsNotBuiltYet()
    {
        var result = CliProcess.Run("bench", "kernels", "--board", "openmv-h7");
        Assert.Equal(ExitCodes.NotImplemented, result.ExitCode);
        Assert.Contains("not built yet (issue #4)", result.StandardError, StringComparison.Ordinal);
    }
}
