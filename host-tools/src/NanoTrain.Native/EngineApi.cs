using System.Runtime.InteropServices;

namespace NanoTrain.Native;

/// <summary>nt_conv2d_params_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Conv2dParams
{
    public int N, InH, InW, InC, OutH, OutW, OutC, Kernel, Stride, Pad, Groups;

    /// <summary>Parameters with the output size derived from the input, kernel, stride and padding.</summary>
    public static Conv2dParams Create(int n, int h, int w, int cin, int cout, int kernel, int stride, int pad, int groups) => new()
    {
        N = n, InH = h, InW = w, InC = cin, OutC = cout, Kernel = kernel, Stride = stride, Pad = pad, Groups = groups,
        OutH = ((h + (2 * pad) - kernel) / stride) + 1,
        OutW = ((w + (2 * pad) - kernel) / stride) + 1,
    };

    public readonly int InputLength => N * InH * InW * InC;

    public readonly int OutputLength => N * OutH * OutW * OutC;

    public readonly int WeightLength => Kernel * Kernel * (InC / Groups) * OutC;
}

/// <summary>nt_batchnorm_params_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct BatchNormParams
{
    public int N, H, W, C;
    public float Eps, Momentum;
}

/// <summary>nt_s8_quant_t (pointers to per-channel arrays the caller pins).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct S8QuantNative
{
    public int InputOffset, OutputOffset, ActMin, ActMax;
    public int* Multiplier;
    public int* Shift;
}

/// <summary>nt_add_s8_quant_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct AddS8QuantNative
{
    public int Input1Offset, Input2Offset, Input1Multiplier, Input1Shift, Input2Multiplier, Input2Shift;
    public int OutputMultiplier, OutputShift, OutputOffset, LeftShift, ActMin, ActMax;
}

/// <summary>nt_plan_error_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PlanError
{
    public int Status;
    public int Section;
    public uint Index;
}

/// <summary>nt_sgd_config_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SgdConfig
{
    public float Lr, Momentum, WeightDecay;
}

/// <summary>
/// The engine's C functions, one to one (see firmware/engine/include/nt/*.h for the contracts).
/// Pointers are raw: callers pin their arrays.
/// </summary>
public static unsafe partial class EngineApi
{
    static EngineApi()
    {
        NativeLibraryLoader.EnsureLoaded();
    }

    /// <summary>Loads the engine; calling any member does this too.</summary>
    public static void Load()
    {
    }

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_crc32_update")]
    public static partial uint Crc32Update(uint crc, byte* data, nuint len);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_conv2d_f32_fwd")]
    public static partial void Conv2dFwd(Conv2dParams* p, float* x, float* w, float* b, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_conv2d_f32_bwd_in")]
    public static partial void Conv2dBwdIn(Conv2dParams* p, float* dy, float* w, float* dx);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_conv2d_f32_bwd_w")]
    public static partial void Conv2dBwdW(Conv2dParams* p, float* x, float* dy, float* dw, float* db);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_conv2d_f32_scratch_bytes")]
    public static partial nuint Conv2dScratchBytes(Conv2dParams* p);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_batchnorm_f32_fwd_train")]
    public static partial void BatchNormFwdTrain(BatchNormParams* p, float* x, float* gamma, float* beta, float* runningMean, float* runningVar, float* savedMean, float* savedInvstd, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_batchnorm_f32_fwd_infer")]
    public static partial void BatchNormFwdInfer(BatchNormParams* p, float* x, float* gamma, float* beta, float* runningMean, float* runningVar, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_batchnorm_f32_bwd")]
    public static partial void BatchNormBwd(BatchNormParams* p, float* x, float* gamma, float* savedMean, float* savedInvstd, float* dy, float* dx, float* dgamma, float* dbeta, float* scratch);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_batchnorm_f32_scratch_bytes")]
    public static partial nuint BatchNormScratchBytes(BatchNormParams* p);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_relu6_f32_fwd")]
    public static partial void Relu6Fwd(int count, float* x, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_relu6_f32_bwd_in")]
    public static partial void Relu6BwdIn(int count, float* y, float* dy, float* dx);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_add_f32_fwd")]
    public static partial void AddFwd(int count, float* a, float* b, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_add_f32_bwd_in")]
    public static partial void AddBwdIn(int count, float* dy, float* da, float* db);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_gap_f32_fwd")]
    public static partial void GapFwd(int n, int h, int w, int c, float* x, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_gap_f32_bwd_in")]
    public static partial void GapBwdIn(int n, int h, int w, int c, float* dy, float* dx);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_fc_f32_fwd")]
    public static partial void FcFwd(int n, int input, int output, float* x, float* w, float* b, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_fc_f32_bwd_in")]
    public static partial void FcBwdIn(int n, int input, int output, float* dy, float* w, float* dx);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_fc_f32_bwd_w")]
    public static partial void FcBwdW(int n, int input, int output, float* x, float* dy, float* dw, float* db);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_softmax_ce_f32_fwd_bwd")]
    public static partial float SoftmaxCeFwdBwd(int n, int classes, float* logits, byte* labels, float* dlogits);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_argmax_f32")]
    public static partial void Argmax(int n, int classes, float* logits, byte* predictions);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_sgd_f32_update")]
    public static partial void SgdUpdate(int count, float lr, float momentum, float weightDecay, float* w, float* dw, float* v);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_conv2d_s8_fwd")]
    public static partial void Conv2dS8Fwd(Conv2dParams* p, S8QuantNative* q, sbyte* x, sbyte* w, int* b, sbyte* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_add_s8_fwd")]
    public static partial void AddS8Fwd(int count, AddS8QuantNative* q, sbyte* a, sbyte* b, sbyte* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_gap_s8_fwd")]
    public static partial void GapS8Fwd(int n, int h, int w, int c, int actMin, int actMax, sbyte* x, sbyte* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_fc_s8_fwd")]
    public static partial void FcS8Fwd(int n, int input, int output, S8QuantNative* q, sbyte* x, sbyte* w, int* b, sbyte* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_quantize_f32_fwd")]
    public static partial void QuantizeFwd(int count, float scale, int zeroPoint, float* x, sbyte* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_dequantize_s8_fwd")]
    public static partial void DequantizeFwd(int count, float scale, int zeroPoint, sbyte* x, float* y);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_filter_drift_s8_fwd")]
    public static partial void FilterDriftS8Fwd(int n, int positions, int c, float scale, int zero, sbyte* y, float* source, float momentum, float* score);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_filter_drift_select")]
    public static partial void FilterDriftSelect(int c, int count, int horizon, float* score, byte* age);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_host_plan_bytes")]
    public static partial nuint PlanStructBytes();

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_host_exec_bytes")]
    public static partial nuint ExecStructBytes();

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_plan_load")]
    public static partial int PlanLoad(void* plan, byte* bytes, nuint len, PlanError* err);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_init")]
    public static partial int ExecInit(void* exec, void* plan, byte** spaces, uint* spaceBytes, PlanError* err);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_set_batchnorm_mode")]
    public static partial void ExecSetBatchNormMode(void* exec, int training, int updateRunning);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_tensor")]
    public static partial void* ExecTensor(void* exec, ushort index);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_forward")]
    public static partial void ExecForward(void* exec);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_loss")]
    public static partial float ExecLoss(void* exec);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_backward")]
    public static partial int ExecBackward(void* exec, byte* trainable);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_update")]
    public static partial int ExecUpdate(void* exec, SgdConfig* sgd, byte* trainable);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_train_step")]
    public static partial int ExecTrainStep(void* exec, SgdConfig* sgd, byte* trainable, float* loss, byte* predictions);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_set_clock")]
    public static partial void ExecSetClock(void* exec, delegate* unmanaged<ulong> clock);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_set_op_ticks")]
    public static partial void ExecSetOpTicks(void* exec, uint* dx, uint* dw);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_exec_set_importance")]
    public static partial void ExecSetImportance(void* exec, float* importance);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_elastic_state_bytes")]
    public static partial nuint ElasticStateBytes(uint tensors, uint ops, uint candidates);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_elastic_start")]
    public static partial int ElasticStart(void* state, nuint bytes, void* exec, float rho, ushort window, ushort calibration);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_elastic_train_step")]
    public static partial int ElasticTrainStep(void* state, void* exec, SgdConfig* sgd, float* loss, byte* predictions);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_elastic_use_costs")]
    public static partial int ElasticUseCosts(void* state, ElasticTensor* costs, ulong full, ulong fixedPart);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_elastic_selected")]
    public static partial int ElasticSelected(void* state, uint candidate);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_host_exec_ticks")]
    public static partial ulong* ExecTicks(void* exec);

    [LibraryImport(NativeLibraryLoader.LibraryName, EntryPoint = "nt_status_name")]
    public static partial byte* StatusName(int status);

    /// <summary>The engine's name for a status code ("crc", "range", ...).</summary>
    public static string StatusText(int status) => Marshal.PtrToStringAnsi((IntPtr)StatusName(status)) ?? "unknown";
}

/// <summary>nt_elastic_tensor_t: one candidate's costs and importance.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ElasticTensor
{
    public uint Dw;
    public uint Dy;
    public float Importance;
}
