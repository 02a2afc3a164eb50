using System.CommandLine;
using NanoTrain.Cli.Commands;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;

namespace NanoTrain.Cli;

/// <summary>Entry point: builds the command tree and maps every domain error to one line and an exit code.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ConsoleSetup.Apply();
        var root = CreateRoot();
        bool verbose = args.Contains("--verbose");
        try
        {
            var parse = root.Parse(args);
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (NanoTrainException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            if (verbose)
            {
                Console.Error.WriteLine(ex);
            }
            return ExitCodes.For(ex.Kind);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            if (verbose)
            {
                Console.Error.WriteLine(ex);
            }
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (!verbose && ex is not OutOfMemoryException)
        {
            // A fault of the tool itself, not of the input: one line still, and the way to the details.
            Console.Error.WriteLine($"error: internal error ({ex.GetType().Name}: {ex.Message}); run again with --verbose for the stack trace");
            return ExitCodes.Software;
        }
    }

    /// <summary>The whole command tree; every command of the design is listed, built or not.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "nanoTrain: on-device training for microcontrollers, on emulated boards.\n" +
            "Every command writes a table, and JSON with --json. `./nanotrain test` runs the test suite.");
        root.Options.Add(new Option<bool>("--verbose") { Description = "show stack traces of errors", Recursive = true });
        root.Subcommands.Add(DataCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(PlanCommand.Create());
        root.Subcommands.Add(BuildCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DiagnoseCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        root.Subcommands.Add(FlashCommand.Create());
        root.Subcommands.Add(FuzzCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(BoardsCommand.Create());
        root.Subcommands.Add(ZooCommand.Create());
        return root;
    }
}
