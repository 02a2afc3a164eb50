using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Device;

/// <summary>A reply's failure fields (status not ok): the engine's status name, the failing index, the device's detail.</summary>
public sealed record DeviceFailure(string Status, uint Index, byte Section, string Detail)
{
    /// <summary>Reads the error payload of a reply (u32 index, u8 section, ASCII detail).</summary>
    public static DeviceFailure From(Frame reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var p = reply.Payload;
        uint index = p.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(p) : 0;
        byte section = p.Length >= 5 ? p[4] : (byte)0;
        string detail = p.Length > 5 ? Encoding.ASCII.GetString(p, 5, p.Length - 5) : "";
        return new DeviceFailure(DeviceStatus.Name(reply.Status), index, section, detail);
    }

    public override string ToString() => Detail.Length > 0 ? $"{Status}: {Detail}" : Status;
}

/// <summary>Names of nt_status values (firmware/engine/include/nt/status.h), as nt_status_name gives them.</summary>
public static class DeviceStatus
{
    private static readonly string[] Names =
        ["ok", "arg", "magic", "version", "crc", "truncated", "range", "unknown-op", "no-memory", "board", "state", "frame", "sequence", "unsupported", "storage", "fault"];

    public static string Name(byte status) => status < Names.Length ? Names[status] : "unknown";

    /// <summary>Every status the engine names, in code order.</summary>
    public static IReadOnlyList<string> All => Names;
}

/// <summary>
/// Requests and replies over a byte stream to a board running the trainer app: frames out with counting
/// sequence numbers, a reader thread decoding frames in. One request at a time. The reader stops when
/// the stream from the device ends (its owner closes it).
/// </summary>
public sealed class DeviceLink
{
    private readonly Stream _toDevice;
    private readonly BlockingCollection<Frame> _frames = new();
    private readonly Thread _reader;
    private readonly Func<string>? _diagnostics;
    private int _badFrames;

    /// <param name="fromDevice">Bytes the device sends.</param>
    /// <param name="toDevice">Bytes to the device.</param>
    /// <param name="diagnostics">Says what the other side printed when it stops answering (an emulator's stderr).</param>
    public DeviceLink(Stream fromDevice, Stream toDevice, Func<string>? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(fromDevice);
        _toDevice = toDevice ?? throw new ArgumentNullException(nameof(toDevice));
        _diagnostics = diagnostics;
        _reader = new Thread(() => ReadLoop(fromDevice)) { IsBackground = true, Name = "device-link-reader" };
        _reader.Start();
    }

    /// <summary>Time limit for one reply.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Sequence number of the next request.</summary>
    public ushort NextSeq { get; set; }

    /// <summary>Frames from the device that could not be decoded (line noise, a reset mid-frame).</summary>
    public int BadFrames => Volatile.Read(ref _badFrames);

    private void ReadLoop(Stream from)
    {
        var decoder = new FrameDecoder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    var e = decoder.Push(buffer[i]);
                    if (e == DecodeEvent.Ready)
                    {
                        var frame = Frame.Parse(decoder.Body, out _);
                        if (frame != null)
                        {
                            _frames.Add(frame);
                        }
                        else
                        {
                            Interlocked.Increment(ref _badFrames);
                        }
                    }
                    else if (e == DecodeEvent.Bad)
                    {
                        Interlocked.Increment(ref _badFrames);
                    }
                }
            }
        }
        catch (IOException)
        {
            // The other side went away; the waiting request reports it.
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _frames.CompleteAdding();
        }
    }

    /// <summary>Writes raw bytes to the device (for tests that send broken frames).</summary>
    public void SendRaw(ReadOnlySpan<byte> wire)
    {
        try
        {
            _toDevice.Write(wire);
            _toDevice.Flush();
        }
        catch (IOException ex)
        {
            throw Gone("writing to the device failed: " + ex.Message);
        }
    }

    /// <summary>The next frame from the device, or null when none arrives within the time limit.</summary>
    public Frame? Receive(TimeSpan? timeout = null)
    {
        try
        {
            return _frames.TryTake(out var frame, timeout ?? Timeout) ? frame : null;
        }
        catch (InvalidOperationException)
        {
            return null; // completed: the device's stream ended
        }
    }

    /// <summary>
    /// Sends one request with the next sequence number and returns the device's reply to it, whatever its
    /// status; replies to earlier requests still in flight are skipped.
    /// </summary>
    public Frame Exchange(MessageType type, ReadOnlySpan<byte> payload, TimeSpan? timeout = null)
    {
        ushort seq = NextSeq++;
        // A leading delimiter ends whatever partial frame the device may hold (noise, a frame cut by a reset).
        SendRaw([0, .. new Frame((byte)type, 0, seq, payload.ToArray()).ToWire()]);
        return AwaitReply((byte)((byte)type | Frame.ReplyFlag), seq, timeout ?? Timeout, type.ToString().ToUpperInvariant());
    }

    /// <summary>Waits for the reply of the given type and seq (or an error frame with that seq).</summary>
    public Frame AwaitReply(byte replyType, ushort seq, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new NanoTrainException(ErrorKind.Timeout, $"the device did not answer {what} (seq {seq}) within {timeout.TotalSeconds:0.#} s{Tail()}");
            }
            Frame? frame = Receive(left);
            if (frame == null)
            {
                if (_frames.IsCompleted)
                {
                    throw Gone($"the device stopped while waiting for the reply to {what}");
                }
                continue;
            }
            if (frame.Seq == seq && (frame.Type == replyType || frame.Type == (byte)MessageType.Error))
            {
                return frame;
            }
        }
    }

    /// <summary>Like <see cref="Exchange"/>, but a reply whose status is not ok becomes an error naming the request.</summary>
    public Frame Request(MessageType type, ReadOnlySpan<byte> payload, TimeSpan? timeout = null)
    {
        var reply = Exchange(type, payload, timeout);
        if (reply.Status != 0)
        {
            throw new NanoTrainException(ErrorKind.Device, $"the device refused {type.ToString().ToUpperInvariant()}: {DeviceFailure.From(reply)}");
        }
        return reply;
    }

    private NanoTrainException Gone(string message) => new(ErrorKind.Device, message + Tail());

    private string Tail()
    {
        string text = _diagnostics?.Invoke().Trim() ?? "";
        return text.Length == 0 ? "" : $" ({ProcessRunner.LastLine(text)})";
    }
}
