using System.Buffers.Binary;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Device;

/// <summary>A bank as the device reports it: its place, size and the bytes the image leaves free.</summary>
public sealed record DeviceBank(string Name, uint Base, uint Size, uint Free);

/// <summary>The device's HELLO reply.</summary>
public sealed record DeviceHello(
    int ProtocolVersion, int MaxPayload, int FirmwareVersion, int PlanFormatVersion, string Board, uint ClockHz, uint FlashBytes, uint FlashUsed,
    uint PlanSlotBytes, IReadOnlyList<DeviceBank> Banks, bool PlanRunning, uint PlanCrc, uint PlanBytes, uint RestoredSequence,
    string BootPlanStatus, string BootPlanDetail);

/// <summary>Instructions of one training step by phase, as the device counted them.</summary>
public sealed record StepInstructions(long Forward, long Loss, long BackwardDx, long BackwardDw, long Update)
{
    public long Total => Forward + Loss + BackwardDx + BackwardDw + Update;
}

/// <summary>The device's TRAIN reply.</summary>
public sealed record TrainReply(float Loss, StepInstructions Instructions, byte[] Predictions);

/// <summary>The device's INFER reply.</summary>
public sealed record InferReply(long ForwardInstructions, byte[] Predictions, float[] Logits);

/// <summary>A bank's arena use as measured on the device.</summary>
public sealed record BankUse(string Name, uint Free, uint Planned, uint HighWater);

/// <summary>Elastic selection's state on the device (NT_MSG_ELASTIC), in instructions.</summary>
/// <param name="Selected">Per candidate, depth order from the loss: in the current selection.</param>
public sealed record DeviceElastic(bool Running, bool Calibrating, int Candidates, int Chosen, uint Steps, uint Selections, long Full, long Fixed,
    long Budget, long Predicted, long Overhead, bool[] Selected)
{
    /// <summary>Selections made early, on a loss plateau (counted in <see cref="Selections"/> too).</summary>
    public int Plateaus { get; init; }
}

/// <summary>Elastic selection's costs as measured on a board: per candidate (depth order) t_dw and t_dy, a full step and
/// its forward and loss, in instructions. A host run of the same plan can choose with them (nt_elastic_use_costs),
/// in the board's own counter ticks (<see cref="InTicks"/>).</summary>
public sealed record ElasticCosts(IReadOnlyList<long> Dw, IReadOnlyList<long> Dy, long Full, long Fixed)
{
    /// <summary>
    /// The costs in the counter ticks the board chose with (instructions × den / num, rounded to the nearest tick): the
    /// solver rounds each cost up to a unit of the budget, so a host choosing with instructions instead rounds
    /// differently and may fit a tensor the board did not.
    /// </summary>
    public ElasticCosts InTicks(Boards.EmulatorInfo emulator)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        long Ticks(long instructions) =>
            (long)Math.Round((double)instructions * emulator.InstructionsPerTickDen / emulator.InstructionsPerTickNum);
        return new ElasticCosts([.. Dw.Select(Ticks)], [.. Dy.Select(Ticks)], Ticks(Full), Ticks(Fixed));
    }
}

/// <summary>The device's STATS reply.</summary>
public sealed record DeviceStats(uint Steps, uint StackBytes, uint StackHighWater, IReadOnlyList<BankUse> Banks);

/// <summary>Typed requests of the trainer app's protocol (nt/proto.h) over a <see cref="DeviceLink"/>.</summary>
public sealed class TrainerClient
{
    public TrainerClient(DeviceLink link)
    {
        Link = link ?? throw new ArgumentNullException(nameof(link));
    }

    public DeviceLink Link { get; }

    /// <summary>Bytes of plan per LOAD_PLAN frame.</summary>
    public const int PlanChunkBytes = 4096;

    /// <summary>
    /// HELLO: restarts the sequence count and returns the board's facts. Repeated every second until
    /// <paramref name="timeout"/> (default: the link's), since bytes sent while a board boots, before its UART
    /// is enabled, are lost.
    /// </summary>
    public DeviceHello Hello(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Link.Timeout);
        Link.NextSeq = 1;
        byte[] p;
        while (true)
        {
            var attempt = TimeSpan.FromSeconds(1);
            bool last = DateTime.UtcNow + attempt >= deadline;
            try
            {
                p = Link.Request(MessageType.Hello, [], last ? deadline - DateTime.UtcNow : attempt).Payload;
                break;
            }
            catch (NanoTrainException e) when (e.Kind == ErrorKind.Timeout && !last)
            {
                // Not up yet: say hello again.
            }
        }
        var r = new Reader(p, "HELLO");
        int version = r.U16();
        int maxPayload = r.U16();
        int firmware = r.U16();
        int planFormat = r.U16();
        string board = r.Name(16);
        uint clock = r.U32();
        uint flash = r.U32();
        uint flashUsed = r.U32();
        uint slot = r.U32();
        int count = r.U8();
        var banks = new List<DeviceBank>();
        for (int i = 0; i < count; i++)
        {
            banks.Add(new DeviceBank(r.Name(8), r.U32(), r.U32(), r.U32()));
        }
        bool running = r.U8() != 0;
        uint crc = r.U32();
        uint bytes = r.U32();
        uint restored = r.U32();
        string bootStatus = DeviceStatus.Name(r.U8());
        string detail = r.Rest();
        return new DeviceHello(version, maxPayload, firmware, planFormat, board, clock, flash, flashUsed, slot, banks, running, crc, bytes, restored, bootStatus, detail);
    }

    /// <summary>LOAD_PLAN in chunks; the device checks and starts the plan after the last one.</summary>
    public void LoadPlan(byte[] plan, IProgressSink? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        for (int offset = 0; offset < plan.Length || offset == 0; offset += PlanChunkBytes)
        {
            int n = Math.Min(PlanChunkBytes, plan.Length - offset);
            var payload = new byte[8 + n];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)plan.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)offset);
            plan.AsSpan(offset, n).CopyTo(payload.AsSpan(8));
            Link.Request(MessageType.LoadPlan, payload);
            progress?.Progress("loading the plan over the UART", offset + n, plan.Length);
        }
    }

    /// <summary>The TRAIN request's payload: f32 learning rate, the input tensor's bytes, the labels.</summary>
    public static byte[] TrainPayload(float lr, ReadOnlySpan<byte> input, ReadOnlySpan<byte> labels)
    {
        var payload = new byte[4 + input.Length + labels.Length];
        BinaryPrimitives.WriteSingleLittleEndian(payload, lr);
        input.CopyTo(payload.AsSpan(4));
        labels.CopyTo(payload.AsSpan(4 + input.Length));
        return payload;
    }

    /// <summary>One training step on the device (forward, loss, backward with fused updates).</summary>
    public TrainReply Train(float lr, ReadOnlySpan<byte> input, ReadOnlySpan<byte> labels)
    {
        var p = Link.Request(MessageType.Train, TrainPayload(lr, input, labels)).Payload;
        var r = new Reader(p, "TRAIN");
        float loss = r.F32();
        var instructions = new StepInstructions(r.I64(), r.I64(), r.I64(), r.I64(), r.I64());
        return new TrainReply(loss, instructions, r.RestBytes());
    }

    /// <summary>A forward pass on the device: predictions and logits of each sample of the batch.</summary>
    public InferReply Infer(ReadOnlySpan<byte> input, int batch)
    {
        var p = Link.Request(MessageType.Infer, input).Payload;
        var r = new Reader(p, "INFER");
        long instructions = r.I64();
        byte[] predictions = r.Bytes(batch);
        var rest = r.RestBytes();
        var logits = new float[rest.Length / 4];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = BinaryPrimitives.ReadSingleLittleEndian(rest.AsSpan(4 * i));
        }
        return new InferReply(instructions, predictions, logits);
    }

    /// <summary>Training steps, stack and per-bank arena high-water marks.</summary>
    public DeviceStats Stats()
    {
        var p = Link.Request(MessageType.Stats, []).Payload;
        var r = new Reader(p, "STATS");
        uint steps = r.U32();
        uint stack = r.U32();
        uint stackHigh = r.U32();
        int count = r.U8();
        var banks = new List<BankUse>();
        for (int i = 0; i < count; i++)
        {
            banks.Add(new BankUse(r.Name(8), r.U32(), r.U32(), r.U32()));
        }
        return new DeviceStats(steps, stack, stackHigh, banks);
    }

    /// <summary>Starts elastic selection (rho in (0, 1]) or stops it (rho 0): a full step's share, steps between selections, calibration steps.</summary>
    public DeviceElastic Elastic(float rho, int window, int calibration)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(payload, rho);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), checked((ushort)window));
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(6), checked((ushort)calibration));
        return ElasticReply(Link.Request(MessageType.Elastic, payload).Payload);
    }

    /// <summary>Elastic selection's state.</summary>
    public DeviceElastic ElasticStatus() => ElasticReply(Link.Request(MessageType.Elastic, []).Payload);

    /// <summary>Replaces the current selection (after calibration) with the given candidates.</summary>
    public DeviceElastic SetElasticSelection(IReadOnlyList<bool> selected)
    {
        var payload = new byte[8 + selected.Count];
        BinaryPrimitives.WriteSingleLittleEndian(payload, -1f);
        for (int i = 0; i < selected.Count; i++)
        {
            payload[8 + i] = selected[i] ? (byte)1 : (byte)0;
        }
        return ElasticReply(Link.Request(MessageType.Elastic, payload).Payload);
    }

    /// <summary>Every candidate's costs as the board measured them in calibration (instructions), page by page.</summary>
    public ElasticCosts ElasticCosts()
    {
        var dw = new List<long>();
        var dy = new List<long>();
        long full = 0, fixedPart = 0;
        while (true)
        {
            var payload = new byte[8];
            BinaryPrimitives.WriteSingleLittleEndian(payload, -2f);
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), checked((ushort)dw.Count));
            var r = new Reader(Link.Request(MessageType.Elastic, payload).Payload, "ELASTIC costs");
            r.U16();
            int count = r.U16();
            (full, fixedPart) = (r.I64(), r.I64());
            for (int i = 0; i < count; i++)
            {
                dw.Add(r.U32());
                dy.Add(r.U32());
            }
            if (count == 0)
            {
                return new ElasticCosts(dw, dy, full, fixedPart);
            }
        }
    }

    private static DeviceElastic ElasticReply(byte[] p)
    {
        var r = new Reader(p, "ELASTIC");
        bool running = r.U8() != 0, calibrating = r.U8() != 0;
        int candidates = r.U16(), chosen = r.U16(), plateaus = r.U16();
        uint steps = r.U32(), selections = r.U32();
        long full = r.I64(), fixedPart = r.I64(), budget = r.I64(), predicted = r.I64(), overhead = r.I64();
        var selected = r.Bytes(running ? candidates : 0).Select(b => b != 0).ToArray();
        return new DeviceElastic(running, calibrating, candidates, chosen, steps, selections, full, fixedPart, budget, predicted, overhead, selected)
        {
            Plateaus = plateaus,
        };
    }

    /// <summary>Saves the trainable tensors to the older weight slot; returns (slot, sequence).</summary>
    public (uint Slot, uint Sequence) Save()
    {
        var r = new Reader(Link.Request(MessageType.Save, []).Payload, "SAVE");
        return (r.U32(), r.U32());
    }

    /// <summary>
    /// Sets the budget of each TRAIN or INFER step in counter ticks (0: the firmware's default); returns the budget in
    /// force. A step past it is a fault: the device answers with status "fault" and restarts from its last saved weights.
    /// </summary>
    public ulong SetStepBudget(ulong ticks)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, ticks);
        return (ulong)new Reader(Link.Request(MessageType.Limits, payload).Payload, "LIMITS").I64();
    }

    /// <summary>Resets the board and waits until it answers HELLO again.</summary>
    public DeviceHello Reset(TimeSpan? bootTimeout = null)
    {
        Link.Request(MessageType.Reset, []);
        return Hello(bootTimeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>Little-endian fields of a reply payload; a short payload is a device error naming the message.</summary>
    private sealed class Reader(byte[] payload, string what)
    {
        private int _at;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (_at + n > payload.Length)
            {
                throw new NanoTrainException(ErrorKind.Device, $"the device's {what} reply is {payload.Length} bytes, too short for its fields");
            }
            var span = payload.AsSpan(_at, n);
            _at += n;
            return span;
        }

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public float F32() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        public byte[] Bytes(int n) => Take(n).ToArray();

        public string Name(int width)
        {
            var raw = Take(width);
            int end = raw.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? raw : raw[..end]);
        }

        public byte[] RestBytes() => Take(payload.Length - _at).ToArray();

        public string Rest() => Encoding.ASCII.GetString(RestBytes());
    }
}
