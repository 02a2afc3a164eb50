using System.CommandLine;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain build</c>: a firmware image for a board, with its flash and static SRAM per bank.</summary>
public static class BuildCommand
{
    public static Command Create()
    {
        var board = CommonOptions.Board();
        var app = new Option<string>("--app")
        {
            Description = $"firmware app to build: {string.Join(", ", FirmwareBuilder.Apps)}",
            DefaultValueFactory = _ => "smoke",
        };
        var json = CommonOptions.Json();
        var command = new Command("build", "build a firmware image for a board with arm-none-eabi-gcc (CMake preset per board)");
        command.Options.Add(board);
        command.Options.Add(app);
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var descriptor = BoardCatalog.FromRepo(paths).Get(pr.GetValue(board)!);
            string elfPath = new FirmwareBuilder(paths).Build(descriptor, pr.GetValue(app)!, new ConsoleProgress());
            var elf = ElfImage.Load(elfPath);
            string? target = pr.GetValue(json);
            long flash = elf.FlashBytes(descriptor.Flash);
            if (JsonOutput.WantsTable(target))
            {
                AnsiConsole.MarkupLineInterpolated($"[green]built[/] {elfPath}");
                var table = new Table().AddColumns("region", "used", "size", "use");
                table.AddRow(descriptor.Flash.Name, flash.ToString(System.Globalization.CultureInfo.InvariantCulture), descriptor.Flash.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{100.0 * flash / descriptor.Flash.Size:0.0}%");
                foreach (var bank in descriptor.Banks)
                {
                    long used = elf.BytesIn(bank);
                    table.AddRow(bank.Name, used.ToString(System.Globalization.CultureInfo.InvariantCulture), bank.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{100.0 * used / bank.Size:0.0}%");
                }
                AnsiConsole.Write(table);
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["app"] = pr.GetValue(app),
                ["elf"] = elfPath,
                ["flashBytes"] = flash,
                ["flashSize"] = descriptor.Flash.Size,
                ["banks"] = new JsonArray(descriptor.Banks.Select(b => (JsonNode)new JsonObject
                {
                    ["name"] = b.Name,
                    ["staticBytes"] = elf.BytesIn(b),
                    ["size"] = b.Size,
                }).ToArray()),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
