using System.Text.Json;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class DemoCommandTests
{
    [Fact]
    public void TheQuickDemoTrainsOnTheBoardWithinItsMemoryAndItsWeightsSurviveAReset()
    {
        // A few minutes on a busy 2-core machine: the board trains 200 steps of mbv2-w0.35 under QEMU.
        var result = CliProcess.Run(TimeSpan.FromMinutes(20), null, "demo", "--quick", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal("openmv-h7", json.GetProperty("board").GetString());
        var device = json.GetProperty("device");
        Assert.True(device.GetProperty("top1After").GetDouble() > device.GetProperty("top1Before").GetDouble(), device.ToString());
        Assert.Equal(200, device.GetProperty("losses").GetArrayLength());
        foreach (var bank in device.GetProperty("banks").EnumerateArray())
        {
            Assert.True(bank.GetProperty("highWaterBytes").GetInt64() <= bank.GetProperty("plannedBytes").GetInt64(), bank.ToString());
            Assert.True(bank.GetProperty("plannedBytes").GetInt64() <= bank.GetProperty("bankBytes").GetInt64(), bank.ToString());
        }
        var restore = device.GetProperty("restore");
        Assert.True(restore.GetProperty("samePredictions").GetBoolean());
        Assert.Equal(restore.GetProperty("sequence").GetUInt32(), restore.GetProperty("restoredSequence").GetUInt32());
        Assert.Equal(device.GetProperty("top1After").GetDouble(), restore.GetProperty("top1AfterReset").GetDouble());
        Assert.True(device.GetProperty("elastic").GetProperty("achievedRho").GetDouble() <= 0.85 * 1.1);

        var methods = json.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!);
        Assert.Equal(["nanotrain", "last-layer", "full"], methods.Keys);
        Assert.True(methods["nanotrain"].GetProperty("fitsBoard").GetBoolean());
        Assert.False(methods["full"].GetProperty("fitsBoard").GetBoolean());
        Assert.True(methods["full"].GetProperty("plannedSram").GetInt64() > json.GetProperty("plan").GetProperty("budget").GetInt64());
        Assert.True(methods["last-layer"].GetProperty("instructionsPerStep").GetProperty("total").GetInt64() > 0);
        Assert.All(json.GetProperty("checks").EnumerateArray(), c => Assert.True(c.GetProperty("passed").GetBoolean(), c.ToString()));
    }

    [Theory]
    [InlineData("--rho", "0")]
    [InlineData("--per-class", "0")]
    [InlineData("--epochs", "0")]
    public void OutOfRangeSettingsAreUsageErrorsBeforeAnythingRuns(string option, string value)
    {
        var result = CliProcess.Run("demo", option, value);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("error: --rho must be within (0, 1]", result.StandardError.Trim(), StringComparison.Ordinal);
    }
}
