namespace NanoTrain.Reference.Kernels;

/// <summary>The shape of a 2-D convolution (mirrors nt_conv2d_params_t).</summary>
public sealed record Conv2dShape(int N, int InH, int InW, int InC, int OutC, int Kernel, int Stride, int Pad, int Groups)
{
    public int OutH => ((InH + (2 * Pad) - Kernel) / Stride) + 1;

    public int OutW => ((InW + (2 * Pad) - Kernel) / Stride) + 1;

    public int CinPerGroup => InC / Groups;

    public int CoutPerGroup => OutC / Groups;

    public int InputLength => N * InH * InW * InC;

    public int OutputLength => N * OutH * OutW * OutC;

    public int WeightLength => Kernel * Kernel * CinPerGroup * OutC;
}
