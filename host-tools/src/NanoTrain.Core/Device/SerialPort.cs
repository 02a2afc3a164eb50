using NanoTrain.Core.Common;

namespace NanoTrain.Core.Device;

/// <summary>
/// A real board's USB-serial port (a tty device path), set to raw 8N1 at the given baud rate with
/// <c>stty</c> (no serial library is used), spoken to through a <see cref="DeviceLink"/>.
/// </summary>
public sealed class SerialPort : IDisposable
{
    private readonly FileStream _read;
    private readonly FileStream _write;

    private SerialPort(string path, FileStream read, FileStream write)
    {
        Path = path;
        _read = read;
        _write = write;
        Link = new DeviceLink(_read, _write);
    }

    /// <summary>The device path.</summary>
    public string Path { get; }

    /// <summary>The protocol link over the port.</summary>
    public DeviceLink Link { get; }

    /// <summary>The stty arguments that make the port a raw 8N1 byte pipe at <paramref name="baud"/>.</summary>
    public static IReadOnlyList<string> SttyArguments(string path, int baud) =>
        ["-F", path, baud.ToString(System.Globalization.CultureInfo.InvariantCulture), "raw", "-echo", "-echoe", "-echok", "cs8", "-cstopb", "-parenb", "-crtscts", "clocal", "cread"];

    /// <summary>Configures and opens the port; a missing device or a failing stty is a one-line error naming the port.</summary>
    public static SerialPort Open(string path, int baud = 115200)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: no such serial device (is the board plugged in?)");
        }
        string stty = ProcessRunner.FindOnPath("stty") ?? throw new NanoTrainException(ErrorKind.Environment, "stty not found on PATH (coreutils)");
        var result = ProcessRunner.Run(stty, SttyArguments(path, baud), TimeSpan.FromSeconds(10));
        if (result.ExitCode != 0)
        {
            throw new NanoTrainException(ErrorKind.Environment, $"{path}: stty failed: {ProcessRunner.LastLine(result.StandardError)}");
        }
        var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var write = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        return new SerialPort(path, read, write);
    }

    public void Dispose()
    {
        _write.Dispose();
        _read.Dispose();
    }
}
