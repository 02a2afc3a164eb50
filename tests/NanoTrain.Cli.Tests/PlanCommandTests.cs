using System.Text.Json;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class PlanCommandTests
{
    [Fact]
    public void BiasOnlyFitsTheOpenMvH7AndReportsTheLayout()
    {
        string dir = Directory.CreateTempSubdirectory("nt-plan").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        string svg = Path.Combine(dir, "t.svg");
        var result = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "openmv-h7", "--method", "bias-only", "--out", plan, "--svg", svg,
            "--emit-c", dir, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.True(json.GetProperty("fits").GetBoolean());
        long arena = json.GetProperty("arenaBytes").GetInt64();
        long bound = json.GetProperty("lowerBound").GetInt64();
        Assert.InRange(arena, bound, (long)(bound * 1.05));
        Assert.Equal(arena, json.GetProperty("banks").EnumerateArray().Sum(b => b.GetProperty("bytes").GetInt64()));
        Assert.True(json.GetProperty("noReuseBytes").GetInt64() > arena);
        Assert.True(json.GetProperty("breakdown").GetProperty("stored activations").GetInt64() > 0);
        Assert.Equal(new FileInfo(plan).Length, json.GetProperty("flashBytes").GetInt64());
        Assert.StartsWith("<svg", File.ReadAllText(svg), StringComparison.Ordinal);
        // The C form holds the same bytes as the file.
        Assert.Equal(File.ReadAllBytes(plan), Core.Plan.PlanCSource.ReadBack(Path.Combine(dir, "nt_plan_data.c")));
        Assert.Contains("extern const uint8_t nt_plan_bytes[];", File.ReadAllText(Path.Combine(dir, "nt_plan_data.h")), StringComparison.Ordinal);
    }

    [Fact]
    public void ABudgetBelowTheBoundDoesNotFitAndSaysByHowMuch()
    {
        string plan = Path.Combine(Directory.CreateTempSubdirectory("nt-plan").FullName, "p.ntplan");
        var result = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "openmv-h7", "--method", "bias-only", "--budget", "100000", "--out", plan);
        Assert.Equal(ExitCodes.DoesNotFit, result.ExitCode);
        Assert.Matches("does not fit openmv-h7: needs [0-9,]+ B of SRAM \\(lower bound [0-9,]+\\), budget 100,000", result.StandardOutput);
    }

    [Fact]
    public void FullFineTuningDoesNotFitTheStm32f746()
    {
        string plan = Path.Combine(Directory.CreateTempSubdirectory("nt-plan").FullName, "p.ntplan");
        var result = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", "full", "--out", plan, "--json");
        Assert.Equal(ExitCodes.DoesNotFit, result.ExitCode);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.False(json.GetProperty("fits").GetBoolean());
        Assert.NotEqual(0, json.GetProperty("unplaced").GetArrayLength());
        Assert.True(json.GetProperty("neededBytes").GetInt64() > json.GetProperty("budget").GetInt64());
    }

    [Fact]
    public void AnUnknownMethodIsAUsageError()
    {
        var result = CliProcess.Run("plan", "--method", "everything");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("error: unknown method 'everything'; methods: full, last-layer, bias-only, gc, gc-apu, sparse-update, gradient-filter, elastic, nanotrain", result.StandardError.Trim());
    }

    [Fact]
    public void SparseUpdateTrainsTheTensorsItIsGivenAndNamesAnUnknownOne()
    {
        string dir = Directory.CreateTempSubdirectory("nt-plan").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        var result = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", "sparse-update",
            "--sparse-tensors", "b17.project.conv.w.s8,b16.dw.conv.b.s32", "--int8-lr-scale", "0.1", "--out", plan, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(["b16.dw.conv.b.s32", "b17.project.conv.w.s8"], json.GetProperty("sparseTensors").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0.1, json.GetProperty("int8LrScale").GetDouble(), 6);
        Assert.True(json.GetProperty("fits").GetBoolean());

        string other = Path.Combine(dir, "q.ntplan");
        var bad = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", "sparse-update", "--sparse-tensors", "b17.project.conv.w", "--out", other);
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Contains("'b17.project.conv.w' is not an int8 conv's weight (CONV.w.s8) or bias (CONV.b.s32)", bad.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(other));
    }

    [Fact]
    public void GradientFilterPlansTwoByTwoPatchesAndAPatchIsCheckedBeforeAnyWork()
    {
        string dir = Directory.CreateTempSubdirectory("nt-plan").FullName;
        string plan = Path.Combine(dir, "p.ntplan");
        var result = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", "gradient-filter", "--train-convs", "6", "--out", plan, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(2, json.GetProperty("patch").GetInt32());
        Assert.True(json.GetProperty("fits").GetBoolean());
        Assert.True(File.Exists(plan));

        foreach (var (method, patch, message) in new[] { ("gc", "1", "--patch 1: give 0 (whole maps) or a side of at least 2"), ("last-layer", "2", "--patch is for the condensing methods (gc, gc-apu, gradient-filter, nanotrain), not last-layer") })
        {
            string other = Path.Combine(dir, method + ".ntplan");
            var bad = CliProcess.Run("plan", "--model", "mbv2-w0.35", "--board", "stm32f746", "--method", method, "--patch", patch, "--out", other);
            Assert.Equal(ExitCodes.Usage, bad.ExitCode);
            Assert.StartsWith("error: " + message, bad.StandardError.Trim(), StringComparison.Ordinal);
            Assert.DoesNotContain("quantizing", bad.StandardError, StringComparison.Ordinal);
            Assert.False(File.Exists(other));
        }
    }
}
