using NanoTrain.Core.Common;

namespace NanoTrain.Cli.Tests;

/// <summary>Runs the built nanotrain CLI as a separate process, as a user would, and captures everything.</summary>
internal static class CliProcess
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "nanotrain.dll");

    public static ProcessResult Run(IReadOnlyDictionary<string, string>? environment, params string[] args) => Run(TimeSpan.FromMinutes(5), environment, args);

    public static ProcessResult Run(TimeSpan limit, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var env = new Dictionary<string, string> { ["NANOTRAIN_ROOT"] = RepoPaths.Locate().Root };
        if (environment != null)
        {
            foreach (var (k, v) in environment)
            {
                env[k] = v;
            }
        }
        var result = ProcessRunner.Run("dotnet", new[] { Dll }.Concat(args), limit, environment: env);
        Assert.False(result.TimedOut, $"nanotrain {string.Join(' ', args)} did not finish");
        return result;
    }

    public static ProcessResult Run(params string[] args) => Run(null, args);
}
