using System.Buffers.Binary;
using NanoTrain.Core.Common;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Tests;

/// <summary>The engine's plan loader refuses bad plans and names the failing entry.</summary>
public class PlanLoaderTests
{
    private static PlanImage Plan()
    {
        var g = TestModels.Tiny();
        return PlanWriter.Write(g, TestModels.Weights(g, 1), new PlanOptions { Batch = 2 });
    }

    private static string Reject(byte[] bytes, PlanImage plan)
    {
        var ex = Assert.Throws<NanoTrainException>(() => new NativeExecutor(bytes, plan.SpaceSizes).Dispose());
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        return ex.Message;
    }

    private static void Recrc(byte[] bytes) =>
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.Crc), Crc32.Compute(bytes.AsSpan(16)));

    [Fact]
    public void AValidPlanLoads()
    {
        var plan = Plan();
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        Assert.Equal(PlanFormat.Magic, BinaryPrimitives.ReadUInt32LittleEndian(plan.Bytes));
    }

    [Fact]
    public void WrongCrcIsRejected()
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        bytes[^1] ^= 0x01;
        Assert.Equal("plan rejected: crc at header 0", Reject(bytes, plan));
    }

    [Fact]
    public void OutOfRangeOffsetIsRejectedWithTheTensorIndex()
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        int tensors = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.TensorsOffset));
        int victim = plan.Index["b2.dw.conv"];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(tensors + (victim * PlanFormat.TensorBytes) + 4), 0x7FFFFFF0);
        Recrc(bytes);
        Assert.Equal($"plan rejected: range at tensor {victim}", Reject(bytes, plan));
    }

    [Fact]
    public void UnknownOpIdIsRejectedWithTheOpIndex()
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        int ops = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.OpsOffset));
        bytes[ops + (3 * PlanFormat.OpBytes)] = 42;
        Recrc(bytes);
        Assert.Equal("plan rejected: unknown-op at op 3", Reject(bytes, plan));
    }

    [Theory]
    [InlineData(0, "magic at header 0")]
    [InlineData(4, "version at header 0")]
    public void BadHeaderFieldsAreRejected(int offset, string expected)
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        bytes[offset] ^= 0x10;
        Assert.Equal("plan rejected: " + expected, Reject(bytes, plan));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(2000f)]
    public void ABadInt8LearningRateScaleIsRejected(float scale)
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        int train = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(52));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(train + 12), scale);
        Recrc(bytes);
        Assert.Equal("plan rejected: range at train 0", Reject(bytes, plan));
    }

    /// <summary>gc-apu's drift ops and the convs' links to them are checked like every other op.</summary>
    [Fact]
    public void AnExactInt8ConvWhoseTrainedWeightsWouldReadAnOverwrittenInputIsRejected()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var trained = model.Ops.OfType<Core.Quantization.QuantizedConv>().Select(c => c.Name + ".w.s8").ToList();
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.SparseUpdate, board: null, sparse: trained).Plan;
        var bytes = (byte[])plan.Bytes.Clone();
        int ops = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.OpsOffset));
        int tensors = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.TensorsOffset));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(36));
        Span<byte> Tensor(int index) => bytes.AsSpan(tensors + (index * PlanFormat.TensorBytes));
        int Operand(int op, int at) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ops + (op * PlanFormat.OpBytes) + at));
        // A conv whose output is no larger than its input: its output moved over its input (as if written in place).
        int victim = Enumerable.Range(0, count).Last(i => bytes[ops + (i * PlanFormat.OpBytes)] == PlanFormat.OpConv2dS8 &&
            BinaryPrimitives.ReadUInt32LittleEndian(Tensor(Operand(i, 16))[8..]) <= BinaryPrimitives.ReadUInt32LittleEndian(Tensor(Operand(i, 4))[8..]));
        var x = Tensor(Operand(victim, 4)).ToArray();
        var y = Tensor(Operand(victim, 16));
        y[1] = x[1];
        x.AsSpan(4, 4).CopyTo(y[4..]);
        Recrc(bytes);
        Assert.Equal($"plan rejected: range at op {victim}", Reject(bytes, plan));
    }

    [Fact]
    public void ACondensingInt8ConvWithoutItsActiveCountsIsRejected()
    {
        // Without them the output gradient would pass its clamp unchecked; every condensing conv that trains keeps them.
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        int convs = model.Ops.OfType<Core.Quantization.QuantizedConv>().Count();
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.Gc, board: null, trainConvs: convs).Plan;
        using (new NativeExecutor(plan.Bytes, plan.SpaceSizes))
        {
        }
        var bytes = (byte[])plan.Bytes.Clone();
        int ops = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.OpsOffset));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(36));
        int victim = Enumerable.Range(0, count).Last(i => bytes[ops + (i * PlanFormat.OpBytes)] == PlanFormat.OpConv2dS8);
        var saved1 = bytes.AsSpan(ops + (victim * PlanFormat.OpBytes) + 22);
        Assert.NotEqual(PlanFormat.None, BinaryPrimitives.ReadUInt16LittleEndian(saved1));
        BinaryPrimitives.WriteUInt16LittleEndian(saved1, PlanFormat.None);
        Recrc(bytes);
        Assert.Equal($"plan rejected: range at op {victim}", Reject(bytes, plan));
    }

    [Theory]
    [InlineData("horizon")]
    [InlineData("count")]
    [InlineData("select")]
    [InlineData("source")]
    public void ABadAlternantUpdateIsRejectedWithTheOpIndex(string field)
    {
        var (model, weights, images) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        int convs = model.Ops.OfType<Core.Quantization.QuantizedConv>().Count();
        var apu = new AlternantUpdate(Training.SourceStatistics.Measure(model, images, 16, seed: 1));
        var plan = TrainingPlanner.Plan(g, weights, model, TrainingMethod.GcApu, board: null, trainConvs: convs, apu: apu).Plan;
        var bytes = (byte[])plan.Bytes.Clone();
        int ops = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.OpsOffset));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(36));
        int drift = Enumerable.Range(0, count).Last(i => bytes[ops + (i * PlanFormat.OpBytes)] == PlanFormat.OpFilterDrift);
        var op = bytes.AsSpan(ops + (drift * PlanFormat.OpBytes));
        int victim = drift;
        switch (field)
        {
            case "horizon":
                BinaryPrimitives.WriteInt32LittleEndian(op[(24 + 8)..], 255); // a filter could wait longer than the ages count
                break;
            case "count":
                BinaryPrimitives.WriteInt32LittleEndian(op[(24 + 4)..], 0);
                break;
            case "select":
                // The conv before it points at the drift op's scores instead of its ages.
                victim = drift - 1;
                var conv = bytes.AsSpan(ops + (victim * PlanFormat.OpBytes));
                Assert.Equal(PlanFormat.OpConv2dS8, conv[0]);
                BinaryPrimitives.WriteUInt16LittleEndian(conv[2..], BinaryPrimitives.ReadUInt16LittleEndian(op[16..]));
                break;
            default:
            {
                // A source standard deviation of 0 (an infinite inverse).
                int tensors = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.TensorsOffset));
                int source = BinaryPrimitives.ReadUInt16LittleEndian(op[6..]);
                var t = bytes.AsSpan(tensors + (source * PlanFormat.TensorBytes));
                int blob = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(56));
                int c = BinaryPrimitives.ReadUInt16LittleEndian(t[22..]);
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(blob + BinaryPrimitives.ReadInt32LittleEndian(t[4..]) + (4 * c)), float.PositiveInfinity);
                break;
            }
        }
        Recrc(bytes);
        Assert.Equal($"plan rejected: range at op {victim}", Reject(bytes, plan));
    }

    [Fact]
    public void TruncatedPlanIsRejected()
    {
        var plan = Plan();
        Assert.Equal("plan rejected: truncated at header 0", Reject(plan.Bytes.AsSpan(0, plan.Bytes.Length - 8).ToArray(), plan));
    }

    [Fact]
    public void ConvWhoseShapeDisagreesWithItsParametersIsRejected()
    {
        var plan = Plan();
        var bytes = (byte[])plan.Bytes.Clone();
        int ops = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(PlanFormat.Header.OpsOffset));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(ops + 24 + 4), 1); // stem stride 2 -> 1: output size no longer matches
        Recrc(bytes);
        Assert.Equal("plan rejected: range at op 0", Reject(bytes, plan));
    }

    [Fact]
    public void TooSmallArenaIsRefusedNamingTheSpace()
    {
        var plan = Plan();
        var sizes = plan.SpaceSizes.ToArray();
        sizes[2] -= 16;
        var ex = Assert.Throws<NanoTrainException>(() => new NativeExecutor(plan.Bytes, sizes).Dispose());
        Assert.Equal("executor refused the memory: no-memory at arena space 2", ex.Message);
    }
}
