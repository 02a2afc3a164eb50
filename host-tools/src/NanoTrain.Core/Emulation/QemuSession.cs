using System.Diagnostics;
using System.Globalization;
using System.Text;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Device;

namespace NanoTrain.Core.Emulation;

/// <summary>A file the emulator writes into the board's memory at boot, as a flasher would.</summary>
public sealed record FlashImage(string Path, uint Address);

/// <summary>
/// A firmware image running interactively in QEMU: its UART is the emulator's stdin/stdout, spoken to
/// through a <see cref="DeviceLink"/>. Instruction counting is on (-icount shift=0) as for every run.
/// Disposing stops the emulator.
/// </summary>
public sealed class QemuSession : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private QemuSession(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data != null)
            {
                lock (_stderr)
                {
                    _stderr.Append(e.Data).Append('\n');
                }
            }
        };
        _process.BeginErrorReadLine();
        Link = new DeviceLink(_process.StandardOutput.BaseStream, _process.StandardInput.BaseStream, Diagnostics);
    }

    /// <summary>The protocol link over the board's console UART.</summary>
    public DeviceLink Link { get; }

    /// <summary>The emulator's command line, for reports.</summary>
    public string CommandLine { get; }

    /// <summary>Whether the emulator has stopped (the firmware exited or faulted).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What the emulator printed on stderr, and its exit status once it stopped.</summary>
    public string Diagnostics()
    {
        string text;
        lock (_stderr)
        {
            text = _stderr.ToString();
        }
        return _process.HasExited ? $"{text}emulator exited with status {_process.ExitCode}" : text;
    }

    /// <summary>
    /// Boots <paramref name="elfPath"/> on <paramref name="board"/> with the given images flashed first.
    /// Semihosting files (the weight slots) live in <paramref name="workingDirectory"/>. <paramref name="gdbPort"/>
    /// (when given) opens QEMU's gdbstub on that loopback port (<see cref="GdbRemote"/>).
    /// </summary>
    public static QemuSession Start(BoardDescriptor board, string elfPath, string workingDirectory, IReadOnlyList<FlashImage>? flash = null,
        Func<string, string?>? findProgram = null, int? gdbPort = null)
    {
        ArgumentNullException.ThrowIfNull(board);
        string qemu = new QemuRunner(findProgram).Prepare(board, elfPath);
        var arguments = new List<string>(QemuRunner.Arguments(board, Path.GetFullPath(elfPath)));
        foreach (var image in flash ?? [])
        {
            arguments.Add("-device");
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"loader,file={Path.GetFullPath(image.Path)},addr=0x{image.Address:x8},force-raw=on"));
        }
        if (gdbPort is int port)
        {
            arguments.Add("-gdb");
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"tcp:127.0.0.1:{port}"));
        }
        var info = new ProcessStartInfo(qemu)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new NanoTrainException(ErrorKind.Environment, $"cannot start {qemu}: {ex.Message}", ex);
        }
        return new QemuSession(process, board.Emulator.Program + " " + string.Join(' ', arguments));
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
