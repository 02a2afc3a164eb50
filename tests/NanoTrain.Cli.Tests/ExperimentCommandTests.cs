using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

/// <summary>`experiment transfer` refuses settings it cannot run with one line naming the option, before any work.</summary>
public class ExperimentCommandTests
{
    [Theory]
    [InlineData("--shots", "1", "error: --shots wants whole numbers of at least 2, comma-separated; got '1'")]
    [InlineData("--lrs", "0.1,x", "error: --lrs wants numbers within (0, 16], comma-separated; got '0.1,x'")]
    [InlineData("--int8-lr-scales", "0", "error: --int8-lr-scales wants numbers within (0, 16], comma-separated; got '0'")]
    [InlineData("--methods", "gc,everything", "error: unknown method 'everything'; methods: full, last-layer, bias-only, gc, gc-apu, sparse-update, gradient-filter, elastic, nanotrain")]
    [InlineData("--epochs", "0", "error: --test must be positive and --epochs within 1..20, got 1000 and 0")]
    [InlineData("--rhos", "0.5,1.5", "error: --rhos wants shares within (0, 1], got '0.5,1.5'")]
    [InlineData("--no-device", "--methods=nanotrain", "error: elastic and nanotrain choose with costs measured on the board: drop --no-device")]
    public void BadSettingsAreUsageErrors(string option, string value, string message)
    {
        var result = CliProcess.Run("experiment", "transfer", option, value, "--out", Path.Combine(Path.GetTempPath(), "nt-never-written"));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal(message, result.StandardError.Trim());
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "nt-never-written")));
    }
}
