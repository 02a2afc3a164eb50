using System.Globalization;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;

namespace NanoTrain.Core.Build;

/// <summary>One program run of a flashing: the program and its arguments.</summary>
public sealed record FlashStep(string Program, IReadOnlyList<string> Arguments)
{
    /// <summary>The step as a shell command line (arguments with spaces or quotes quoted).</summary>
    public string CommandLine => string.Join(' ', new[] { Program }.Concat(Arguments.Select(Quote)));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>
/// What putting a firmware image (and optionally a plan in its plan slot) on a real STM32 board takes, with OpenOCD or
/// the stlink tools (both Debian packages): checked against the board's descriptor, the image and the plan before any
/// probe is touched.
/// </summary>
public static class FlashPlan
{
    /// <summary>The probes a flashing can use.</summary>
    public static readonly IReadOnlyList<string> Probes = ["openocd", "stlink"];

    /// <summary>
    /// The steps that flash <paramref name="elf"/> (and <paramref name="plan"/> into the image's plan slot) on
    /// <paramref name="board"/> with <paramref name="probe"/>; <paramref name="binPath"/> is where the stlink path writes
    /// the raw image. Errors name the board, file or field at fault.
    /// </summary>
    public static IReadOnlyList<FlashStep> Steps(BoardDescriptor board, ElfImage elf, PlanFileInfo? plan, string probe, string binPath,
        IReadOnlyList<string> flashableBoards)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(elf);
        ArgumentNullException.ThrowIfNull(flashableBoards);
        RequireChip(board, probe, flashableBoards);
        var probeInfo = board.Probe!;
        if (elf.Machine != ElfImage.MachineArm)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{elf.Path}: not an ARM image (e_machine {elf.Machine})");
        }
        if (elf.BoardId != board.Id)
        {
            throw new NanoTrainException(ErrorKind.BadInput,
                $"{elf.Path}: built for board '{elf.BoardId ?? "(none)"}', not '{board.Id}'; build it with `nanotrain build --board {board.Id} --app trainer`");
        }
        uint planAddress = 0;
        if (plan != null)
        {
            if (plan.Board.Length > 0 && plan.Board != board.Id)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{plan.Path}: the plan is for board '{plan.Board}', not '{board.Id}'; make one with `nanotrain plan --board {board.Id}`");
            }
            var slot = elf.Slot ?? throw new NanoTrainException(ErrorKind.BadInput, $"{elf.Path}: the image has no plan slot (flash the trainer app to take a plan)");
            if (plan.Bytes.Length > slot.Bytes)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{plan.Path}: the plan is {plan.Bytes.Length:N0} B; the image's plan slot holds {slot.Bytes:N0} B");
            }
            planAddress = slot.Address;
        }
        string image = Path.GetFullPath(elf.Path);
        string? planFile = plan != null ? Path.GetFullPath(plan.Path) : null;
        string Hex(uint address) => "0x" + address.ToString("x8", CultureInfo.InvariantCulture);
        if (probe == "openocd")
        {
            var args = new List<string>
            {
                "-f", probeInfo.OpenOcdInterface, "-f", probeInfo.OpenOcdTarget,
                "-c", "init", "-c", "reset halt",
                "-c", $"flash write_image erase {image}", "-c", $"verify_image {image}",
            };
            if (planFile != null)
            {
                args.AddRange(["-c", $"flash write_image erase {planFile} {Hex(planAddress)} bin", "-c", $"verify_image {planFile} {Hex(planAddress)} bin"]);
            }
            args.AddRange(["-c", "reset run", "-c", "shutdown"]);
            return [new FlashStep("openocd", args)];
        }
        string bin = Path.GetFullPath(binPath);
        var steps = new List<FlashStep> { new("arm-none-eabi-objcopy", ["-O", "binary", image, bin]) };
        if (planFile == null)
        {
            steps.Add(new FlashStep("st-flash", ["--reset", "write", bin, Hex(board.Flash.Base)]));
        }
        else
        {
            steps.Add(new FlashStep("st-flash", ["write", bin, Hex(board.Flash.Base)]));
            steps.Add(new FlashStep("st-flash", ["write", planFile, Hex(planAddress)]));
            steps.Add(new FlashStep("st-flash", ["reset"]));
        }
        return steps;
    }

    /// <summary>Refuses an unknown probe, and a board whose images do not run on a chip (an emulator layout), naming the ones that do.</summary>
    public static void RequireChip(BoardDescriptor board, string probe, IReadOnlyList<string> flashableBoards)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(flashableBoards);
        if (!Probes.Contains(probe))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"unknown probe '{probe}'; probes: {string.Join(", ", Probes)}");
        }
        if (board.Probe == null || !board.ChipLayout)
        {
            throw new NanoTrainException(ErrorKind.Usage,
                $"board '{board.Id}' is an emulator layout (its flash or banks sit where QEMU has RAM, not where the chip has them), so its image does not run on a chip; " +
                $"boards with a real chip's layout: {string.Join(", ", flashableBoards)}");
        }
    }

    /// <summary>The Debian package that provides a step's program.</summary>
    public static string PackageOf(string program) => program switch
    {
        "openocd" => "openocd",
        "st-flash" => "stlink-tools",
        _ => "gcc-arm-none-eabi",
    };
}
