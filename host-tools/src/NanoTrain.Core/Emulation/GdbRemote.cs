using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Emulation;

/// <summary>
/// A minimal client of the GDB remote serial protocol, enough to drive QEMU's gdbstub (<c>-gdb tcp:…</c>): stop,
/// set and clear breakpoints, continue until one is hit. The power-cut tests use it to stop an emulated board at an
/// exact point (before its N-th weight-store write) and then cut it off.
/// </summary>
public sealed class GdbRemote : IDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private GdbRemote(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Connects to a gdbstub (QEMU stops the machine when a debugger attaches), retrying until it listens.</summary>
    public static GdbRemote Connect(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var client = new TcpClient();
            try
            {
                client.Connect("127.0.0.1", port);
                client.ReceiveTimeout = (int)timeout.TotalMilliseconds;
                var remote = new GdbRemote(client);
                remote.Command("?"); // the stop reason; also proves the stub answers
                return remote;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                client.Dispose();
                Thread.Sleep(50);
            }
            catch (SocketException ex)
            {
                client.Dispose();
                throw new NanoTrainException(ErrorKind.Environment, $"no gdbstub on 127.0.0.1:{port}: {ex.Message}", ex);
            }
        }
    }

    /// <summary>A free TCP port on the loopback interface for a gdbstub to listen on.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Sets a software breakpoint at <paramref name="address"/> (kind 2: a Thumb or compressed instruction).</summary>
    public void Break(uint address) => Expect(Command(string.Create(CultureInfo.InvariantCulture, $"Z0,{address:x},2")), "OK", "set a breakpoint");

    /// <summary>Removes the breakpoint at <paramref name="address"/>.</summary>
    public void Unbreak(uint address) => Expect(Command(string.Create(CultureInfo.InvariantCulture, $"z0,{address:x},2")), "OK", "clear a breakpoint");

    /// <summary>Resumes the machine without waiting for it to stop.</summary>
    public void Continue() => Send("c");

    /// <summary>
    /// Resumes a machine stopped at the breakpoint at <paramref name="address"/>: QEMU would stop there again at once, so
    /// (as GDB does) the breakpoint is lifted for one single step and set again before continuing.
    /// </summary>
    public void ContinueFrom(uint address)
    {
        Unbreak(address);
        Command("s");
        Break(address);
        Send("c");
    }

    /// <summary>Stops a running machine (the protocol's interrupt byte) and waits for its stop reply.</summary>
    public void Interrupt()
    {
        _stream.WriteByte(0x03);
        Receive();
    }

    /// <summary>Writes <paramref name="bytes"/> into the stopped machine's memory at <paramref name="address"/>.</summary>
    public void WriteMemory(uint address, ReadOnlySpan<byte> bytes) =>
        Expect(Command(string.Create(CultureInfo.InvariantCulture, $"M{address:x},{bytes.Length:x}:{Convert.ToHexStringLower(bytes)}")), "OK", "write memory");

    /// <summary>The stop reply ("T05…") when the machine stops (a breakpoint) within <paramref name="timeout"/>, else null.</summary>
    public string? TryWaitStop(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_stream.DataAvailable)
        {
            if (DateTime.UtcNow >= deadline)
            {
                return null;
            }
            Thread.Sleep(5);
        }
        return Receive();
    }

    /// <summary>Sends one packet and returns its reply.</summary>
    public string Command(string packet)
    {
        Send(packet);
        return Receive();
    }

    private static void Expect(string reply, string expected, string what)
    {
        if (reply != expected)
        {
            throw new NanoTrainException(ErrorKind.Environment, $"gdbstub refused to {what}: '{reply}'");
        }
    }

    private void Send(string packet)
    {
        int sum = 0;
        foreach (char c in packet)
        {
            sum = (sum + c) & 0xFF;
        }
        byte[] bytes = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"${packet}#{sum:x2}"));
        _stream.Write(bytes);
        int ack;
        while ((ack = ReadByte()) != '+')
        {
            if (ack != '$')
            {
                throw new NanoTrainException(ErrorKind.Environment, $"gdbstub did not acknowledge '{packet}' (got {ack})");
            }
            PacketBody(); // a stop notice sent before the acknowledgement (QEMU's, when a debugger attaches)
        }
    }

    private string Receive()
    {
        while (ReadByte() != '$')
        {
        }
        return PacketBody();
    }

    /// <summary>The rest of a packet after its '$'; acknowledges it.</summary>
    private string PacketBody()
    {
        int c;
        var text = new StringBuilder();
        while ((c = ReadByte()) != '#')
        {
            text.Append((char)c);
        }
        ReadByte();
        ReadByte(); // checksum: TCP already guarantees the bytes
        _stream.WriteByte((byte)'+');
        return text.ToString();
    }

    private int ReadByte()
    {
        try
        {
            int b = _stream.ReadByte();
            return b >= 0 ? b : throw new NanoTrainException(ErrorKind.Environment, "gdbstub closed the connection");
        }
        catch (IOException ex)
        {
            throw new NanoTrainException(ErrorKind.Timeout, $"gdbstub did not answer: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
    }
}
