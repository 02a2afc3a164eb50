using System.Buffers.Binary;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Data;

/// <summary>
/// The cache's compact dataset file (<c>.ntds</c>), little-endian:
/// <code>
///  0  magic "NTDS"            4  version u16 (1)     6  header bytes u16 (64)
///  8  count u32              12  rows u16           14  cols u16
/// 16  classes u16            18  reserved u16       20  payload CRC-32 u32
/// 24  split seed u64         32  name, 24 bytes ASCII, NUL padded ("mnist/train")
/// 56  reserved u32           60  header CRC-32 u32 (over bytes 0..59)
/// 64  labels[count] u8, then images[count][rows*cols] u8
/// </code>
/// </summary>
public static class DatasetFile
{
    public const ushort Version = 1;
    public const int HeaderBytes = 64;
    private static readonly byte[] Magic = "NTDS"u8.ToArray();

    /// <summary>Writes a split atomically: to a temporary file first, renamed into place when complete.</summary>
    public static void Write(string path, LabeledImages images, ulong splitSeed)
    {
        ArgumentNullException.ThrowIfNull(images);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)images.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(12), DatasetSpec.Side);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(14), DatasetSpec.Side);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(16), (ushort)images.Classes);
        uint payloadCrc = Crc32.Update(Crc32.Compute(images.Labels), images.Pixels);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), payloadCrc);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), splitSeed);
        byte[] name = Encoding.ASCII.GetBytes(images.Name);
        if (name.Length > 23)
        {
            throw new ArgumentException($"dataset name '{images.Name}' is longer than 23 characters", nameof(images));
        }
        name.CopyTo(header, 32);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(60), Crc32.Compute(header.AsSpan(0, 60)));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = $"{path}.{Guid.NewGuid():N}.tmp"; // unique: two processes may fill one cache at once
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(header);
            stream.Write(images.Labels);
            stream.Write(images.Pixels);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Reads and fully verifies a split file. Any defect (missing, short, bad magic, version, header or
    /// payload CRC, labels out of range) throws <see cref="NanoTrainException"/> with
    /// <see cref="ErrorKind.BadInput"/> naming the file and the defect.
    /// </summary>
    public static LabeledImages Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: dataset file not found");
        }
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes)
        {
            throw Bad(path, $"truncated: {bytes.Length} bytes, the header alone is {HeaderBytes}");
        }
        var header = bytes.AsSpan(0, HeaderBytes);
        if (!header[..4].SequenceEqual(Magic))
        {
            throw Bad(path, "bad magic (not an NTDS file)");
        }
        uint headerCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[60..]);
        if (Crc32.Compute(header[..60]) != headerCrc)
        {
            throw Bad(path, "header CRC mismatch");
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != Version)
        {
            throw Bad(path, $"version {version}, this tool reads version {Version}");
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        ushort rows = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
        ushort cols = BinaryPrimitives.ReadUInt16LittleEndian(header[14..]);
        ushort classes = BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
        if (rows != DatasetSpec.Side || cols != DatasetSpec.Side || classes == 0 || classes > 256)
        {
            throw Bad(path, $"unsupported shape {rows}x{cols} with {classes} classes");
        }
        long expected = HeaderBytes + (long)count * (1 + DatasetSpec.ImageBytes);
        if (bytes.Length != expected)
        {
            throw Bad(path, $"{(bytes.Length < expected ? "truncated" : "oversized")}: {bytes.Length} bytes, {count} images need {expected}");
        }
        var labels = bytes.AsSpan(HeaderBytes, (int)count).ToArray();
        var pixels = bytes.AsSpan(HeaderBytes + (int)count).ToArray();
        uint payloadCrc = Crc32.Update(Crc32.Compute(labels), pixels);
        if (payloadCrc != BinaryPrimitives.ReadUInt32LittleEndian(header[20..]))
        {
            throw Bad(path, "payload CRC mismatch");
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes)
            {
                throw Bad(path, $"label of image {i} is {labels[i]}, the file has {classes} classes");
            }
        }
        string name = Encoding.ASCII.GetString(header.Slice(32, 24)).TrimEnd('\0');
        return new LabeledImages(name, classes, labels, pixels);
    }

    private static NanoTrainException Bad(string path, string what) => new(ErrorKind.BadInput, $"{path}: {what}");
}
