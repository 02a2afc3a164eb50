using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain boards</c>: the board descriptors, as a table or JSON.</summary>
public static class BoardsCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("boards", "list the emulated boards: core, SRAM banks, flash, emulator");
        command.Options.Add(json);
        command.SetAction(pr =>
        {
            var boards = BoardCatalog.FromRepo(RepoPaths.Locate()).All();
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("board", "core", "SRAM banks", "flash", "emulator");
                foreach (var b in boards)
                {
                    table.AddRow(
                        b.Id + (b.Id == BoardCatalog.DefaultBoard ? " (default)" : ""),
                        $"{b.Core} {b.Fpu}",
                        string.Join(", ", b.Banks.Select(k => $"{k.Name} {Kib(k.Size)}")) + $" = {Kib(b.TotalSram)}",
                        Kib(b.Flash.Size),
                        $"{b.Emulator.Program} -M {b.Emulator.Machine}");
                }
                AnsiConsole.Write(table);
            }
            JsonOutput.Emit(target, new JsonArray(boards.Select(ToJson).ToArray()));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A board descriptor as JSON (the fields scripts need).</summary>
    public static JsonNode ToJson(BoardDescriptor b) => new JsonObject
    {
        ["id"] = b.Id,
        ["core"] = b.Core,
        ["fpu"] = b.Fpu,
        ["clockHz"] = b.ClockHz,
        ["flash"] = Region(b.Flash),
        ["banks"] = new JsonArray(b.Banks.Select(Region).ToArray()),
        ["sramBytes"] = b.TotalSram,
        ["emulator"] = new JsonObject
        {
            ["program"] = b.Emulator.Program,
            ["machine"] = b.Emulator.Machine,
            ["instructionsPerTick"] = b.Emulator.InstructionsPerTick,
        },
    };

    private static JsonNode Region(MemoryRegion r) => new JsonObject
    {
        ["name"] = r.Name,
        ["base"] = $"0x{r.Base:X8}",
        ["size"] = r.Size,
    };

    internal static string Kib(long bytes) =>
        bytes % 1024 == 0 ? $"{(bytes / 1024).ToString(CultureInfo.InvariantCulture)}K" : $"{bytes.ToString(CultureInfo.InvariantCulture)} B";
}
