using System.Runtime.InteropServices;
using NanoTrain.Core.Common;
using NanoTrain.Core.Device;

namespace NanoTrain.Native;

/// <summary>Aligned, zeroed native memory that the engine reads and writes; freed on dispose.</summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(long bytes, int alignment = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = bytes;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), (nuint)alignment);
        NativeMemory.Clear(Pointer, (nuint)Math.Max(bytes, 1));
    }

    public byte* Pointer { get; private set; }

    public long Bytes { get; }

    public Span<byte> Span => new(Pointer, checked((int)Bytes));

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}

/// <summary>
/// A plan loaded by the engine's own loader and bound to memory by its executor (<c>nt_plan_load</c>,
/// <c>nt_exec_init</c>): the host runs exactly the code the boards run.
/// </summary>
public sealed unsafe class NativeExecutor : IDisposable
{
    private readonly NativeBuffer _planBytes;
    private readonly NativeBuffer _plan;
    private readonly NativeBuffer _exec;
    private readonly NativeBuffer?[] _owned;
    private NativeBuffer? _opTicks;
    private int _ops;
    private NativeBuffer? _importance;
    private int _tensors;
    private void* _elastic;

    /// <param name="plan">The .ntplan bytes.</param>
    /// <param name="shared">Optional buffers for some arena spaces (index = space), for executors that share
    /// memory such as the parameters of data-parallel workers; the others are allocated here.</param>
    /// <param name="spaceSizes">Sizes of the plan's spaces as written in the plan (index 0 = blob).</param>
    public NativeExecutor(byte[] plan, IReadOnlyList<long> spaceSizes, IReadOnlyDictionary<int, NativeBuffer>? shared = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(spaceSizes);
        EngineApi.Load();
        _planBytes = new NativeBuffer(plan.Length);
        plan.CopyTo(_planBytes.Span);
        _plan = new NativeBuffer((long)EngineApi.PlanStructBytes());
        _exec = new NativeBuffer((long)EngineApi.ExecStructBytes());
        PlanError err;
        int status = EngineApi.PlanLoad(_plan.Pointer, _planBytes.Pointer, (nuint)plan.Length, &err);
        if (status != 0)
        {
            Dispose();
            throw new NanoTrainException(ErrorKind.BadInput, Describe("plan rejected", err));
        }
        _owned = new NativeBuffer?[spaceSizes.Count];
        var bases = stackalloc byte*[spaceSizes.Count];
        var sizes = stackalloc uint[spaceSizes.Count];
        for (int i = 1; i < spaceSizes.Count; i++)
        {
            var buffer = shared != null && shared.TryGetValue(i, out var s) ? s : (_owned[i] = new NativeBuffer(spaceSizes[i]));
            bases[i] = buffer.Pointer;
            sizes[i] = (uint)buffer.Bytes;
        }
        status = EngineApi.ExecInit(_exec.Pointer, _plan.Pointer, bases, sizes, &err);
        if (status != 0)
        {
            Dispose();
            throw new NanoTrainException(ErrorKind.BadInput, Describe("executor refused the memory", err));
        }
    }

    /// <summary>A space this executor allocated (not a shared one), or null.</summary>
    public NativeBuffer? OwnedSpace(int index) => _owned[index];

    /// <summary>Pointer to a tensor's data.</summary>
    public void* Tensor(int index) => EngineApi.ExecTensor(_exec.Pointer, checked((ushort)index));

    /// <summary>A tensor as a span of floats (the caller knows its length).</summary>
    public Span<float> Floats(int index, int length) => new(Tensor(index), length);

    /// <summary>A tensor as a span of bytes.</summary>
    public Span<byte> Bytes(int index, int length) => new(Tensor(index), length);

    /// <summary>Each sample's class of largest logit (the first on ties: the engine's nt_argmax_f32, as the device predicts).</summary>
    public void Predict(int logits, int batch, int classes, Span<byte> predictions)
    {
        if (predictions.Length < batch)
        {
            throw new ArgumentException($"room for {predictions.Length} predictions, {batch} needed", nameof(predictions));
        }
        fixed (byte* p = predictions)
        {
            EngineApi.Argmax(batch, classes, (float*)Tensor(logits), p);
        }
    }

    public void SetBatchNormMode(bool training, bool updateRunning) =>
        EngineApi.ExecSetBatchNormMode(_exec.Pointer, training ? 1 : 0, updateRunning ? 1 : 0);

    public void Forward() => EngineApi.ExecForward(_exec.Pointer);

    public float Loss() => EngineApi.ExecLoss(_exec.Pointer);

    /// <summary>Backward for the trainable parameters (mask of n_tensors bytes, or null for all).</summary>
    public void Backward(byte[]? trainable)
    {
        fixed (byte* mask = trainable)
        {
            Check(EngineApi.ExecBackward(_exec.Pointer, mask), "backward");
        }
    }

    /// <summary>Forward, loss, backward with each parameter updated right after its op's backward (any layout); the loss.</summary>
    /// <param name="sgd">Learning rate and momentum.</param>
    /// <param name="trainable">Mask over the plan's parameters; null trains all of them.</param>
    /// <param name="predictions">When given (batch bytes), each sample's predicted class before the update.</param>
    public float TrainStep(SgdConfig sgd, byte[]? trainable, byte[]? predictions = null)
    {
        float loss;
        fixed (byte* mask = trainable)
        fixed (byte* predicted = predictions)
        {
            Check(EngineApi.ExecTrainStep(_exec.Pointer, &sgd, mask, &loss, predicted), "train step");
        }
        return loss;
    }

    /// <summary>
    /// Times the phases with <paramref name="clock"/> (null stops) and keeps each op's backward ticks in
    /// <see cref="OpTicksDx"/> and <see cref="OpTicksDw"/> (nt_exec_set_op_ticks), <paramref name="ops"/> of each.
    /// </summary>
    public void SetClock(delegate* unmanaged<ulong> clock, int ops)
    {
        EngineApi.ExecSetClock(_exec.Pointer, clock);
        _opTicks?.Dispose();
        _opTicks = clock == null ? null : new NativeBuffer(Math.Max(1, ops) * 2L * sizeof(uint));
        _ops = clock == null ? 0 : ops;
        EngineApi.ExecSetOpTicks(_exec.Pointer, _opTicks == null ? null : (uint*)_opTicks.Pointer, _opTicks == null ? null : (uint*)_opTicks.Pointer + ops);
    }

    /// <summary>Each op's input-gradient ticks in the last backward (with <see cref="SetClock"/>).</summary>
    public uint[] OpTicksDx => _opTicks == null ? [] : new Span<uint>(_opTicks.Pointer, _ops).ToArray();

    /// <summary>Each op's weight-gradient and update ticks in the last backward (with <see cref="SetClock"/>).</summary>
    public uint[] OpTicksDw => _opTicks == null ? [] : new Span<uint>((uint*)_opTicks.Pointer + _ops, _ops).ToArray();

    /// <summary>
    /// Starts (with the plan's tensor count) or stops (0) accumulating each trained parameter's importance, lr |g|^2 per
    /// update (nt_exec_set_importance), from zero.
    /// </summary>
    public void KeepImportance(int tensors)
    {
        _importance?.Dispose();
        _importance = tensors > 0 ? new NativeBuffer(tensors * (long)sizeof(float)) : null;
        _importance?.Span.Clear();
        _tensors = tensors;
        EngineApi.ExecSetImportance(_exec.Pointer, _importance == null ? null : (float*)_importance.Pointer);
    }

    /// <summary>Each tensor's accumulated importance (with <see cref="KeepImportance"/>).</summary>
    public float[] Importance => _importance == null ? [] : new Span<float>(_importance.Pointer, _tensors).ToArray();

    private static long s_reads;

    [UnmanagedCallersOnly]
    private static ulong Read() => (ulong)Interlocked.Increment(ref s_reads);

    /// <summary>
    /// A clock for host runs, which have no instruction counter: it advances by one at each reading, so every timed piece
    /// of work counts one tick. Enough where the costs come from a board (<see cref="UseElasticCosts"/>), or for tests.
    /// </summary>
    public static delegate* unmanaged<ulong> CountingClock => &Read;

    /// <summary>
    /// Starts elastic selection (nt_elastic_start) in the plan's workspace tensor, timed by <paramref name="clock"/>:
    /// the steps of <see cref="ElasticTrainStep"/> then train what it chooses within <paramref name="rho"/> of a full step.
    /// </summary>
    public void StartElastic(int workspace, int bytes, delegate* unmanaged<ulong> clock, float rho, int window, int calibration)
    {
        EngineApi.ExecSetClock(_exec.Pointer, clock);
        _elastic = Tensor(workspace);
        Check(EngineApi.ElasticStart(_elastic, (nuint)bytes, _exec.Pointer, rho, checked((ushort)window), checked((ushort)calibration)), "elastic start");
    }

    /// <summary>Installs costs measured on a board for the same plan (nt_elastic_use_costs), after <see cref="StartElastic"/>.</summary>
    public void UseElasticCosts(ElasticCosts costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        var table = costs.Dw.Select((dw, i) => new ElasticTensor { Dw = checked((uint)dw), Dy = checked((uint)costs.Dy[i]) }).ToArray();
        fixed (ElasticTensor* p = table)
        {
            Check(EngineApi.ElasticUseCosts(_elastic, p, (ulong)costs.Full, (ulong)costs.Fixed), "elastic costs");
        }
    }

    /// <summary>One training step under elastic selection; the loss.</summary>
    public float ElasticTrainStep(SgdConfig sgd)
    {
        float loss;
        Check(EngineApi.ElasticTrainStep(_elastic, _exec.Pointer, &sgd, &loss, null), "elastic train step");
        return loss;
    }

    /// <summary>Whether candidate <paramref name="i"/> (depth order from the loss) is in the current selection.</summary>
    public bool ElasticSelected(int i) => EngineApi.ElasticSelected(_elastic, (uint)i) != 0;

    /// <summary>The elastic state's head (nt_elastic_t).</summary>
    public ElasticStatus Elastic
    {
        get
        {
            byte* p = (byte*)_elastic;
            return new ElasticStatus(*(ushort*)(p + 8), *(ushort*)(p + 10), *(uint*)(p + 12), *(uint*)(p + 16), *(ulong*)(p + 24), *(ulong*)(p + 32),
                *(ulong*)(p + 40), *(ulong*)(p + 48), *(ulong*)(p + 56), *(uint*)(p + 108));
        }
    }

    /// <summary>Ticks per phase (forward, loss, dx, dW, update) since the executor started.</summary>
    public ulong[] PhaseTicks => new Span<ulong>(EngineApi.ExecTicks(_exec.Pointer), 5).ToArray();

    public void Update(SgdConfig sgd, byte[]? trainable)
    {
        fixed (byte* mask = trainable)
        {
            Check(EngineApi.ExecUpdate(_exec.Pointer, &sgd, mask), "update");
        }
    }

    public void Dispose()
    {
        if (_owned != null)
        {
            foreach (var b in _owned)
            {
                b?.Dispose();
            }
        }
        _opTicks?.Dispose();
        _importance?.Dispose();
        _exec?.Dispose();
        _plan?.Dispose();
        _planBytes?.Dispose();
    }

    private static void Check(int status, string what)
    {
        if (status != 0)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"engine {what} failed: {EngineApi.StatusText(status)}");
        }
    }

    /// <summary>"plan rejected: crc in header entry 0" style text for a loader error.</summary>
    public static string Describe(string what, PlanError err)
    {
        string[] sections = ["header", "space", "tensor", "op", "train", "arena space"];
        string section = err.Section >= 0 && err.Section < sections.Length ? sections[err.Section] : $"section {err.Section}";
        return $"{what}: {EngineApi.StatusText(err.Status)} at {section} {err.Index}";
    }
}

/// <summary>The head of an elastic selection state (nt_elastic_t), in the executor's clock ticks.</summary>
public readonly record struct ElasticStatus(int Candidates, int Chosen, uint Step, uint Selections, ulong Full, ulong Fixed, ulong Budget, ulong Predicted, ulong Overhead,
    uint Plateaus);
