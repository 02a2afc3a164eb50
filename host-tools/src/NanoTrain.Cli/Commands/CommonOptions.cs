using System.CommandLine;
using NanoTrain.Core.Boards;

namespace NanoTrain.Cli.Commands;

/// <summary>Options shared by several commands, declared once.</summary>
public static class CommonOptions
{
    /// <summary><c>--board B</c>, default openmv-h7.</summary>
    public static Option<string> Board() => new("--board", "-b")
    {
        Description = "board id (see `nanotrain boards`)",
        DefaultValueFactory = _ => BoardCatalog.DefaultBoard,
    };

    /// <summary><c>--json [FILE]</c>: JSON on standard output, or into FILE next to the table.</summary>
    public static Option<string?> Json() => new("--json")
    {
        Description = "write the result as JSON: to standard output instead of the table, or to FILE when given",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = r => r.Tokens.Count == 0 ? Output.JsonOutput.Stdout : r.Tokens[0].Value,
    };
}
