using System.Text.Json;
using System.Text.Json.Nodes;
using NanoTrain.Core.Common;

namespace NanoTrain.Cli.Output;

/// <summary>
/// The <c>--json [FILE]</c> convention of every command: without a file, the JSON replaces the table on
/// standard output; with one, the table still prints and the JSON goes to the file (written atomically).
/// </summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Sentinel value of <c>--json</c> given without a file name.</summary>
    public const string Stdout = "-";

    /// <summary>True when the human-readable table should print (no JSON, or JSON to a file).</summary>
    public static bool WantsTable(string? json) => json is null || json != Stdout;

    /// <summary>Emits the JSON where <c>--json</c> asked for it; does nothing without the option.</summary>
    public static void Emit(string? json, JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (json is null)
        {
            return;
        }
        string text = node.ToJsonString(Options) + "\n";
        if (json == Stdout)
        {
            Console.Out.Write(text);
            return;
        }
        string full = Path.GetFullPath(json);
        string? dir = Path.GetDirectoryName(full);
        if (dir != null && !Directory.Exists(dir))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{json}: folder {dir} does not exist");
        }
        AtomicFile.WriteAllText(full, text);
    }
}
