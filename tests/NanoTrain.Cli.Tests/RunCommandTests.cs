using System.Text.Json;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class RunCommandTests
{
    [Fact]
    public void RunTrainsAPlanOnTheBoardAndReportsWhatTheDeviceMeasured()
    {
        string dir = Directory.CreateTempSubdirectory("nt-run").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        var planned = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", "last-layer", "--out", plan);
        Assert.True(planned.ExitCode == 0, planned.StandardError);
        var result = CliProcess.Run("run", "--board", "stm32f746", "--plan", plan, "--train", "6", "--test", "4", "--load", "uart", "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(6, json.GetProperty("losses").GetArrayLength());
        Assert.Equal(4, json.GetProperty("testSamples").GetInt32());
        var step = json.GetProperty("instructionsPerStepMedian");
        Assert.True(step.GetProperty("forward").GetInt64() > 1_000_000);
        Assert.Equal(0, step.GetProperty("backwardDx").GetInt64()); // last layer: nothing below it learns
        Assert.True(step.GetProperty("backwardDw").GetInt64() > 0);
        foreach (var bank in json.GetProperty("banks").EnumerateArray())
        {
            Assert.True(bank.GetProperty("withinPlan").GetBoolean(), bank.ToString());
        }
        Assert.Contains(json.GetProperty("banks").EnumerateArray(), b => b.GetProperty("highWaterBytes").GetInt64() > 0);
        var flash = json.GetProperty("flash");
        Assert.True(flash.GetProperty("firmwareBytes").GetInt64() + flash.GetProperty("planBytes").GetInt64() <= flash.GetProperty("boardBytes").GetInt64());
    }

    [Fact]
    public void APlanForAnotherBoardIsRefusedBeforeBooting()
    {
        string dir = Directory.CreateTempSubdirectory("nt-run").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        Assert.Equal(0, CliProcess.Run("plan", "--board", "stm32f746", "--method", "last-layer", "--out", plan).ExitCode);
        var result = CliProcess.Run("run", "--board", "openmv-h7", "--plan", plan);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("the plan is for board 'stm32f746', not 'openmv-h7'", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void RunWithoutPlanOrImageIsAUsageError()
    {
        var result = CliProcess.Run("run");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("error: give --plan to train a plan on the board, or --elf to boot an image", result.StandardError.Trim());
    }

    [Fact]
    public void RhoNeedsAPlanWithAnElasticWorkspaceAndABoundedShare()
    {
        string dir = Directory.CreateTempSubdirectory("nt-run").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        Assert.Equal(0, CliProcess.Run("plan", "--board", "stm32f746", "--method", "last-layer", "--out", plan).ExitCode);
        var result = CliProcess.Run("run", "--board", "stm32f746", "--plan", plan, "--rho", "0.5");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal($"error: {plan}: --rho needs a plan that reserves elastic selection's workspace (plan --method elastic or nanotrain)", result.StandardError.Trim());
        var share = CliProcess.Run("run", "--board", "stm32f746", "--plan", plan, "--rho", "1.5");
        Assert.Equal(ExitCodes.Usage, share.ExitCode);
        Assert.StartsWith("error: --rho must be within [0, 1]", share.StandardError.Trim(), StringComparison.Ordinal);
    }
}
