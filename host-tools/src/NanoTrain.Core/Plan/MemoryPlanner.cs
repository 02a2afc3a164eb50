namespace NanoTrain.Core.Plan;

/// <summary>A block of memory the planner places: live from step <see cref="First"/> to <see cref="Last"/> inclusive.</summary>
/// <param name="Id">Caller's key (a tensor index).</param>
/// <param name="Bytes">Size; the planner rounds it up to the alignment.</param>
/// <param name="First">First step that touches it.</param>
/// <param name="Last">Last step that touches it (>= First).</param>
public sealed record PlannerBuffer(int Id, long Bytes, int First, int Last)
{
    public bool OverlapsInTime(PlannerBuffer other) => First <= other.Last && other.First <= Last;
}

/// <summary>A memory bank the planner may use: at most <see cref="Capacity"/> bytes.</summary>
public sealed record PlannerBank(string Name, long Capacity);

/// <summary>Where a buffer went: bank index (into the banks given) and byte offset in it.</summary>
public readonly record struct PlannerPlacement(int Bank, long Offset);

/// <summary>The planner's answer.</summary>
/// <param name="Placements">By buffer id; buffers that fit nowhere are missing.</param>
/// <param name="BankBytes">Bytes used in each bank (the highest end of a buffer placed there).</param>
/// <param name="Unplaced">Buffers that fit in no bank, largest first.</param>
public sealed record PlannerResult(IReadOnlyDictionary<int, PlannerPlacement> Placements, IReadOnlyList<long> BankBytes, IReadOnlyList<PlannerBuffer> Unplaced)
{
    public long TotalBytes => BankBytes.Sum();

    public bool Fits => Unplaced.Count == 0;
}

/// <summary>
/// Static memory planning (DESIGN.md §7): buffers with lifetimes into banks at offsets such that no two buffers
/// live at the same step overlap in the same bank, and no buffer is split across banks.
/// <para>
/// Buffers live for the whole schedule (parameters, optimizer state) go first, packed from offset 0 of the
/// banks; the rest are placed largest first, each at the lowest offset of the first bank (in the order given)
/// where it overlaps nothing live at the same time and ends inside the bank.
/// </para>
/// </summary>
public static class MemoryPlanner
{
    public static long AlignUp(long v, int align) => (v + align - 1) / align * align;

    /// <summary>
    /// The lower bound of any placement: the largest total of (aligned) bytes live at one step. A placement
    /// into one bank can reach it only if nothing fragments; several banks can only do worse.
    /// </summary>
    public static long LowerBound(IReadOnlyList<PlannerBuffer> buffers, int align)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        if (buffers.Count == 0)
        {
            return 0;
        }
        // Sweep the steps: +bytes at First, -bytes after Last.
        var events = new List<(int Step, long Delta)>(buffers.Count * 2);
        foreach (var b in buffers)
        {
            long bytes = AlignUp(b.Bytes, align);
            events.Add((b.First, bytes));
            events.Add((b.Last + 1, -bytes));
        }
        events.Sort((x, y) => x.Step != y.Step ? x.Step.CompareTo(y.Step) : x.Delta.CompareTo(y.Delta));
        long live = 0;
        long peak = 0;
        foreach (var (_, delta) in events)
        {
            live += delta;
            peak = Math.Max(peak, live);
        }
        return peak;
    }

    /// <summary>The bytes live at each step from 0 to the last step, for the timeline.</summary>
    public static long[] LiveBytesPerStep(IReadOnlyList<PlannerBuffer> buffers, int align)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        int steps = buffers.Count == 0 ? 0 : buffers.Max(b => b.Last) + 1;
        var delta = new long[steps + 1];
        foreach (var b in buffers)
        {
            long bytes = AlignUp(b.Bytes, align);
            delta[b.First] += bytes;
            delta[b.Last + 1] -= bytes;
        }
        var live = new long[steps];
        long run = 0;
        for (int s = 0; s < steps; s++)
        {
            run += delta[s];
            live[s] = run;
        }
        return live;
    }

    /// <summary>Places the buffers; see the class remarks.</summary>
    public static PlannerResult Place(IReadOnlyList<PlannerBuffer> buffers, IReadOnlyList<PlannerBank> banks, int align)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        ArgumentNullException.ThrowIfNull(banks);
        if (align < 1 || (align & (align - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(align), "alignment must be a power of two");
        }
        int firstStep = buffers.Count == 0 ? 0 : buffers.Min(b => b.First);
        int lastStep = buffers.Count == 0 ? 0 : buffers.Max(b => b.Last);
        var placed = new List<(PlannerBuffer Buffer, long Offset, long Bytes)>[banks.Count];
        for (int i = 0; i < banks.Count; i++)
        {
            placed[i] = [];
        }
        var placements = new Dictionary<int, PlannerPlacement>();
        var unplaced = new List<PlannerBuffer>();
        // Whole-schedule buffers first (one end of the banks), then the rest largest first; ties by first use
        // so that the result does not depend on the input order.
        var order = buffers
            .OrderByDescending(b => b.First == firstStep && b.Last == lastStep)
            .ThenByDescending(b => AlignUp(b.Bytes, align))
            .ThenBy(b => b.First)
            .ThenBy(b => b.Id)
            .ToList();
        foreach (var buffer in order)
        {
            long bytes = AlignUp(buffer.Bytes, align);
            bool done = false;
            for (int bank = 0; bank < banks.Count && !done; bank++)
            {
                long offset = LowestFreeOffset(placed[bank], buffer, bytes);
                if (offset + bytes <= banks[bank].Capacity)
                {
                    placed[bank].Add((buffer, offset, bytes));
                    placements[buffer.Id] = new PlannerPlacement(bank, offset);
                    done = true;
                }
            }
            if (!done)
            {
                unplaced.Add(buffer);
            }
        }
        var used = placed.Select(list => list.Count == 0 ? 0L : list.Max(p => p.Offset + p.Bytes)).ToArray();
        return new PlannerResult(placements, used, unplaced);
    }

    /// <summary>The lowest offset where [offset, offset+bytes) meets no placed buffer that is live at the same time.</summary>
    private static long LowestFreeOffset(List<(PlannerBuffer Buffer, long Offset, long Bytes)> placed, PlannerBuffer buffer, long bytes)
    {
        var conflicts = placed.Where(p => p.Buffer.OverlapsInTime(buffer)).OrderBy(p => p.Offset).ToList();
        long candidate = 0;
        foreach (var (_, offset, size) in conflicts)
        {
            if (candidate + bytes <= offset)
            {
                break;
            }
            candidate = Math.Max(candidate, offset + size);
        }
        return candidate;
    }
}
