using System.CommandLine;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain flash</c>: a firmware image (and a plan) onto a real STM32 board through a debug probe.</summary>
public static class FlashCommand
{
    public static Command Create()
    {
        var board = new Option<string>("--board", "-b")
        {
            Description = "board id with a real chip's layout (see `nanotrain boards`): stm32f746-disco, nucleo-h743zi",
            Required = true,
        };
        var elf = new Option<string?>("--elf") { Description = "firmware image (default: the trainer app, built for the board)" };
        var plan = new Option<string?>("--plan") { Description = "a .ntplan to flash into the image's plan slot too; the board starts it at boot" };
        var probe = new Option<string>("--probe")
        {
            Description = "openocd (any ST-LINK/CMSIS-DAP probe OpenOCD knows) or stlink (st-flash); both are Debian packages",
            DefaultValueFactory = _ => "openocd",
        };
        probe.AcceptOnlyFromAmong([.. FlashPlan.Probes]);
        var port = new Option<string?>("--port") { Description = "the board's serial console (e.g. /dev/ttyACM0): checked to exist before flashing" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the exact commands and touch nothing" };
        var json = CommonOptions.Json();
        var command = new Command("flash", "put a firmware image (and a plan) on a real STM32 board with OpenOCD or st-flash; ESP32: see the README");
        foreach (var o in new Option[] { board, elf, plan, probe, port, dryRun, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var catalog = BoardCatalog.FromRepo(paths);
            var descriptor = catalog.Get(pr.GetValue(board)!);
            var flashable = catalog.Ids.Select(catalog.Get).Where(b => b.Probe != null && b.ChipLayout).Select(b => b.Id).ToList();
            FlashPlan.RequireChip(descriptor, pr.GetValue(probe)!, flashable);
            string? portPath = pr.GetValue(port);
            if (portPath != null && !File.Exists(portPath))
            {
                throw new NanoTrainException(ErrorKind.MissingInput, $"{portPath}: no such serial port; is the board plugged in? (ls /dev/ttyACM* /dev/ttyUSB*)");
            }
            if (portPath != null && (File.GetAttributes(portPath) & FileAttributes.Device) == 0 && !portPath.StartsWith("/dev/", StringComparison.Ordinal))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{portPath}: not a serial device");
            }
            bool dry = pr.GetValue(dryRun);
            string? target = pr.GetValue(json);
            var progress = JsonOutput.WantsTable(target) ? (IProgressSink)new ConsoleProgress() : NullProgressSink.Instance;
            string elfPath = pr.GetValue(elf) ?? new FirmwareBuilder(paths).Build(descriptor, "trainer", progress);
            var image = ElfImage.Load(elfPath);
            var planInfo = pr.GetValue(plan) is { } planPath ? PlanFileInfo.Read(planPath) : null;
            string bin = Path.ChangeExtension(Path.GetFullPath(elfPath), ".bin");
            var steps = FlashPlan.Steps(descriptor, image, planInfo, pr.GetValue(probe)!, bin, flashable);
            if (!dry)
            {
                foreach (var step in steps)
                {
                    if (ProcessRunner.FindOnPath(step.Program) == null)
                    {
                        throw new NanoTrainException(ErrorKind.Environment,
                            $"{step.Program} not found on PATH; install it with `apt-get install -y {FlashPlan.PackageOf(step.Program)}`");
                    }
                }
            }
            foreach (var step in steps)
            {
                if (JsonOutput.WantsTable(target))
                {
                    AnsiConsole.MarkupLineInterpolated($"{(dry ? "would run" : "running")}: [bold]{step.CommandLine}[/]");
                }
                if (!dry)
                {
                    var result = ProcessRunner.Run(step.Program, step.Arguments, TimeSpan.FromMinutes(5));
                    if (result.ExitCode != 0 || result.TimedOut)
                    {
                        string why = ProcessRunner.LastLine(result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput);
                        throw new NanoTrainException(ErrorKind.Environment, $"{step.Program} failed (exit {result.ExitCode}): {why}");
                    }
                }
            }
            if (JsonOutput.WantsTable(target) && !dry)
            {
                AnsiConsole.MarkupLineInterpolated($"[green]flashed[/] {elfPath} to {descriptor.Id}{(planInfo != null ? $" with plan {planInfo.Path}" : "")}");
            }
            if (JsonOutput.WantsTable(target) && portPath != null)
            {
                AnsiConsole.MarkupLineInterpolated($"the board's console is {portPath} (115200 baud, 8N1); train on it with `nanotrain run --board {descriptor.Id} --plan PLAN --port {portPath}`");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["board"] = descriptor.Id,
                ["probe"] = pr.GetValue(probe),
                ["elf"] = Path.GetFullPath(elfPath),
                ["plan"] = planInfo != null ? Path.GetFullPath(planInfo.Path) : null,
                ["planAddress"] = planInfo != null && image.Slot != null ? image.Slot.Address : null,
                ["port"] = portPath,
                ["dryRun"] = dry,
                ["steps"] = new JsonArray(steps.Select(s => (JsonNode)new JsonObject
                {
                    ["program"] = s.Program,
                    ["arguments"] = new JsonArray(s.Arguments.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
                    ["commandLine"] = s.CommandLine,
                }).ToArray()),
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
