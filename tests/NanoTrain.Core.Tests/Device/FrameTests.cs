using NanoTrain.Core.Common;
using NanoTrain.Core.Device;

namespace NanoTrain.Core.Tests.Device;

public class FrameTests
{
    private static byte[] Decode(byte[] wire, out int bad)
    {
        var decoder = new FrameDecoder();
        byte[]? body = null;
        bad = 0;
        foreach (byte b in wire)
        {
            var e = decoder.Push(b);
            if (e == DecodeEvent.Ready)
            {
                body = decoder.Body.ToArray();
            }
            bad += e == DecodeEvent.Bad ? 1 : 0;
        }
        return body ?? throw new InvalidOperationException("no frame decoded");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(253)]
    [InlineData(254)]
    [InlineData(255)]
    [InlineData(508)]
    [InlineData(3000)]
    public void CobsRoundTripsBodiesOfEveryShape(int length)
    {
        var rng = new SplitMix64((ulong)length + 1);
        foreach (int zeroEvery in new[] { 0, 1, 3, 300 })
        {
            var body = new byte[length];
            for (int i = 0; i < length; i++)
            {
                body[i] = zeroEvery != 0 && rng.NextBelow((ulong)zeroEvery) == 0 ? (byte)0 : (byte)(1 + rng.NextBelow(255));
            }
            byte[] wire = Cobs.Encode(body);
            Assert.Equal(0, wire[^1]);
            Assert.DoesNotContain((byte)0, wire[..^1]);
            Assert.True(wire.Length <= length + (length / 254) + 2);
            Assert.Equal(body, Decode(wire, out int bad));
            Assert.Equal(0, bad);
        }
    }

    [Fact]
    public void SealedFramesParseAndAnyFlippedBitIsCaught()
    {
        var frame = new Frame((byte)MessageType.Train, 0, 513, [0, 1, 2, 0, 0, 255]);
        byte[] body = frame.ToBody();
        var parsed = Frame.Parse(body, out string? error);
        Assert.Null(error);
        Assert.Equal(frame.Type, parsed!.Type);
        Assert.Equal(frame.Seq, parsed.Seq);
        Assert.Equal(frame.Payload, parsed.Payload);
        for (int i = 0; i < body.Length * 8; i++)
        {
            body[i / 8] ^= (byte)(1 << (i % 8));
            Assert.Null(Frame.Parse(body, out error));
            Assert.NotNull(error);
            body[i / 8] ^= (byte)(1 << (i % 8));
        }
        for (int n = 0; n < body.Length; n++)
        {
            Assert.Null(Frame.Parse(body.AsSpan(0, n), out error));
        }
    }

    [Fact]
    public void TheDecoderRecoversAfterGarbageAndOversizedFrames()
    {
        byte[] good = new Frame((byte)MessageType.Hello, 0, 1, []).ToWire();
        byte[] wire = [0, 0, 5, 0x11, 0, .. Enumerable.Repeat((byte)1, 9000), 0, .. good];
        Assert.Equal(new Frame((byte)MessageType.Hello, 0, 1, []).ToBody(), Decode(wire, out int bad));
        Assert.Equal(2, bad);
    }
}
