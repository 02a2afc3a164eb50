using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public class HelpAndErrorTests
{
    // DESIGN.md §1: every command the user gets.
    public static TheoryData<string> DesignCommands => new()
    {
        "data", "pretrain", "import", "quantize", "plan", "build", "run", "bench", "experiment", "flash", "demo",
    };

    [Fact]
    public void HelpListsEveryCommandOfTheDesign()
    {
        var result = CliProcess.Run("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string command in DesignCommands)
        {
            Assert.Matches($"(?m)^  {command} ", result.StandardOutput);
        }
    }

    [Fact]
    public void UnknownBoardIsAOneLineUsageError()
    {
        var result = CliProcess.Run("run", "--board", "esp32-s3", "--elf", "x.elf");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("error: unknown board 'esp32-s3'; known boards: esp32c3-class, m7-dev, nucleo-h743zi, openmv-h7, stm32f405, stm32f746, stm32f746-disco", result.StandardError.Trim());
    }

    [Fact]
    public void MissingElfIsAOneLineErrorWithoutAStackTrace()
    {
        var result = CliProcess.Run("run", "--elf", "/nonexistent/app.elf");
        Assert.Equal(ExitCodes.MissingInput, result.ExitCode);
        Assert.Equal("error: /nonexistent/app.elf: ELF file not found", result.StandardError.Trim());
    }

    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        var result = CliProcess.Run("run", "--elf", "/nonexistent/app.elf", "--verbose");
        Assert.Equal(ExitCodes.MissingInput, result.ExitCode);
        Assert.Contains("   at NanoTrain.", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void BoardsJsonListsTheDescriptors()
    {
        var result = CliProcess.Run("boards", "--json");
        Assert.Equal(0, result.ExitCode);
        var boards = System.Text.Json.JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(["esp32c3-class", "m7-dev", "nucleo-h743zi", "openmv-h7", "stm32f405", "stm32f746", "stm32f746-disco"],
            boards.EnumerateArray().Select(b => b.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        var h7 = boards.EnumerateArray().Single(b => b.GetProperty("id").GetString() == "openmv-h7");
        Assert.Equal(992 * 1024, h7.GetProperty("sramBytes").GetInt64());
        Assert.Equal(40.0, h7.GetProperty("emulator").GetProperty("instructionsPerTick").GetDouble());
    }
}
