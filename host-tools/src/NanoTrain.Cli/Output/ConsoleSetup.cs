using Spectre.Console;

namespace NanoTrain.Cli.Output;

/// <summary>Terminal settings: colour only on a terminal, and wide tables when output goes to a file or a CI log.</summary>
public static class ConsoleSetup
{
    private const int RedirectedWidth = 160;

    /// <summary>Configures the standard-output console once at start.</summary>
    public static void Apply()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Console = Create(Console.Out, redirected: true);
        }
    }

    /// <summary>A console on <paramref name="writer"/>: plain text and fixed width when redirected.</summary>
    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
        {
            console.Profile.Width = RedirectedWidth;
        }
        return console;
    }
}
