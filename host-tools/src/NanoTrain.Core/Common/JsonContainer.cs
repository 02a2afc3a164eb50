using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoTrain.Core.Common;

/// <summary>
/// The file layout shared by checkpoints (.ntck) and int8 models (.ntq), little-endian:
/// <code>
///  0  magic (4 bytes)     4  version u32     8  JSON bytes u32     12  reserved u32
/// 16  sha256 of every byte from offset 48 to the end
/// 48  JSON (UTF-8), zero-padded to a multiple of 4, then the binary data the JSON points into
/// </code>
/// Files are written to a temporary name and renamed, so a crash never leaves half a file.
/// </summary>
public static class JsonContainer
{
    public const int HeaderBytes = 48;

    public static void Write(string path, ReadOnlySpan<byte> magic, uint version, JsonNode json, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(json);
        byte[] jsonBytes = Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        int padded = (jsonBytes.Length + 3) / 4 * 4;
        var file = new byte[HeaderBytes + padded + data.Length];
        magic.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), (uint)jsonBytes.Length);
        jsonBytes.CopyTo(file, HeaderBytes);
        data.CopyTo(file.AsSpan(HeaderBytes + padded));
        SHA256.HashData(file.AsSpan(HeaderBytes)).CopyTo(file, 16);
        AtomicFile.WriteAllBytes(path, file);
    }

    /// <summary>
    /// Reads and verifies a file; errors name the file and say what is wrong ("<paramref name="what"/>" is
    /// "checkpoint", "int8 model"...). Returns the JSON, the whole file and where the data starts.
    /// </summary>
    public static (JsonNode Json, byte[] File, int DataStart) Read(string path, ReadOnlySpan<byte> magic, uint version, string what)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: {what} not found");
        }
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < HeaderBytes || !file.AsSpan(0, 4).SequenceEqual(magic))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not a nanoTrain {what} (bad magic or too short)");
        }
        uint found = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4));
        if (found != version)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: {what} version {found}, this tool reads {version}");
        }
        if (!SHA256.HashData(file.AsSpan(HeaderBytes)).AsSpan().SequenceEqual(file.AsSpan(16, 32)))
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: sha256 mismatch (corrupt or truncated {what})");
        }
        uint jsonBytes = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8));
        if (HeaderBytes + (long)jsonBytes > file.Length)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: header JSON runs past the end of the file");
        }
        try
        {
            var json = JsonNode.Parse(file.AsSpan(HeaderBytes, (int)jsonBytes)) ?? throw new JsonException("empty");
            return (json, file, HeaderBytes + (int)((jsonBytes + 3) / 4 * 4));
        }
        catch (JsonException ex)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: header JSON is invalid ({ex.Message})", ex);
        }
    }
}
