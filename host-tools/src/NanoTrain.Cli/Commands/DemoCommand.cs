using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary>
/// <c>nanotrain demo</c>. Until on-device training lands, it builds and boots the smoke firmware on a
/// board, shows the board's facts and checks its instruction counter, and says what comes next.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var board = CommonOptions.Board();
        var quick = new Option<bool>("--quick") { Description = "the short version used in CI" };
        var json = CommonOptions.Json();
        var command = new Command("demo", "all of the above on the default board, in one go (today: build and boot the board, check its counter)");
        command.Options.Add(board);
        command.Options.Add(quick);
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var descriptor = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            string? target = pr.GetValue(json);
            bool table = JsonOutput.WantsTable(target);
            var progress = new ConsoleProgress();

            string elf = new FirmwareBuilder(paths).Build(descriptor, "smoke", progress);
            progress.Info($"booting {Path.GetFileName(elf)} on {descriptor.Id} ({descriptor.Emulator.Program} -M {descriptor.Emulator.Machine}, -icount shift=0)");
            var run = new QemuRunner().Run(descriptor, elf);
            var loops = CounterCalibration.Check(descriptor, run);
            bool ok = run.ExitCode == 0 && loops.All(l => l.Passed);

            if (table)
            {
                var facts = new Table().AddColumns("board fact", "reported by the firmware");
                foreach (string key in new[] { "board", "core", "fpu", "clock_hz", "flash" })
                {
                    facts.AddRow(key, run.Facts.GetValueOrDefault(key, "(missing)"));
                }
                foreach (string bank in run.All("bank"))
                {
                    facts.AddRow("bank", bank);
                }
                AnsiConsole.Write(facts);
                var counter = new Table().AddColumns("calibration loop", "known instructions", "ticks", "measured", "error", "within");
                foreach (var l in loops)
                {
                    counter.AddRow(l.Name, N(l.Expected), N(l.Ticks), N(l.Measured), l.Error.ToString("+0;-0;0", CultureInfo.InvariantCulture),
                        l.Passed ? $"[green]±{l.Tolerance}[/]" : $"[red]±{l.Tolerance} FAILED[/]");
                }
                AnsiConsole.Write(counter);
                AnsiConsole.MarkupLine(ok
                    ? "[green]board boots and its instruction counter is exact.[/]"
                    : "[red]the board did not pass its smoke test.[/]");
                AnsiConsole.MarkupLine("[grey]coming next in this demo: pretrained mbv2-w0.35 → int8 → memory plan → on-device training on MNIST → before/after accuracy (see README).[/]");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["ok"] = ok,
                ["exitCode"] = run.ExitCode,
                ["calibration"] = new JsonArray(loops.Select(l => (JsonNode)new JsonObject
                {
                    ["name"] = l.Name,
                    ["expectedInstructions"] = l.Expected,
                    ["ticks"] = l.Ticks,
                    ["measuredInstructions"] = l.Measured,
                    ["tolerance"] = l.Tolerance,
                    ["passed"] = l.Passed,
                }).ToArray()),
            });
            return ok ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
