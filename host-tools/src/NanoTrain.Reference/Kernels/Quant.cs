namespace NanoTrain.Reference.Kernels;

/// <summary>Quantization of one int8 op's output (mirrors nt_s8_quant_t).</summary>
public sealed record S8Quant(int InputOffset, int OutputOffset, int ActMin, int ActMax, int[] Multiplier, int[] Shift);

/// <summary>Quantization of an int8 residual add (mirrors nt_add_s8_quant_t).</summary>
public sealed record AddS8Quant(
    int Input1Offset, int Input2Offset, int Input1Multiplier, int Input1Shift, int Input2Multiplier, int Input2Shift,
    int OutputMultiplier, int OutputShift, int OutputOffset, int LeftShift, int ActMin, int ActMax);

/// <summary>TFLite's fixed-point requantization (firmware/engine/include/nt/quant.h), written out plainly.</summary>
public static class Quant
{
    public static int SaturatingRoundingDoublingHighMul(int a, int b)
    {
        if (a == b && a == int.MinValue)
        {
            return int.MaxValue;
        }
        long ab = (long)a * b;
        long nudge = ab >= 0 ? 1L << 30 : 1 - (1L << 30);
        return (int)((ab + nudge) / (1L << 31));
    }

    public static int RoundingDivideByPot(int x, int exponent)
    {
        int mask = (int)((1L << exponent) - 1);
        int remainder = x & mask;
        int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
        return (x >> exponent) + (remainder > threshold ? 1 : 0);
    }

    public static int Requantize(int acc, int multiplier, int shift)
    {
        int left = shift > 0 ? shift : 0;
        int right = shift > 0 ? 0 : -shift;
        return RoundingDivideByPot(SaturatingRoundingDoublingHighMul((int)((uint)acc << left), multiplier), right);
    }

    public static sbyte Clamp(int v, int min, int max) => (sbyte)Math.Clamp(v, min, max);
}

/// <summary>Reference fp32 → int8 quantization (firmware/engine/src/kernels/quantize).</summary>
public static class Quantize
{
    /// <summary>y = clamp(round(x / scale) + zeroPoint, −128, 127), rounding half away from zero.</summary>
    public static void Forward(float scale, int zeroPoint, float[] x, sbyte[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i] / scale;
            y[i] = Quant.Clamp((int)MathF.Round(v, MidpointRounding.AwayFromZero) + zeroPoint, -128, 127);
        }
    }
}

/// <summary>Reference int8 → fp32 dequantization (firmware/engine/src/kernels/dequantize).</summary>
public static class Dequantize
{
    /// <summary>y = scale · (x − zeroPoint).</summary>
    public static void Forward(float scale, int zeroPoint, sbyte[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = scale * (x[i] - zeroPoint);
        }
    }
}
