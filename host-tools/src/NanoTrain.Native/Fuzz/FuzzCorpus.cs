using System.Buffers.Binary;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Device;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;
using NanoTrain.Native.Training;

namespace NanoTrain.Native.Fuzz;

/// <summary>
/// Seed inputs for the fuzz targets (tests/fuzz), made by the tool's own planner and protocol code: plans of a small
/// network (12×12, every op kind) for every training method, request frames a host sends, and weight-slot stores.
/// Small seeds keep each execution fast, so a bounded run explores more.
/// </summary>
public static class FuzzCorpus
{
    /// <summary>The fuzz targets, each a folder of tests/fuzz and a program of the fuzz build.</summary>
    public static IReadOnlyList<string> Targets { get; } = ["plan", "frame", "slots"];

    /// <summary>Stem, a plain block, a strided kernel-5 block and a residual block, at 12×12 with 4 classes.</summary>
    public static ModelGraph SmallModel() => new ZooModel("fuzz-small", "fuzz seed model", 1, 12, 4, 8, 3, 2,
        [new BlockSpec(1, 8, 3, 1), new BlockSpec(3, 12, 5, 2), new BlockSpec(2, 12, 3, 1)], null, "(fuzz)").Build();

    /// <summary>Every target's seeds as (file name, bytes).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<(string Name, byte[] Bytes)>> Generate(BoardDescriptor board)
    {
        var plans = Plans(board);
        return new Dictionary<string, IReadOnlyList<(string, byte[])>>
        {
            ["plan"] = plans,
            ["frame"] = Frames(plans[0].Bytes),
            ["slots"] = Stores(),
        };
    }

    /// <summary>The small network planned for every method (fp32 ones at batch 1 and 2), for <paramref name="board"/>.</summary>
    public static List<(string Name, byte[] Bytes)> Plans(BoardDescriptor board)
    {
        var graph = SmallModel();
        var weights = WeightInit.Initialize(graph, 7);
        var rng = new SplitMix64(11);
        const int count = 16;
        var pixels = Enumerable.Range(0, count * DatasetSpec.ImageBytes).Select(_ => (byte)rng.NextBelow(256)).ToArray();
        var images = new LabeledImages("random", graph.Classes, [.. Enumerable.Range(0, count).Select(i => (byte)(i % graph.Classes))], pixels);
        var int8 = Quantizer.Quantize(graph, weights, Calibrator.Calibrate(graph, weights, images, count, null, 1));
        var apu = new AlternantUpdate(SourceStatistics.Measure(int8, images, count, seed: 1));
        var plans = new List<(string, byte[])>
        {
            ("full-batch2.ntplan", PlanWriter.Write(graph, weights, new PlanOptions { Batch = 2, Momentum = true }).Bytes),
        };
        foreach (var method in Enum.GetValues<TrainingMethod>())
        {
            IReadOnlyCollection<string>? sparse = method == TrainingMethod.SparseUpdate
                ? [.. int8.Ops.OfType<QuantizedConv>().TakeLast(2).SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" })]
                : null;
            var plan = TrainingPlanner.Plan(graph, weights, TrainingPlanner.UsesInt8(method) ? int8 : null, method, board,
                apu: TrainingPlanner.Alternates(method) ? apu : null, sparse: sparse, trainConvs: TrainingPlanner.Condenses(method) ? 2 : 0);
            plans.Add(($"{TrainingPlanner.NameOf(method)}.ntplan", plan.Plan.Bytes));
        }
        return plans;
    }

    /// <summary>Request streams as a host sends them (COBS frames back to back), behind the fuzz target's mode byte.</summary>
    public static List<(string Name, byte[] Bytes)> Frames(byte[] plan)
    {
        static byte[] F(MessageType type, ushort seq, byte[] payload) => new Frame((byte)type, 0, seq, payload).ToWire();
        var chunk = new byte[8 + Math.Min(plan.Length, 512)];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk, (uint)plan.Length);
        plan.AsSpan(0, chunk.Length - 8).CopyTo(chunk.AsSpan(8));
        var train = new byte[4 + (12 * 12 * 4) + 1];
        BinaryPrimitives.WriteSingleLittleEndian(train, 0.05f);
        var elastic = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(elastic, 0.5f);
        BinaryPrimitives.WriteUInt16LittleEndian(elastic.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(elastic.AsSpan(6), 1);
        var streams = new List<(string, byte[][])>
        {
            ("hello", [F(MessageType.Hello, 0, [])]),
            ("load-plan", [F(MessageType.Hello, 7, []), F(MessageType.LoadPlan, 8, chunk)]),
            ("train-infer", [F(MessageType.Train, 1, train), F(MessageType.Infer, 2, train[4..^1])]),
            ("stats-save-reset", [F(MessageType.Stats, 3, []), F(MessageType.Save, 4, []), F(MessageType.Reset, 5, [])]),
            ("elastic", [F(MessageType.Elastic, 6, elastic), F(MessageType.Elastic, 7, [])]),
            ("garbage-then-frame", [[0x11, 0x22, 0x00], F(MessageType.Hello, 1, [])]),
        };
        var seeds = new List<(string, byte[])>();
        foreach (var (name, frames) in streams)
        {
            byte[] stream = [.. frames.SelectMany(f => f)];
            seeds.Add((name, [0x00, .. stream]));          // CRCs as sent
            seeds.Add((name + "-crc-fixed", [0x01, .. stream])); // the target recomputes them
        }
        return seeds;
    }

    /// <summary>Stores of two 128-byte slots: blank flash, one copy, two copies, behind the target's mode byte.</summary>
    public static List<(string Name, byte[] Bytes)> Stores()
    {
        const int slot = 128;
        byte[] Store(params (int Slot, uint Sequence, uint Plan, byte[] Data)[] copies)
        {
            var s = Enumerable.Repeat((byte)0xFF, 1 + (2 * slot)).ToArray();
            s[0] = 0;
            foreach (var c in copies)
            {
                var h = s.AsSpan(1 + (c.Slot * slot), slot);
                BinaryPrimitives.WriteUInt32LittleEndian(h, 0x5357544E);
                BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 1);
                BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 32);
                BinaryPrimitives.WriteUInt32LittleEndian(h[8..], c.Sequence);
                BinaryPrimitives.WriteUInt32LittleEndian(h[12..], c.Plan);
                BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)c.Data.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(h[20..], Crc32.Compute(c.Data));
                BinaryPrimitives.WriteUInt32LittleEndian(h[24..], 0);
                BinaryPrimitives.WriteUInt32LittleEndian(h[28..], Crc32.Compute(h[..28]));
                c.Data.CopyTo(h[32..]);
            }
            return s;
        }
        byte[] Data(int n, byte seed) => [.. Enumerable.Range(0, n).Select(i => (byte)(seed + (i * 7)))];
        return
        [
            ("blank", Store()),
            ("one-copy", Store((0, 1, 0xCAFEF00D, Data(40, 1)))),
            ("two-copies", Store((0, 3, 0xCAFEF00D, Data(40, 2)), (1, 4, 0xCAFEF00D, Data(40, 3)))),
            ("two-plans", Store((0, 9, 0x12345678, Data(96, 4)), (1, 2, 0xCAFEF00D, Data(12, 5)))),
        ];
    }
}
