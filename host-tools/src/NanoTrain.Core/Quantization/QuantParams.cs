using NanoTrain.Core.Common;

namespace NanoTrain.Core.Quantization;

/// <summary>Per-tensor asymmetric int8 quantization: real = scale·(q − zeroPoint), q in [−128, 127].</summary>
public sealed record QuantParams(float Scale, int ZeroPoint)
{
    /// <summary>
    /// Parameters covering [min, max] widened to contain 0 (so 0 is exact, as zero padding needs):
    /// scale = (max − min)/255, zeroPoint = round(−128 − min/scale) clamped to the int8 range.
    /// </summary>
    public static QuantParams FromRange(float min, float max)
    {
        if (!float.IsFinite(min) || !float.IsFinite(max))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"activation range [{min}, {max}] is not finite");
        }
        min = Math.Min(min, 0f);
        max = Math.Max(max, 0f);
        float scale = (max - min) / 255f;
        if (scale <= 0f)
        {
            scale = 1f / 255f;
        }
        int zero = (int)Math.Round(-128.0 - (min / scale), MidpointRounding.AwayFromZero);
        return new QuantParams(scale, Math.Clamp(zero, -128, 127));
    }

    /// <summary>The int8 value nearest to a real value.</summary>
    public sbyte Quantize(float value) =>
        (sbyte)Math.Clamp((int)Math.Round(value / Scale, MidpointRounding.AwayFromZero) + ZeroPoint, -128, 127);

    public float Dequantize(int q) => Scale * (q - ZeroPoint);
}

/// <summary>A positive real multiplier as TFLite stores it: Q31 mantissa in [2^30, 2^31) and a power-of-two shift.</summary>
public static class FixedPointMultiplier
{
    public static (int Multiplier, int Shift) Quantize(double real)
    {
        if (!(real > 0) || double.IsInfinity(real))
        {
            return (0, 0);
        }
        int shift = (int)Math.Floor(Math.Log2(real)) + 1;
        double fraction = real / Math.Pow(2, shift);
        long q = (long)Math.Round(fraction * (1L << 31), MidpointRounding.AwayFromZero);
        if (q == 1L << 31)
        {
            q /= 2;
            shift++;
        }
        if (shift < -31)
        {
            return (0, 0);
        }
        if (shift > 30)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"requantization multiplier {real} is too large for int8 arithmetic");
        }
        return ((int)q, shift);
    }
}
