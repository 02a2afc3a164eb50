using System.CommandLine;
using NanoTrain.Core.Common;

namespace NanoTrain.Cli.Commands;

/// <summary>A command of the design that is not built yet: listed in --help, refuses to run.</summary>
public static class PlannedCommand
{
    public static Command Create(string name, string description, int issue)
    {
        var command = new Command(name, $"{description} [not built yet: issue #{issue}]")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(int (_) => throw new NanoTrainException(ErrorKind.NotImplemented,
            $"`nanotrain {name}` is not built yet (issue #{issue}); see README.md for what works today"));
        return command;
    }
}
