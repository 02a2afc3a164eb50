using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using NanoTrain.Core.Common;
using NanoTrain.Core.Onnx.Proto;

namespace NanoTrain.Core.Onnx;

/// <summary>
/// Reads and writes ONNX files (protobuf <see cref="ModelProto"/>) and decodes their tensors. A file that does not parse
/// is described by where it breaks: the graph element (node, initializer, input) the bytes end inside, by name when
/// its name was written before the damage.
/// </summary>
public static class OnnxFile
{
    /// <summary>Oldest default-domain opset read.</summary>
    public const int MinOpset = 9;

    /// <summary>Newest default-domain opset read.</summary>
    public const int MaxOpset = 22;

    /// <summary>Opset of the files <see cref="OnnxExporter"/> writes (Clip with min/max as inputs).</summary>
    public const int ExportOpset = 13;

    /// <summary>IR version of the files written (the one of ONNX 1.8, which introduced opset 13).</summary>
    public const int ExportIrVersion = 7;

    /// <summary>Reads an ONNX model; a missing, damaged or non-ONNX file is refused in one line naming the file.</summary>
    public static ModelProto Load(string path) => Parse(path, Read(path));

    /// <summary>The bytes of the ONNX file <paramref name="path"/>; a missing file is refused naming it.</summary>
    public static byte[] Read(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: ONNX file not found");

    /// <summary>The model in <paramref name="bytes"/>, read from <paramref name="path"/>; damage is described as for <see cref="Load"/>.</summary>
    public static ModelProto Parse(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not a valid ONNX protobuf: {DescribeDamage(bytes) ?? ex.Message}", ex);
        }
        if (model.Graph == null || model.Graph.Node.Count == 0)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not an ONNX model: it has no graph with nodes ({bytes.Length:N0} bytes)");
        }
        return model;
    }

    /// <summary>Writes <paramref name="model"/> atomically.</summary>
    public static void Save(string path, ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.WriteAllBytes(path, model.ToByteArray());
    }

    /// <summary>The default-domain opset the model imports; refused outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</summary>
    public static int Opset(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var entry = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field opset_import names no default-domain (ai.onnx) opset");
        if (entry.Version < MinOpset || entry.Version > MaxOpset)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: opset {entry.Version} is outside the supported {MinOpset}..{MaxOpset}; convert the model (onnx.version_converter) to one of those");
        }
        return (int)entry.Version;
    }

    /// <summary>Number of elements the dims describe (1 for a scalar); -1 when a dim is negative or the count overflows.</summary>
    public static long ElementCount(IEnumerable<long> dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0 || (d > 0 && n > int.MaxValue / d))
            {
                return -1;
            }
            n *= d;
        }
        return n;
    }

    /// <summary>
    /// A float tensor's values (float, double and float16 tensors are read), checked against its dims.
    /// <paramref name="owner"/> names it in errors ("initializer 'w' of node 'conv1'").
    /// </summary>
    public static float[] Floats(TensorProto tensor, string owner)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long count = CheckedCount(tensor, owner);
        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return Decode(tensor, owner, count, 4, tensor.FloatData, (b, i) => BinaryPrimitives.ReadSingleLittleEndian(b[(i * 4)..]));
            case TensorProto.Types.DataType.Double:
                return Decode(tensor, owner, count, 8, tensor.DoubleData.Select(d => (float)d).ToList(), (b, i) => (float)BinaryPrimitives.ReadDoubleLittleEndian(b[(i * 8)..]));
            case TensorProto.Types.DataType.Float16:
                // float16 values travel in int32_data, one per element, when not raw.
                return Decode(tensor, owner, count, 2, tensor.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToList(),
                    (b, i) => (float)BinaryPrimitives.ReadHalfLittleEndian(b[(i * 2)..]));
            default:
                throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: data type {TypeName(tensor.DataType)} where float values are needed");
        }
    }

    /// <summary>An integer tensor's values (int64 or int32), checked against its dims.</summary>
    public static long[] Integers(TensorProto tensor, string owner)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long count = CheckedCount(tensor, owner);
        var values = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Int64 => Decode(tensor, owner, count, 8, tensor.Int64Data, (b, i) => BinaryPrimitives.ReadInt64LittleEndian(b[(i * 8)..])),
            TensorProto.Types.DataType.Int32 => Decode(tensor, owner, count, 4, tensor.Int32Data.Select(v => (long)v).ToList(), (b, i) => BinaryPrimitives.ReadInt32LittleEndian(b[(i * 4)..])),
            _ => throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: data type {TypeName(tensor.DataType)} where integers are needed"),
        };
        return values;
    }

    /// <summary>ONNX's name of a TensorProto data type number.</summary>
    public static string TypeName(int dataType) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant() : $"#{dataType}";

    private static long CheckedCount(TensorProto tensor, string owner)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            string file = tensor.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: its data is in the external file '{file}'; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False))");
        }
        long count = ElementCount(tensor.Dims);
        if (count < 0)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: dims [{string.Join(", ", tensor.Dims)}] are negative or too large");
        }
        return count;
    }

    private delegate T Element<T>(ReadOnlySpan<byte> raw, int index);

    private static T[] Decode<T>(TensorProto tensor, string owner, long count, int size, IList<T> typed, Element<T> element)
    {
        string dims = $"[{string.Join(", ", tensor.Dims)}]";
        if (!tensor.RawData.IsEmpty)
        {
            if (tensor.RawData.Length != count * size)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: raw_data holds {tensor.RawData.Length:N0} bytes, its dims {dims} need {count * size:N0} ({count:N0} × {size})");
            }
            var raw = tensor.RawData.Span;
            var values = new T[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = element(raw, i);
            }
            return values;
        }
        if (typed.Count != count)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{owner}: holds {typed.Count:N0} values, its dims {dims} need {count:N0}");
        }
        return [.. typed];
    }

    /// <summary>
    /// Where a file that does not parse breaks, walking the model's and the graph's fields without the parser: the first
    /// field whose length runs past the end (or whose tag is not protobuf) is named. Null when the walk finds nothing.
    /// </summary>
    internal static string? DescribeDamage(ReadOnlySpan<byte> bytes)
    {
        var fields = new WireReader(bytes);
        while (!fields.AtEnd)
        {
            if (!fields.Next(out int number, out int offset, out int length, out bool truncated))
            {
                return $"byte {fields.Position:N0} of {bytes.Length:N0} is not a protobuf field; is this an ONNX file?";
            }
            if (number == 7 && length >= 0)
            {
                var graph = bytes.Slice(offset, Math.Min(length, bytes.Length - offset));
                return DescribeGraphDamage(graph, truncated, bytes.Length, offset + length);
            }
            if (truncated)
            {
                return $"the file ends inside model field {number} ({bytes.Length:N0} bytes; is it truncated?)";
            }
        }
        return null;
    }

    private static string? DescribeGraphDamage(ReadOnlySpan<byte> graph, bool truncated, long fileBytes, long graphEnd)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string? last = null;
        var fields = new WireReader(graph);
        while (!fields.AtEnd)
        {
            if (!fields.Next(out int number, out int offset, out int length, out bool cut))
            {
                return $"byte {fields.Position:N0} of the graph is not a protobuf field{After(last)}";
            }
            var (kind, nameField) = number switch
            {
                1 => ("node", 3),
                5 => ("initializer", 8),
                11 => ("input", 1),
                12 => ("output", 1),
                13 => ("value_info", 1),
                _ => ("field " + number, 0),
            };
            int index = counts[kind] = counts.GetValueOrDefault(kind, -1) + 1;
            string? name = nameField == 0 || length < 0 ? null : StringField(graph.Slice(offset, Math.Min(length, graph.Length - offset)), nameField);
            string what = name == null ? $"{kind} #{index}" : $"{kind} '{name}' (#{index})";
            if (cut)
            {
                string present = length < 0 ? "" : $": {graph.Length - offset:N0} of its {length:N0} bytes are there";
                return $"the file ends inside the graph's {what}{present} ({fileBytes:N0} bytes; is it truncated?)";
            }
            last = what;
        }
        return truncated ? $"the file ends inside the graph, after its {last ?? "start"} ({fileBytes:N0} of {graphEnd:N0} bytes; is it truncated?)" : null;
    }

    private static string After(string? last) => last == null ? "" : $", after {last}";

    /// <summary>The first string field <paramref name="number"/> of a message, read as far as the bytes go.</summary>
    private static string? StringField(ReadOnlySpan<byte> message, int number)
    {
        var fields = new WireReader(message);
        while (!fields.AtEnd && fields.Next(out int n, out int offset, out int length, out bool cut))
        {
            if (n == number && length >= 0 && !cut)
            {
                return Encoding.UTF8.GetString(message.Slice(offset, length));
            }
        }
        return null;
    }

    /// <summary>Walks protobuf fields: number, and for length-delimited ones where the payload starts and how long it says it is.</summary>
    private ref struct WireReader
    {
        private readonly ReadOnlySpan<byte> _bytes;

        public WireReader(ReadOnlySpan<byte> bytes)
        {
            _bytes = bytes;
            Position = 0;
        }

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _bytes.Length;

        /// <summary>
        /// The next field. False when its tag or wire type is not protobuf. <paramref name="truncated"/> when the field
        /// runs past the end; <paramref name="length"/> is -1 for fields that are not length-delimited.
        /// </summary>
        public bool Next(out int number, out int offset, out int length, out bool truncated)
        {
            number = 0;
            offset = 0;
            length = -1;
            truncated = false;
            if (!Varint(out ulong tag) || tag >> 3 == 0 || tag >> 3 > int.MaxValue)
            {
                return false;
            }
            number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    truncated = !Varint(out _);
                    return true;
                case 1:
                    return Skip(8, out truncated);
                case 5:
                    return Skip(4, out truncated);
                case 2:
                    if (!Varint(out ulong size))
                    {
                        truncated = true;
                        return true;
                    }
                    offset = Position;
                    length = size > int.MaxValue ? int.MaxValue : (int)size;
                    truncated = (long)Position + length > _bytes.Length;
                    Position = truncated ? _bytes.Length : Position + length;
                    return true;
                default:
                    return false;
            }
        }

        private bool Skip(int size, out bool truncated)
        {
            truncated = Position + size > _bytes.Length;
            Position = Math.Min(_bytes.Length, Position + size);
            return true;
        }

        private bool Varint(out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (Position >= _bytes.Length)
                {
                    return false;
                }
                byte b = _bytes[Position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
