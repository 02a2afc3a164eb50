using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Build;

/// <summary>Builds firmware images and the host engine through the CMake presets of <c>firmware/</c>.</summary>
public sealed class FirmwareBuilder
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    // One CMake build at a time per process: two builds of one preset would race in its folder.
    private static readonly Lock BuildLock = new();
    private readonly RepoPaths _paths;

    public FirmwareBuilder(RepoPaths paths)
    {
        _paths = paths;
    }

    /// <summary>Firmware apps that <c>firmware/app/CMakeLists.txt</c> defines.</summary>
    public static IReadOnlyList<string> Apps { get; } = ["smoke", "hang", "trainer", "trainstep", "kernelbench", "kernelcheck"];

    /// <summary>
    /// The apps a board builds: all of <see cref="Apps"/>, less kernelcheck on a core without optimized kernels
    /// (RISC-V: its kernels are the reference ones, so there is nothing to compare).
    /// </summary>
    public static IReadOnlyList<string> AppsFor(BoardDescriptor board)
    {
        ArgumentNullException.ThrowIfNull(board);
        return board.Emulator.ElfMachine == Emulation.ElfImage.MachineRiscV ? [.. Apps.Where(a => a != "kernelcheck")] : Apps;
    }

    /// <summary>Where the ELF of an app for a board is written.</summary>
    public string ElfPath(string boardId, string app) => Path.Combine(_paths.Build, boardId, "app", app + ".elf");

    /// <summary>
    /// Configures (once) and builds one app for one board; CMake rebuilds only what is stale.
    /// Returns the ELF path. Compiler errors are reported with the compiler's own first error line.
    /// </summary>
    public string Build(BoardDescriptor board, string app, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (!Apps.Contains(app))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"unknown firmware app '{app}'; known apps: {string.Join(", ", Apps)}");
        }
        if (!AppsFor(board).Contains(app))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"board '{board.Id}' has no '{app}' app: its kernels are the reference ones; apps: {string.Join(", ", AppsFor(board))}");
        }
        RequireTool("cmake", "cmake");
        if (board.Emulator.ElfMachine == Emulation.ElfImage.MachineRiscV)
        {
            RequireTool("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf");
        }
        else
        {
            RequireTool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi");
        }
        lock (BuildLock)
        {
            using var processLock = AcquireProcessLock();
            return BuildLocked(board, app, progress);
        }
    }

    /// <summary>
    /// An exclusive lock file in build/, held while CMake runs: test assemblies run in parallel processes
    /// and would otherwise build the same preset folder at once.
    /// </summary>
    private FileStream AcquireProcessLock()
    {
        Directory.CreateDirectory(_paths.Build);
        string path = Path.Combine(_paths.Build, ".build.lock");
        var deadline = DateTime.UtcNow + BuildTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    private string BuildLocked(BoardDescriptor board, string app, IProgressSink? progress)
    {
        Configure(board.Id, progress);
        progress?.Info($"building {app} for {board.Id}");
        // Building every app (there are few and they are small) lets the generated build notice an
        // app added to CMakeLists.txt since it was configured; asking for one target would not.
        RunCMake(["--build", "--preset", board.Id], $"building firmware for {board.Id}");
        string elf = ElfPath(board.Id, app);
        if (!File.Exists(elf))
        {
            throw new NanoTrainException(ErrorKind.Environment, $"the build reported success but {elf} does not exist");
        }
        return elf;
    }

    /// <summary>Builds the host engine (shared library) and its C tests; returns the build folder.</summary>
    public string BuildHost(IProgressSink? progress = null) => BuildPreset("host", "the host engine", progress);

    /// <summary>Configures (once) and builds a host preset of firmware/CMakePresets.json; returns its build folder.</summary>
    public string BuildPreset(string preset, string what, IProgressSink? progress = null)
    {
        RequireTool("cmake", "cmake");
        lock (BuildLock)
        {
            using var processLock = AcquireProcessLock();
            Configure(preset, progress);
            progress?.Info($"building {what}");
            RunCMake(["--build", "--preset", preset], $"building {what}");
        }
        return Path.Combine(_paths.Build, preset);
    }

    private void Configure(string preset, IProgressSink? progress)
    {
        if (File.Exists(Path.Combine(_paths.Build, preset, "CMakeCache.txt")))
        {
            return; // the generated build re-runs CMake itself when a CMake file or board.json changes
        }
        progress?.Info($"configuring CMake preset {preset}");
        RunCMake(["--preset", preset], $"configuring preset {preset}");
    }

    private void RunCMake(IReadOnlyList<string> arguments, string what)
    {
        var result = ProcessRunner.Run("cmake", arguments, BuildTimeout, workingDirectory: _paths.Firmware);
        if (result.TimedOut)
        {
            throw new NanoTrainException(ErrorKind.Timeout, $"{what}: cmake did not finish within {BuildTimeout.TotalMinutes} minutes");
        }
        if (result.ExitCode != 0)
        {
            string all = result.StandardOutput + result.StandardError;
            string firstError = all.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))?.Trim()
                ?? ProcessRunner.LastLine(all);
            throw new NanoTrainException(ErrorKind.Environment, $"{what} failed: {firstError}");
        }
    }

    private static void RequireTool(string program, string debianPackages)
    {
        if (ProcessRunner.FindOnPath(program) == null)
        {
            throw new NanoTrainException(ErrorKind.Environment,
                $"{program} not found on PATH; install it with `apt-get install -y {debianPackages}` (./nanotrain does this when run as root)");
        }
    }
}
