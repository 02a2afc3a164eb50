namespace NanoTrain.Reference.Kernels;

/// <summary>
/// Reference of alternant partial update's drift op (firmware/engine/src/kernels/filter_drift): per-filter drift
/// scores from an int8 output, and a round's choice of filters by score and age.
/// </summary>
public static class FilterDrift
{
    /// <summary>
    /// For each sample, score[ch] = momentum·score[ch] + (1 − momentum)·min(z², 1e30), z = (scale·(mean q − zero) −
    /// source mean)·source inverse std; <paramref name="source"/> is the means, then the inverse stds.
    /// </summary>
    public static void Forward(int n, int positions, int c, float scale, int zero, sbyte[] y, float[] source, float momentum, float[] score)
    {
        float invPositions = 1.0f / positions;
        for (int b = 0; b < n; b++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                int sum = 0;
                for (int i = 0; i < positions; i++)
                {
                    sum += y[(((b * positions) + i) * c) + ch];
                }
                float mean = scale * ((sum * invPositions) - zero);
                float z = (mean - source[ch]) * source[c + ch];
                score[ch] = (momentum * score[ch]) + ((1.0f - momentum) * MathF.Min(z * z, 1e30f));
            }
        }
    }

    /// <summary>
    /// The <paramref name="count"/> filters of highest priority score/max + age/horizon get age 0 (ties in index
    /// order), the others age + 1 (at most 255). Sorted here; the C kernel bisects.
    /// </summary>
    public static void Select(int count, int horizon, float[] score, byte[] age)
    {
        float max = 0;
        foreach (float s in score)
        {
            max = s > max ? s : max;
        }
        float invMax = max > 0 ? 1.0f / max : 0.0f;
        float invHorizon = 1.0f / horizon;
        var priority = new float[score.Length];
        for (int ch = 0; ch < score.Length; ch++)
        {
            priority[ch] = (score[ch] * invMax) + (age[ch] * invHorizon);
        }
        var chosen = Enumerable.Range(0, score.Length).OrderByDescending(ch => priority[ch]).ThenBy(ch => ch).Take(count).ToHashSet();
        for (int ch = 0; ch < score.Length; ch++)
        {
            age[ch] = chosen.Contains(ch) ? (byte)0 : (byte)Math.Min(255, age[ch] + 1);
        }
    }
}
