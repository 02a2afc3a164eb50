using NanoTrain.Core.Common;

namespace NanoTrain.Conformance.Tests;

/// <summary>Central finite differences on a sample of coordinates, in fp32 with an fp64 loss.</summary>
internal static class FiniteDifference
{
    public const float Step = 1e-2f;

    /// <summary>
    /// Checks analytic[i] ≈ (L(p+h) − L(p−h)) / 2h for up to <paramref name="samples"/> coordinates of p.
    /// Tolerance: 2% of the larger magnitude plus 2e-3 (fp32 forward passes, h = 1e-2).
    /// </summary>
    public static void Check(float[] parameter, float[] analytic, Func<double> loss, SplitMix64 rng, string what, int samples = 12)
    {
        int count = Math.Min(samples, parameter.Length);
        for (int t = 0; t < count; t++)
        {
            int i = parameter.Length <= samples ? t : (int)rng.NextBelow((ulong)parameter.Length);
            float saved = parameter[i];
            parameter[i] = saved + Step;
            double up = loss();
            parameter[i] = saved - Step;
            double down = loss();
            parameter[i] = saved;
            double numeric = (up - down) / (2 * Step);
            double tol = (0.02 * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]))) + 2e-3;
            Assert.True(Math.Abs(numeric - analytic[i]) <= tol,
                $"{what}[{i}]: analytic {analytic[i]:G6}, finite difference {numeric:G6}");
        }
    }
}
