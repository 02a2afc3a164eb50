namespace NanoTrain.Core.Common;

/// <summary>Where the repository's parts are: found from NANOTRAIN_ROOT, else by walking up to nf.sln.</summary>
public sealed class RepoPaths
{
    public RepoPaths(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The repository root (holds nf.sln).</summary>
    public string Root { get; }

    public string Firmware => Path.Combine(Root, "firmware");

    public string Boards => Path.Combine(Firmware, "boards");

    public string Build => Path.Combine(Root, "build");

    public string Models => Path.Combine(Root, "models");

    /// <summary>Locates the repository from the environment, the working directory or the tool's own location.</summary>
    public static RepoPaths Locate()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("NANOTRAIN_ROOT");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (!File.Exists(Path.Combine(fromEnv, "nf.sln")))
            {
                throw new NanoTrainException(ErrorKind.Environment, $"NANOTRAIN_ROOT={fromEnv} does not hold nf.sln");
            }
            return new RepoPaths(fromEnv);
        }
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (string? dir = start; dir != null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "nf.sln")))
                {
                    return new RepoPaths(dir);
                }
            }
        }
        throw new NanoTrainException(ErrorKind.Environment, "cannot find the nanoTrain repository (no nf.sln above the working directory); set NANOTRAIN_ROOT");
    }
}
