namespace NanoTrain.Core.Common;

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the same as the engine's <c>nt_crc32_update</c>.</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues a CRC-32: start with 0; feeding chunks in order equals one call over all bytes.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }

    /// <summary>CRC-32 of one buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(0, data);

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
