using NanoTrain.Core.Common;

namespace NanoTrain.Core.Plan;

/// <summary>
/// The source task's statistics of one activation, per channel: the mean and standard deviation, over source
/// samples, of each sample's spatial mean of the channel (real units).
/// </summary>
public sealed record ChannelStatistics(float[] Mean, float[] Std);

/// <summary>
/// Alternant partial update (TinyMP, DESIGN.md §6.3) of the int8 convs that train: each round of
/// <see cref="Round"/> training steps, the <see cref="Fraction"/> of each conv's filters whose outputs drifted
/// furthest from <see cref="Source"/> (damped by how recently they were chosen) are the only ones updated. The plan
/// gets one FILTER_DRIFT op per trained conv, with the source statistics in flash and 5 bytes per filter of state
/// in SRAM.
/// </summary>
/// <param name="Source">Statistics of every trained conv's output on the source task, by activation name.</param>
public sealed record AlternantUpdate(IReadOnlyDictionary<string, ChannelStatistics> Source)
{
    public const double DefaultFraction = 0.5;
    public const int DefaultRound = 4;

    /// <summary>Share of each conv's filters updated per round, in (0, 1].</summary>
    public double Fraction { get; init; } = DefaultFraction;

    /// <summary>Training steps (samples) per round.</summary>
    public int Round { get; init; } = DefaultRound;

    /// <summary>Rounds over which a filter's age weighs as much as the largest drift; 0: ceil(filters / chosen).</summary>
    public int Horizon { get; init; }

    /// <summary>Momentum of the drift scores, per sample.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>How many of <paramref name="filters"/> filters a round chooses: the fraction, at least one.</summary>
    public int Chosen(int filters) => Math.Clamp((int)Math.Round(Fraction * filters, MidpointRounding.AwayFromZero), 1, filters);

    /// <summary>The damping horizon for a conv of <paramref name="filters"/> filters.</summary>
    public int HorizonFor(int filters) => Horizon > 0 ? Horizon : (filters + Chosen(filters) - 1) / Chosen(filters);

    /// <summary>Checks the settings for a conv of <paramref name="filters"/> filters (the device's ages count to 254).</summary>
    public void Check(string conv, int filters)
    {
        if (!(Fraction > 0 && Fraction <= 1))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"update fraction {Fraction} is outside (0, 1]");
        }
        if (Round < 1 || Horizon < 0 || !(Momentum >= 0 && Momentum < 1))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"alternant update: round {Round} must be >= 1, horizon {Horizon} >= 0, momentum {Momentum} in [0, 1)");
        }
        int wait = HorizonFor(filters) + ((filters - 1) / Chosen(filters));
        if (wait > 254)
        {
            throw new NanoTrainException(ErrorKind.Usage,
                $"{conv}: with {Chosen(filters)} of {filters} filters per round a filter may wait {wait} rounds; the device counts 254 (raise the update fraction)");
        }
    }
}
