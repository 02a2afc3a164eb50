namespace NanoTrain.Core.Model;

/// <summary>Folds an inference-mode batch norm into the conv before it (the device form of conv + BN).</summary>
public static class BatchNormFolding
{
    /// <summary>
    /// w' = w·γ/√(σ²+ε) per output channel (the last dimension of <paramref name="weight"/>, HWIO) and
    /// b' = β − μ·γ/√(σ²+ε) (the conv had no bias).
    /// </summary>
    public static (float[] Weight, float[] Bias) Fold(float[] weight, float[] gamma, float[] beta, float[] mean, float[] variance, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(gamma);
        int cout = gamma.Length;
        var scale = new float[cout];
        var bias = new float[cout];
        for (int c = 0; c < cout; c++)
        {
            scale[c] = gamma[c] / MathF.Sqrt(variance[c] + eps);
            bias[c] = beta[c] - (mean[c] * scale[c]);
        }
        var folded = new float[weight.Length];
        for (int i = 0; i < weight.Length; i++)
        {
            folded[i] = weight[i] * scale[i % cout];
        }
        return (folded, bias);
    }
}
