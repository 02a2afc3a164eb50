namespace NanoTrain.Reference.Kernels;

/// <summary>
/// Reference conv2d (NHWC activations, HWIO weights), the test oracle for firmware/engine/src/kernels/conv2d.
/// Every output element is accumulated in the order the C kernels use, so fp32 results match bit for bit.
/// </summary>
public static class Conv2d
{
    /// <summary>y = b + Σ w·x; per output: b (or 0), then kh, kw, ci ascending.</summary>
    public static void Forward(Conv2dShape s, float[] x, float[] w, float[]? b, float[] y)
    {
        for (int n = 0; n < s.N; n++)
        {
            for (int oh = 0; oh < s.OutH; oh++)
            {
                for (int ow = 0; ow < s.OutW; ow++)
                {
                    int yBase = (((n * s.OutH) + oh) * s.OutW + ow) * s.OutC;
                    for (int co = 0; co < s.OutC; co++)
                    {
                        y[yBase + co] = b?[co] ?? 0f;
                    }
                    for (int kh = 0; kh < s.Kernel; kh++)
                    {
                        int ih = (oh * s.Stride) - s.Pad + kh;
                        if (ih < 0 || ih >= s.InH)
                        {
                            continue;
                        }
                        for (int kw = 0; kw < s.Kernel; kw++)
                        {
                            int iw = (ow * s.Stride) - s.Pad + kw;
                            if (iw < 0 || iw >= s.InW)
                            {
                                continue;
                            }
                            int xBase = (((n * s.InH) + ih) * s.InW + iw) * s.InC;
                            int wBase = ((kh * s.Kernel) + kw) * s.CinPerGroup * s.OutC;
                            for (int g = 0; g < s.Groups; g++)
                            {
                                for (int ci = 0; ci < s.CinPerGroup; ci++)
                                {
                                    float xv = x[xBase + (g * s.CinPerGroup) + ci];
                                    for (int co = 0; co < s.CoutPerGroup; co++)
                                    {
                                        int o = (g * s.CoutPerGroup) + co;
                                        y[yBase + o] += w[wBase + (ci * s.OutC) + o] * xv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dx += Σ w·dy; per input element: taps in (n, oh, ow, kh, kw) order, each an inner sum over co from 0.</summary>
    public static void BackwardInput(Conv2dShape s, float[] dy, float[] w, float[] dx)
    {
        for (int n = 0; n < s.N; n++)
        {
            for (int oh = 0; oh < s.OutH; oh++)
            {
                for (int ow = 0; ow < s.OutW; ow++)
                {
                    int dyBase = (((n * s.OutH) + oh) * s.OutW + ow) * s.OutC;
                    for (int kh = 0; kh < s.Kernel; kh++)
                    {
                        int ih = (oh * s.Stride) - s.Pad + kh;
                        if (ih < 0 || ih >= s.InH)
                        {
                            continue;
                        }
                        for (int kw = 0; kw < s.Kernel; kw++)
                        {
                            int iw = (ow * s.Stride) - s.Pad + kw;
                            if (iw < 0 || iw >= s.InW)
                            {
                                continue;
                            }
                            int dxBase = (((n * s.InH) + ih) * s.InW + iw) * s.InC;
                            int wBase = ((kh * s.Kernel) + kw) * s.CinPerGroup * s.OutC;
                            for (int g = 0; g < s.Groups; g++)
                            {
                                for (int ci = 0; ci < s.CinPerGroup; ci++)
                                {
                                    float acc = 0f;
                                    for (int co = 0; co < s.CoutPerGroup; co++)
                                    {
                                        int o = (g * s.CoutPerGroup) + co;
                                        acc += w[wBase + (ci * s.OutC) + o] * dy[dyBase + o];
                                    }
                                    dx[dxBase + (g * s.CinPerGroup) + ci] += acc;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dw += Σ x·dy and db += Σ dy over (n, oh, ow) ascending; either may be null.</summary>
    public static void BackwardWeights(Conv2dShape s, float[] x, float[] dy, float[]? dw, float[]? db)
    {
        for (int n = 0; n < s.N; n++)
        {
            for (int oh = 0; oh < s.OutH; oh++)
            {
                for (int ow = 0; ow < s.OutW; ow++)
                {
                    int dyBase = (((n * s.OutH) + oh) * s.OutW + ow) * s.OutC;
                    if (db != null)
                    {
                        for (int co = 0; co < s.OutC; co++)
                        {
                            db[co] += dy[dyBase + co];
                        }
                    }
                    if (dw == null)
                    {
                        continue;
                    }
                    for (int kh = 0; kh < s.Kernel; kh++)
                    {
                        int ih = (oh * s.Stride) - s.Pad + kh;
                        if (ih < 0 || ih >= s.InH)
                        {
                            continue;
                        }
                        for (int kw = 0; kw < s.Kernel; kw++)
                        {
                            int iw = (ow * s.Stride) - s.Pad + kw;
                            if (iw < 0 || iw >= s.InW)
                            {
                                continue;
                            }
                            int xBase = (((n * s.InH) + ih) * s.InW + iw) * s.InC;
                            int wBase = ((kh * s.Kernel) + kw) * s.CinPerGroup * s.OutC;
                            for (int g = 0; g < s.Groups; g++)
                            {
                                for (int ci = 0; ci < s.CinPerGroup; ci++)
                                {
                                    float xv = x[xBase + (g * s.CinPerGroup) + ci];
                                    for (int co = 0; co < s.CoutPerGroup; co++)
                                    {
                                        int o = (g * s.CoutPerGroup) + co;
                                        dw[wBase + (ci * s.OutC) + o] += xv * dy[dyBase + o];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// int8 forward: y = clamp(requant(b + Σ (x + inputOffset)·w) + outputOffset). Weights OHWI, or [kh][kw][1][c]
    /// for depthwise.
    /// </summary>
    public static void ForwardS8(Conv2dShape s, S8Quant q, sbyte[] x, sbyte[] w, int[]? b, sbyte[] y)
    {
        bool depthwise = s.CinPerGroup == 1 && s.CoutPerGroup == 1;
        for (int n = 0; n < s.N; n++)
        {
            for (int oh = 0; oh < s.OutH; oh++)
            {
                for (int ow = 0; ow < s.OutW; ow++)
                {
                    for (int co = 0; co < s.OutC; co++)
                    {
                        int g = co / s.CoutPerGroup;
                        int acc = b?[co] ?? 0;
                        for (int kh = 0; kh < s.Kernel; kh++)
                        {
                            int ih = (oh * s.Stride) - s.Pad + kh;
                            if (ih < 0 || ih >= s.InH)
                            {
                                continue;
                            }
                            for (int kw = 0; kw < s.Kernel; kw++)
                            {
                                int iw = (ow * s.Stride) - s.Pad + kw;
                                if (iw < 0 || iw >= s.InW)
                                {
                                    continue;
                                }
                                int xBase = ((((n * s.InH) + ih) * s.InW + iw) * s.InC) + (g * s.CinPerGroup);
                                for (int ci = 0; ci < s.CinPerGroup; ci++)
                                {
                                    int wIndex = depthwise
                                        ? (((kh * s.Kernel) + kw) * s.OutC) + co
                                        : ((((co * s.Kernel) + kh) * s.Kernel + kw) * s.CinPerGroup) + ci;
                                    acc += (x[xBase + ci] + q.InputOffset) * w[wIndex];
                                }
                            }
                        }
                        int v = Quant.Requantize(acc, q.Multiplier[co], q.Shift[co]) + q.OutputOffset;
                        y[((((n * s.OutH) + oh) * s.OutW + ow) * s.OutC) + co] = Quant.Clamp(v, q.ActMin, q.ActMax);
                    }
                }
            }
        }
    }

    /// <summary>Scratch the C kernels need: none (direct convolution).</summary>
    public static int ScratchBytes(Conv2dShape s) => 0;
}
