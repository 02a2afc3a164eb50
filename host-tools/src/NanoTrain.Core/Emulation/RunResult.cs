namespace NanoTrain.Core.Emulation;

/// <summary>What a firmware run on an emulated board produced.</summary>
/// <param name="Board">Board id.</param>
/// <param name="ExitCode">The firmware's exit status (semihosting), as QEMU's exit code.</param>
/// <param name="Uart">Everything the firmware wrote to its console UART.</param>
/// <param name="Facts">"key: value" lines of the UART output; a repeated key keeps its last value.</param>
/// <param name="CommandLine">The emulator command that ran, for reproducing by hand.</param>
public sealed record RunResult(string Board, int ExitCode, string Uart, IReadOnlyDictionary<string, string> Facts, string CommandLine)
{
    /// <summary>The values of a key that appears on several lines ("bank: ..."), in order.</summary>
    public IReadOnlyList<string> All(string key) =>
        Uart.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.StartsWith(key + ": ", StringComparison.Ordinal))
            .Select(line => line[(key.Length + 2)..])
            .ToList();

    /// <summary>A numeric fact; throws with the key's name when missing.</summary>
    public long Number(string key) =>
        Facts.TryGetValue(key, out var value) && long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new KeyNotFoundException($"the firmware did not report a numeric '{key}'");

    /// <summary>Parses the "key: value" lines of UART output.</summary>
    public static IReadOnlyDictionary<string, string> ParseFacts(string uart)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string rawLine in uart.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && !line[..colon].Contains(' ', StringComparison.Ordinal))
            {
                facts[line[..colon]] = line[(colon + 2)..];
            }
        }
        return facts;
    }
}
