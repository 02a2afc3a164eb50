namespace NanoTrain.Core.Plan;

/// <summary>
/// The device's elastic-selection workspace (nt/elastic.h, nt_elastic_state_bytes), which a plan reserves: its head,
/// then per candidate its tensor and op, costs, estimate, choice and calibration samples, per tensor the training
/// mask and importance, per op two tick counters, and the solver's scratch, each rounded up to 8 bytes.
/// </summary>
public static class ElasticState
{
    /// <summary>Calibration steps at most (NT_ELASTIC_MAX_CALIBRATION).</summary>
    public const int MaxCalibration = 5;

    /// <summary>The solver's cost units (NT_ELASTIC_UNITS).</summary>
    public const int Units = 1024;

    /// <summary>sizeof(nt_elastic_t).</summary>
    public const int HeadBytes = 120;

    /// <summary>Workspace bytes for a plan of <paramref name="tensors"/> tensors and <paramref name="ops"/> ops training
    /// <paramref name="candidates"/> parameters.</summary>
    public static long Bytes(int tensors, int ops, int candidates)
    {
        static long A(long bytes) => (bytes + 7) & ~7L;
        long n = candidates;
        long scratch = ((Units + 1) * 4L) + ((((Math.Max(n, 1) * (Units + 1)) + 7) / 8) + 3 & ~3L);
        return A(HeadBytes) + A(2 * n) + A(2 * n) + A(12 * n) + A(4 * n) + A(n) + A(MaxCalibration * n * 8) + A(MaxCalibration * 16L)
            + A(tensors) + A(4L * tensors) + A(8L * ops) + A(scratch);
    }
}
