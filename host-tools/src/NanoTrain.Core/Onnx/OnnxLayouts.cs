namespace NanoTrain.Core.Onnx;

/// <summary>
/// Weight layouts between ONNX and the engine: conv weights OIHW (ONNX) ↔ HWIO (engine, [k, k, in/group, out]),
/// matrices [rows, cols] ↔ [cols, rows] (a Gemm's [out, in] ↔ the engine's FC [in, out]).
/// </summary>
public static class OnnxLayouts
{
    /// <summary>OIHW → HWIO for <paramref name="outC"/> outputs, <paramref name="inPerGroup"/> inputs per group, k×k.</summary>
    public static float[] OihwToHwio(float[] oihw, int outC, int inPerGroup, int k) => Conv(oihw, outC, inPerGroup, k, toEngine: true);

    /// <summary>HWIO → OIHW, the inverse of <see cref="OihwToHwio"/>.</summary>
    public static float[] HwioToOihw(float[] hwio, int outC, int inPerGroup, int k) => Conv(hwio, outC, inPerGroup, k, toEngine: false);

    /// <summary>The transpose of a row-major [rows, cols] matrix.</summary>
    public static float[] Transpose(float[] matrix, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var t = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = matrix[(r * cols) + c];
            }
        }
        return t;
    }

    private static float[] Conv(float[] from, int outC, int inPerGroup, int k, bool toEngine)
    {
        ArgumentNullException.ThrowIfNull(from);
        var to = new float[from.Length];
        for (int o = 0; o < outC; o++)
        {
            for (int i = 0; i < inPerGroup; i++)
            {
                for (int kh = 0; kh < k; kh++)
                {
                    for (int kw = 0; kw < k; kw++)
                    {
                        int oihw = (((o * inPerGroup) + i) * k + kh) * k + kw;
                        int hwio = ((((kh * k) + kw) * inPerGroup) + i) * outC + o;
                        if (toEngine)
                        {
                            to[hwio] = from[oihw];
                        }
                        else
                        {
                            to[oihw] = from[hwio];
                        }
                    }
                }
            }
        }
        return to;
    }
}
