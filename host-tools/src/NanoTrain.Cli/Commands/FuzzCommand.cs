using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Native.Fuzz;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain fuzz</c>: the libFuzzer targets (plan loader, frame decoder, weight slots) for a bounded time.</summary>
public static class FuzzCommand
{
    public static Command Create()
    {
        var seconds = new Option<int>("--seconds", "-s")
        {
            Description = "how long each target runs; CI runs 60, a longer hunt e.g. 3600",
            DefaultValueFactory = _ => 60,
        };
        var targets = new Option<string[]>("--target", "-t")
        {
            Description = $"targets to run (repeatable): {string.Join(", ", FuzzCorpus.Targets)} [default: all]",
            AllowMultipleArgumentsPerToken = true,
        };
        var board = new Option<string>("--board", "-b")
        {
            Description = "board the seed plans are planned for",
            DefaultValueFactory = _ => "m7-dev",
        };
        var json = CommonOptions.Json();
        var command = new Command("fuzz",
            "run the fuzz targets (clang libFuzzer with ASan + UBSan) over seeds the tool makes; fails on any crash, whose input is kept in build/fuzz-crashes/TARGET")
        {
            seconds, targets, board, json,
        };
        command.SetAction(pr =>
        {
            int s = pr.GetValue(seconds);
            if (s < 1 || s > 86400)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--seconds {s}: give 1..86400");
            }
            var chosen = pr.GetValue(targets) is { Length: > 0 } t ? t : [.. FuzzCorpus.Targets];
            foreach (string name in chosen.Where(n => !FuzzCorpus.Targets.Contains(n)))
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--target {name}: no such fuzz target; the targets are {string.Join(", ", FuzzCorpus.Targets)}");
            }
            var paths = RepoPaths.Locate();
            var seedBoard = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            string? target = pr.GetValue(json);
            var progress = JsonOutput.WantsTable(target) ? (IProgressSink)new ConsoleProgress() : NullProgressSink.Instance;
            var runner = new FuzzRunner(paths);
            var seeds = runner.Prepare(seedBoard, progress);
            var results = chosen.Select(name => runner.Run(name, s, seeds[name], progress)).ToList();
            if (JsonOutput.WantsTable(target))
            {
                Print(results);
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["seconds"] = s,
                ["commit"] = BenchCommand.GitCommit(paths),
                ["targets"] = new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
                {
                    ["target"] = r.Target,
                    ["executions"] = r.Executions,
                    ["executionsPerSecond"] = r.ExecutionsPerSecond,
                    ["coverage"] = r.Coverage,
                    ["features"] = r.Features,
                    ["corpusFiles"] = r.CorpusFiles,
                    ["seeds"] = r.Seeds,
                    ["crashed"] = r.Crashed,
                    ["crashFile"] = r.CrashFile,
                    ["reason"] = r.Reason,
                    ["seconds"] = Math.Round(r.Seconds, 1),
                })]),
            });
            foreach (var r in results.Where(r => r.Crashed))
            {
                Console.Error.WriteLine($"nanotrain: fuzz target {r.Target} failed: {r.Reason}; input kept in {r.CrashFile ?? runner.CrashDir(r.Target)} (log: build/fuzz-crashes/{r.Target}.log)");
            }
            return results.Any(r => r.Crashed) ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IReadOnlyList<FuzzResult> results)
    {
        static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var table = new Table().AddColumns("target", "executions", "exec/s", "coverage (edges)", "features", "corpus", "result");
        foreach (var r in results)
        {
            table.AddRow(r.Target, N(r.Executions), N(r.ExecutionsPerSecond), N(r.Coverage), N(r.Features), $"{r.CorpusFiles} ({r.Seeds} seeds)",
                r.Crashed ? $"[red]crash[/]: {Markup.Escape(r.Reason ?? "")}" : "[green]no crash[/]");
        }
        AnsiConsole.Write(table);
    }
}
