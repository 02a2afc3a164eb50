namespace NanoTrain.Reference.Kernels;

/// <summary>Reference ReLU6 (firmware/engine/src/kernels/relu6).</summary>
public static class Relu6
{
    public static void Forward(float[] x, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v < 0f ? 0f : (v > 6f ? 6f : v);
        }
    }

    /// <summary>dx += dy where the output is strictly inside (0, 6).</summary>
    public static void BackwardInput(float[] y, float[] dy, float[] dx)
    {
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] > 0f && y[i] < 6f)
            {
                dx[i] += dy[i];
            }
        }
    }
}

/// <summary>Reference residual add (firmware/engine/src/kernels/add).</summary>
public static class Add
{
    /// <summary>int8 add, TFLite's scheme: both inputs rescaled to a common scale, summed, requantized.</summary>
    public static void ForwardS8(AddS8Quant q, sbyte[] a, sbyte[] b, sbyte[] y)
    {
        for (int i = 0; i < a.Length; i++)
        {
            int xa = (int)((uint)(a[i] + q.Input1Offset) << q.LeftShift);
            int xb = (int)((uint)(b[i] + q.Input2Offset) << q.LeftShift);
            int sa = Quant.Requantize(xa, q.Input1Multiplier, q.Input1Shift);
            int sb = Quant.Requantize(xb, q.Input2Multiplier, q.Input2Shift);
            int v = Quant.Requantize(sa + sb, q.OutputMultiplier, q.OutputShift) + q.OutputOffset;
            y[i] = Quant.Clamp(v, q.ActMin, q.ActMax);
        }
    }

    public static void Forward(float[] a, float[] b, float[] y)
    {
        for (int i = 0; i < a.Length; i++)
        {
            y[i] = a[i] + b[i];
        }
    }

    public static void BackwardInput(float[] dy, float[]? da, float[]? db)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            if (da != null)
            {
                da[i] += dy[i];
            }
            if (db != null)
            {
                db[i] += dy[i];
            }
        }
    }
}

/// <summary>Reference global average pool (firmware/engine/src/kernels/gap).</summary>
public static class Gap
{
    /// <summary>int8: rounded mean (half away from zero) with the input's scale and zero point, clamped.</summary>
    public static void ForwardS8(int n, int h, int w, int c, int actMin, int actMax, sbyte[] x, sbyte[] y)
    {
        int count = h * w;
        for (int b = 0; b < n; b++)
        {
            for (int k = 0; k < c; k++)
            {
                int sum = 0;
                for (int i = 0; i < count; i++)
                {
                    sum += x[(((b * count) + i) * c) + k];
                }
                int v = sum > 0 ? (sum + (count / 2)) / count : (sum - (count / 2)) / count;
                y[(b * c) + k] = Quant.Clamp(v, actMin, actMax);
            }
        }
    }

    public static void Forward(int n, int h, int w, int c, float[] x, float[] y)
    {
        float count = h * w;
        for (int b = 0; b < n; b++)
        {
            for (int k = 0; k < c; k++)
            {
                y[(b * c) + k] = 0f;
            }
            for (int i = 0; i < h * w; i++)
            {
                for (int k = 0; k < c; k++)
                {
                    y[(b * c) + k] += x[(((b * h * w) + i) * c) + k];
                }
            }
            for (int k = 0; k < c; k++)
            {
                y[(b * c) + k] /= count;
            }
        }
    }

    public static void BackwardInput(int n, int h, int w, int c, float[] dy, float[] dx)
    {
        float count = h * w;
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < h * w; i++)
            {
                for (int k = 0; k < c; k++)
                {
                    dx[(((b * h * w) + i) * c) + k] += dy[(b * c) + k] / count;
                }
            }
        }
    }
}

/// <summary>Reference fully connected layer, IO weights (firmware/engine/src/kernels/fc).</summary>
public static class Fc
{
    /// <summary>int8: y = clamp(requant(b + Σ (x + inputOffset)·w[o][i]) + outputOffset); weights OI.</summary>
    public static void ForwardS8(int n, int input, int output, S8Quant q, sbyte[] x, sbyte[] w, int[]? b, sbyte[] y)
    {
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < output; o++)
            {
                int acc = b?[o] ?? 0;
                for (int i = 0; i < input; i++)
                {
                    acc += (x[(s * input) + i] + q.InputOffset) * w[(o * input) + i];
                }
                int v = Quant.Requantize(acc, q.Multiplier[o], q.Shift[o]) + q.OutputOffset;
                y[(s * output) + o] = Quant.Clamp(v, q.ActMin, q.ActMax);
            }
        }
    }

    public static void Forward(int n, int input, int output, float[] x, float[] w, float[]? b, float[] y)
    {
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < output; o++)
            {
                y[(s * output) + o] = b?[o] ?? 0f;
            }
            for (int i = 0; i < input; i++)
            {
                float xv = x[(s * input) + i];
                for (int o = 0; o < output; o++)
                {
                    y[(s * output) + o] += w[(i * output) + o] * xv;
                }
            }
        }
    }

    public static void BackwardInput(int n, int input, int output, float[] dy, float[] w, float[] dx)
    {
        for (int s = 0; s < n; s++)
        {
            for (int i = 0; i < input; i++)
            {
                float acc = 0f;
                for (int o = 0; o < output; o++)
                {
                    acc += w[(i * output) + o] * dy[(s * output) + o];
                }
                dx[(s * input) + i] += acc;
            }
        }
    }

    public static void BackwardWeights(int n, int input, int output, float[] x, float[] dy, float[]? dw, float[]? db)
    {
        for (int s = 0; s < n; s++)
        {
            if (db != null)
            {
                for (int o = 0; o < output; o++)
                {
                    db[o] += dy[(s * output) + o];
                }
            }
            if (dw == null)
            {
                continue;
            }
            for (int i = 0; i < input; i++)
            {
                float xv = x[(s * input) + i];
                for (int o = 0; o < output; o++)
                {
                    dw[(i * output) + o] += xv * dy[(s * output) + o];
                }
            }
        }
    }
}

/// <summary>Reference softmax cross-entropy (firmware/engine/src/kernels/softmax_ce); MathF.Exp/Log differ from
/// the C library's expf/logf in the last bits, so comparisons use a tolerance.</summary>
public static class SoftmaxCe
{
    public static float ForwardBackward(int n, int classes, float[] logits, byte[] labels, float[] dlogits)
    {
        float total = 0f;
        float invN = 1f / n;
        for (int s = 0; s < n; s++)
        {
            int b = s * classes;
            float mx = logits[b];
            for (int k = 1; k < classes; k++)
            {
                mx = logits[b + k] > mx ? logits[b + k] : mx;
            }
            float sum = 0f;
            for (int k = 0; k < classes; k++)
            {
                dlogits[b + k] = MathF.Exp(logits[b + k] - mx);
                sum += dlogits[b + k];
            }
            total += MathF.Log(sum) - (logits[b + labels[s]] - mx);
            for (int k = 0; k < classes; k++)
            {
                dlogits[b + k] = ((dlogits[b + k] / sum) - (k == labels[s] ? 1f : 0f)) * invN;
            }
        }
        return total * invN;
    }
}

/// <summary>Reference SGD with momentum and weight decay (firmware/engine/src/kernels/sgd).</summary>
public static class Sgd
{
    public static void Update(float lr, float momentum, float weightDecay, float[] w, float[] dw, float[]? v)
    {
        for (int i = 0; i < w.Length; i++)
        {
            float g = dw[i] + (weightDecay * w[i]);
            float step = g;
            if (v != null)
            {
                v[i] = (momentum * v[i]) + g;
                step = v[i];
            }
            w[i] -= lr * step;
            dw[i] = 0f;
        }
    }
}
