using System.CommandLine;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain run</c>: boot a firmware image on an emulated board and return its exit status.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var board = CommonOptions.Board();
        var elf = new Option<string>("--elf")
        {
            Description = "firmware image to run (from `nanotrain build`)",
            Required = true,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds before a firmware that has not exited is stopped and reported as hung",
            DefaultValueFactory = _ => QemuRunner.DefaultTimeout.TotalSeconds,
        };
        var json = CommonOptions.Json();
        var command = new Command("run", "run a firmware image on an emulated board (QEMU, -icount shift=0), show its UART, exit with its status");
        command.Options.Add(board);
        command.Options.Add(elf);
        command.Options.Add(timeout);
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var descriptor = BoardCatalog.FromRepo(RepoPaths.Locate()).Get(pr.GetValue(board)!);
            double seconds = pr.GetValue(timeout);
            if (seconds <= 0)
            {
                throw new NanoTrainException(ErrorKind.Usage, $"--timeout must be positive, got {seconds}");
            }
            string? target = pr.GetValue(json);
            bool table = JsonOutput.WantsTable(target);
            var result = new QemuRunner().Run(
                descriptor, pr.GetValue(elf)!, TimeSpan.FromSeconds(seconds),
                table ? line => Console.Out.WriteLine(line) : null);
            if (table)
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"[grey]{descriptor.Id} ({descriptor.Emulator.Machine}): firmware exited with status[/] {(result.ExitCode == 0 ? "[green]0[/]" : $"[red]{result.ExitCode}[/]")}");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["elf"] = Path.GetFullPath(pr.GetValue(elf)!),
                ["exitCode"] = result.ExitCode,
                ["commandLine"] = result.CommandLine,
                ["facts"] = new JsonObject(result.Facts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["uart"] = result.Uart,
            });
            return result.ExitCode;
        });
        return command;
    }
}
