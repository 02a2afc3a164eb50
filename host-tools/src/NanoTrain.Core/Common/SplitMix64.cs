namespace NanoTrain.Core.Common;

/// <summary>
/// SplitMix64: a small seeded generator whose sequence is fixed by its definition, so splits and
/// shuffles are identical on every machine and .NET version (System.Random promises neither).
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, bound), bound &gt; 0, without modulo bias.</summary>
    public ulong NextBelow(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        ulong value;
        do
        {
            value = Next();
        }
        while (value >= limit);
        return value % bound;
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)NextBelow((ulong)i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
