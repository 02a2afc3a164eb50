using System.Buffers.Binary;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Device;

/// <summary>Message types of the device protocol (firmware/engine/include/nt/proto.h).</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    LoadPlan = 0x02,
    Train = 0x03,
    Infer = 0x04,
    Stats = 0x05,
    Save = 0x06,
    Reset = 0x07,
    Elastic = 0x08,
    Limits = 0x09,
    Error = 0x7F,
}

/// <summary>One protocol frame: header fields and payload.</summary>
public sealed record Frame(byte Type, byte Status, ushort Seq, byte[] Payload)
{
    /// <summary>Reply flag in the type byte.</summary>
    public const byte ReplyFlag = 0x80;

    /// <summary>Header bytes before the payload.</summary>
    public const int HeaderBytes = 8;

    /// <summary>Largest payload either side accepts.</summary>
    public const int MaxPayload = 8192;

    /// <summary>CRC bytes after the payload.</summary>
    public const int CrcBytes = 4;

    /// <summary>The body (header, payload, CRC) of this frame, before COBS.</summary>
    public byte[] ToBody()
    {
        var body = new byte[HeaderBytes + Payload.Length + CrcBytes];
        body[0] = Type;
        body[1] = Status;
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(2), Seq);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), checked((ushort)Payload.Length));
        Payload.CopyTo(body, HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(HeaderBytes + Payload.Length), Crc32.Compute(body.AsSpan(0, HeaderBytes + Payload.Length)));
        return body;
    }

    /// <summary>The frame as it goes on the wire: COBS of the body and a 0x00 delimiter.</summary>
    public byte[] ToWire() => Cobs.Encode(ToBody());

    /// <summary>
    /// Parses a decoded body: length, reserved field and CRC checked. Returns null and the engine's status
    /// name in <paramref name="error"/> when the body is not a valid frame.
    /// </summary>
    public static Frame? Parse(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        if (body.Length < HeaderBytes + CrcBytes)
        {
            error = "truncated";
            return null;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(body[4..]);
        if (HeaderBytes + length + CrcBytes > body.Length)
        {
            error = "truncated";
            return null;
        }
        if (HeaderBytes + length + CrcBytes != body.Length || length > MaxPayload || BinaryPrimitives.ReadUInt16LittleEndian(body[6..]) != 0)
        {
            error = "frame";
            return null;
        }
        if (Crc32.Compute(body[..(HeaderBytes + length)]) != BinaryPrimitives.ReadUInt32LittleEndian(body[(HeaderBytes + length)..]))
        {
            error = "crc";
            return null;
        }
        return new Frame(body[0], body[1], BinaryPrimitives.ReadUInt16LittleEndian(body[2..]), body.Slice(HeaderBytes, length).ToArray());
    }
}

/// <summary>Consistent Overhead Byte Stuffing, as the firmware's nt_frame_write / nt_frame_decoder_push do it.</summary>
public static class Cobs
{
    /// <summary>COBS of <paramref name="body"/> followed by the 0x00 delimiter.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> body)
    {
        var output = new List<byte>(body.Length + (body.Length / 254) + 2);
        int start = 0;
        while (true)
        {
            int run = 0;
            while (start + run < body.Length && body[start + run] != 0 && run < 254)
            {
                run++;
            }
            output.Add((byte)(run + 1));
            for (int i = 0; i < run; i++)
            {
                output.Add(body[start + i]);
            }
            start += run;
            if (start == body.Length)
            {
                break;
            }
            if (run < 254)
            {
                start++; // the zero this block stands for
                if (start == body.Length)
                {
                    output.Add(1); // a body ending in zero: one empty block carries it
                    break;
                }
            }
        }
        output.Add(0);
        return [.. output];
    }
}

/// <summary>What <see cref="FrameDecoder.Push"/> saw.</summary>
public enum DecodeEvent
{
    More,
    Ready,
    Bad,
}

/// <summary>Streaming COBS decoder: bytes in, frame bodies out at each delimiter.</summary>
public sealed class FrameDecoder
{
    private readonly byte[] _buffer;
    private int _length;
    private int _left;
    private int _code = 0xFF;
    private bool _overflow;
    private bool _started;

    public FrameDecoder(int capacity = Frame.HeaderBytes + Frame.MaxPayload + Frame.CrcBytes)
    {
        _buffer = new byte[capacity];
    }

    /// <summary>The body completed by the last <see cref="DecodeEvent.Ready"/>.</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(0, _length);

    /// <summary>Feeds one byte; Bad means the frame just ended was not valid COBS or was too long.</summary>
    public DecodeEvent Push(byte value)
    {
        if (value == 0)
        {
            if (!_started)
            {
                return DecodeEvent.More;
            }
            _started = false;
            return _left != 0 || _overflow ? DecodeEvent.Bad : DecodeEvent.Ready;
        }
        if (!_started)
        {
            _started = true;
            _length = 0;
            _overflow = false;
            _left = 0;
            _code = 0xFF;
        }
        if (_left == 0)
        {
            if (_code != 0xFF)
            {
                Append(0);
            }
            _code = value;
            _left = value - 1;
        }
        else
        {
            Append(value);
            _left--;
        }
        return DecodeEvent.More;
    }

    private void Append(byte value)
    {
        if (_length < _buffer.Length)
        {
            _buffer[_length++] = value;
        }
        else
        {
            _overflow = true;
        }
    }
}
