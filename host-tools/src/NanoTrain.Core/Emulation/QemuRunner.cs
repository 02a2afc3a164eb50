using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Emulation;

/// <summary>Runs a firmware image on an emulated board in QEMU, with instruction counting on.</summary>
public sealed class QemuRunner
{
    private readonly Func<string, string?> _findProgram;

    /// <param name="findProgram">Resolves the emulator's program name to a path, or null when it is not
    /// installed; defaults to a PATH search.</param>
    public QemuRunner(Func<string, string?>? findProgram = null)
    {
        _findProgram = findProgram ?? ProcessRunner.FindOnPath;
    }

    /// <summary>Default time limit for a firmware run.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The QEMU arguments for a board: its machine, UART on stdio, semihosting (exit status), and
    /// <c>-icount shift=0</c> so that one guest instruction is one virtual nanosecond.
    /// </summary>
    public static IReadOnlyList<string> Arguments(BoardDescriptor board, string elfPath) =>
    [
        "-M", board.Emulator.Machine,
        "-display", "none",
        "-monitor", "none",
        "-serial", "stdio",
        "-semihosting-config", "enable=on,target=native",
        "-icount", "shift=0,sleep=off",
        .. board.Emulator.ExtraArguments,
        "-kernel", elfPath,
    ];

    /// <summary>
    /// Checks that <paramref name="elfPath"/> is a nanoTrain image built for <paramref name="board"/> and that the
    /// board's emulator is installed; returns the emulator's path.
    /// </summary>
    public string Prepare(BoardDescriptor board, string elfPath)
    {
        ArgumentNullException.ThrowIfNull(board);
        var elf = ElfImage.Load(elfPath);
        if (elf.Machine != board.Emulator.ElfMachine)
        {
            string arch = board.Emulator.ElfMachine == ElfImage.MachineRiscV ? "RISC-V" : "ARM";
            throw new NanoTrainException(ErrorKind.BadInput, $"{elfPath}: ELF machine {elf.Machine} is not {arch}; board '{board.Id}' runs {arch} images");
        }
        if (elf.BoardId == null)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{elfPath}: not a nanoTrain firmware image (no .nt_board_info section naming its board)");
        }
        if (elf.BoardId != board.Id)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{elfPath}: built for board '{elf.BoardId}', not '{board.Id}'; rebuild it with `nanotrain build --board {board.Id}`");
        }

        if (!board.Emulator.Program.StartsWith("qemu-system-", StringComparison.Ordinal))
        {
            throw new NanoTrainException(ErrorKind.Usage,
                $"board '{board.Id}' is a real chip's layout that runs in {board.Emulator.Program} ({board.Emulator.Machine}), not QEMU: run it with renode/run-tests.sh or on the board (`nanotrain flash --board {board.Id}`)");
        }
        string? qemu = _findProgram(board.Emulator.Program);
        if (qemu == null)
        {
            throw new NanoTrainException(ErrorKind.Environment,
                $"{board.Emulator.Program} not found on PATH; install it with `apt-get install -y {(board.Emulator.Program == "qemu-system-arm" ? "qemu-system-arm" : "qemu-system-misc")}` (./nanotrain does this when run as root)");
        }
        return qemu;
    }

    /// <summary>
    /// Boots <paramref name="elfPath"/> on <paramref name="board"/> and waits for it to exit.
    /// Refuses an image built for another board; a run longer than the timeout is killed and reported.
    /// </summary>
    /// <param name="board">The board to emulate.</param>
    /// <param name="elfPath">The image; it must have been built for <paramref name="board"/>.</param>
    /// <param name="timeout">Time limit (default <see cref="DefaultTimeout"/>).</param>
    /// <param name="onUartLine">Receives each UART line as it arrives.</param>
    /// <param name="workingDirectory">QEMU's working directory: where the firmware's semihosting file reads
    /// and writes land (default: the current directory).</param>
    public RunResult Run(BoardDescriptor board, string elfPath, TimeSpan? timeout = null, Action<string>? onUartLine = null, string? workingDirectory = null)
    {
        string qemu = Prepare(board, elfPath);
        var arguments = Arguments(board, Path.GetFullPath(elfPath));
        string commandLine = board.Emulator.Program + " " + string.Join(' ', arguments);
        var limit = timeout ?? DefaultTimeout;
        var result = ProcessRunner.Run(qemu, arguments, limit, workingDirectory, onLine: onUartLine);
        if (result.TimedOut)
        {
            string tail = ProcessRunner.LastLine(result.StandardOutput);
            throw new NanoTrainException(ErrorKind.Timeout,
                $"{elfPath}: firmware did not exit within {limit.TotalSeconds:0.#} s on '{board.Id}' (hung?); last UART line: {tail}");
        }
        string qemuError = result.StandardError.Trim();
        if (qemuError.Length > 0 && result.StandardOutput.Length == 0 && result.ExitCode != 0)
        {
            throw new NanoTrainException(ErrorKind.Environment, $"{board.Emulator.Program} failed: {ProcessRunner.LastLine(qemuError)}");
        }
        return new RunResult(board.Id, result.ExitCode, result.StandardOutput, RunResult.ParseFacts(result.StandardOutput), commandLine);
    }
}
