namespace NanoTrain.Core.Plan;

/// <summary>Constants of the .ntplan format; the C side is firmware/engine/include/nt/plan.h.</summary>
public static class PlanFormat
{
    public const uint Magic = 0x4C50544E; // "NTPL"
    public const ushort Version = 4;
    public const int HeaderBytes = 64;
    public const int SpaceBytes = 16;
    public const int TensorBytes = 32;
    public const int OpBytes = 48;
    public const int TrainHeaderBytes = 20;
    public const int BoardBytes = 16;
    public const ushort None = 0xFFFF;
    public const int MaxSpaces = 8;

    /// <summary>SOFTMAX_CE params[0]: parameter gradients share memory; updates follow each op's backward.</summary>
    public const int FusedUpdate = 0x1;

    public const byte DtypeF32 = 0;
    public const byte DtypeS8 = 1;
    public const byte DtypeS32 = 2;
    public const byte DtypeU8 = 3;

    public const ushort FlagParam = 0x1;
    public const ushort FlagInit = 0x2;
    public const ushort FlagZero = 0x4;

    public const byte OpConv2d = 1;
    public const byte OpBatchNorm = 2;
    public const byte OpRelu6 = 3;
    public const byte OpAdd = 4;
    public const byte OpGap = 5;
    public const byte OpFc = 6;
    public const byte OpSoftmaxCe = 7;
    public const byte OpQuantize = 8;
    public const byte OpConv2dS8 = 9;
    public const byte OpAddS8 = 10;
    public const byte OpGapS8 = 11;
    public const byte OpFcS8 = 12;
    public const byte OpDequantize = 13;
    public const byte OpFilterDrift = 14;

    /// <summary>Two int16 values in one op parameter (low, high), as the int8 ops pack offsets and clamps.</summary>
    public static int Pack16(int low, int high) => (low & 0xFFFF) | (high << 16);

    /// <summary>The two signed 16-bit halves of <see cref="Pack16"/>.</summary>
    public static (int Low, int High) Unpack16(int packed) => ((short)(packed & 0xFFFF), packed >> 16);

    /// <summary>Byte offsets of header fields, for tests that corrupt one on purpose.</summary>
    public static class Header
    {
        public const int FileBytes = 8;
        public const int Crc = 12;
        public const int Board = 16;
        public const int SpacesOffset = 40;
        public const int TensorsOffset = 44;
        public const int OpsOffset = 48;
    }
}
