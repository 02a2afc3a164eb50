using NanoTrain.Core.Common;
using Spectre.Console;

namespace NanoTrain.Cli.Output;

/// <summary>Shows progress on standard error, so standard output stays clean for tables and JSON.</summary>
public sealed class ConsoleProgress : IProgressSink
{
    private readonly IAnsiConsole _err = ConsoleSetup.Create(Console.Error, redirected: false);
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private bool _midLine;

    public void Info(string message)
    {
        EndLine();
        if (_interactive)
        {
            _err.MarkupLineInterpolated($"[grey]›[/] {message}");
        }
        else
        {
            Console.Error.WriteLine("› " + message); // unwrapped, so logs keep whole paths on one line
        }
    }

    public void Warn(string message)
    {
        EndLine();
        if (_interactive)
        {
            _err.MarkupLineInterpolated($"[yellow]warning:[/] {message}");
        }
        else
        {
            Console.Error.WriteLine("warning: " + message);
        }
    }

    public void Progress(string task, long done, long total)
    {
        string text = total > 0 ? $"{task}: {done}/{total} ({100.0 * done / total:0}%)" : $"{task}: {done}";
        if (_interactive)
        {
            Console.Error.Write("\r" + text + "\u001b[K");
            _midLine = done < total;
            if (!_midLine)
            {
                Console.Error.WriteLine();
            }
        }
        else
        {
            Console.Error.WriteLine(text);
        }
    }

    private void EndLine()
    {
        if (_midLine)
        {
            Console.Error.WriteLine();
            _midLine = false;
        }
    }
}
