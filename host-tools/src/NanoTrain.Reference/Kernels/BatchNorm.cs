namespace NanoTrain.Reference.Kernels;

/// <summary>Reference batch norm over the channels of an NHWC tensor (firmware/engine/src/kernels/batchnorm).</summary>
public static class BatchNorm
{
    /// <summary>Training mode: batch statistics; updates running statistics when given.</summary>
    public static void ForwardTrain(int n, int h, int w, int c, float eps, float momentum, float[] x, float[] gamma, float[] beta,
        float[]? runningMean, float[]? runningVar, float[] savedMean, float[] savedInvstd, float[] y)
    {
        int m = n * h * w;
        float invM = 1f / m;
        Array.Clear(savedMean, 0, c);
        Array.Clear(savedInvstd, 0, c);
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                savedMean[k] += x[(i * c) + k];
            }
        }
        for (int k = 0; k < c; k++)
        {
            savedMean[k] *= invM;
        }
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                float d = x[(i * c) + k] - savedMean[k];
                savedInvstd[k] += d * d;
            }
        }
        for (int k = 0; k < c; k++)
        {
            float variance = savedInvstd[k] * invM;
            savedInvstd[k] = 1f / MathF.Sqrt(variance + eps);
            if (runningMean != null && runningVar != null)
            {
                float unbiased = m > 1 ? variance * ((float)m / (m - 1)) : variance;
                runningMean[k] = ((1f - momentum) * runningMean[k]) + (momentum * savedMean[k]);
                runningVar[k] = ((1f - momentum) * runningVar[k]) + (momentum * unbiased);
            }
        }
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                y[(i * c) + k] = (gamma[k] * ((x[(i * c) + k] - savedMean[k]) * savedInvstd[k])) + beta[k];
            }
        }
    }

    /// <summary>Inference mode: running statistics.</summary>
    public static void ForwardInfer(int n, int h, int w, int c, float eps, float[] x, float[] gamma, float[] beta,
        float[] runningMean, float[] runningVar, float[] y)
    {
        int m = n * h * w;
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                float invstd = 1f / MathF.Sqrt(runningVar[k] + eps);
                y[(i * c) + k] = (gamma[k] * ((x[(i * c) + k] - runningMean[k]) * invstd)) + beta[k];
            }
        }
    }

    /// <summary>Backward with batch statistics: dx, dgamma, dbeta accumulate (each may be null).</summary>
    public static void Backward(int n, int h, int w, int c, float[] x, float[] gamma, float[] savedMean, float[] savedInvstd,
        float[] dy, float[]? dx, float[]? dgamma, float[]? dbeta)
    {
        int m = n * h * w;
        float fm = m;
        var sumDy = new float[c];
        var sumDyXhat = new float[c];
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                float xhat = (x[(i * c) + k] - savedMean[k]) * savedInvstd[k];
                sumDy[k] += dy[(i * c) + k];
                sumDyXhat[k] += dy[(i * c) + k] * xhat;
            }
        }
        for (int k = 0; k < c; k++)
        {
            if (dbeta != null)
            {
                dbeta[k] += sumDy[k];
            }
            if (dgamma != null)
            {
                dgamma[k] += sumDyXhat[k];
            }
        }
        if (dx == null)
        {
            return;
        }
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < c; k++)
            {
                float xhat = (x[(i * c) + k] - savedMean[k]) * savedInvstd[k];
                float scale = gamma[k] * savedInvstd[k] / fm;
                dx[(i * c) + k] += scale * (((fm * dy[(i * c) + k]) - sumDy[k]) - (xhat * sumDyXhat[k]));
            }
        }
    }

    /// <summary>Scratch the C backward needs: the two per-channel sums.</summary>
    public static int ScratchBytes(int c) => 2 * c * sizeof(float);
}
