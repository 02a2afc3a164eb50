using System.Buffers.Binary;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Plan;

/// <summary>A plan space as the file lists it.</summary>
public sealed record PlanSpaceInfo(string Name, long Bytes);

/// <summary>
/// What the host needs to drive a plan on a board, read from a .ntplan file's header, spaces, tensor table
/// and training section: the board, the batch, the input, labels and logits tensors, the CRC. The full
/// check of the file is the engine loader's (on the board and in the host engine).
/// </summary>
public sealed record PlanFileInfo(
    string Path, byte[] Bytes, string Board, int Batch, uint Crc, IReadOnlyList<PlanSpaceInfo> Spaces,
    int[] InputDims, int InputBytes, int LabelsBytes, int Classes, bool Trainable)
{
    /// <summary>Tensor indices of the input, the labels and the logits.</summary>
    public (int Input, int Labels, int Logits) Tensors { get; init; }

    /// <summary>Elastic selection's workspace tensor and its bytes, when the plan reserves one (the elastic and nanotrain methods).</summary>
    public (int Index, int Bytes)? ElasticWorkspace { get; init; }

    /// <summary>The plan reserves elastic selection's workspace.</summary>
    public bool Elastic => ElasticWorkspace != null;

    /// <summary>Side of the (square) input image.</summary>
    public int Resolution => InputDims[1];

    /// <summary>Reads and checks the parts of a plan file the host relies on; a bad file is refused naming the field.</summary>
    public static PlanFileInfo Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: plan file not found (make one with `nanotrain plan`)");
        }
        byte[] bytes = File.ReadAllBytes(path);
        return Parse(path, bytes);
    }

    /// <summary>As <see cref="Read"/>, for bytes already in memory; <paramref name="path"/> names them in errors.</summary>
    public static PlanFileInfo Parse(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ReadOnlySpan<byte> s = bytes;
        NanoTrainException Bad(string field, string why) => new(ErrorKind.BadInput, $"{path}: {field}: {why}");
        if (s.Length < PlanFormat.HeaderBytes)
        {
            throw Bad("header", $"file is {s.Length} bytes, shorter than the {PlanFormat.HeaderBytes}-byte header");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(s) != PlanFormat.Magic)
        {
            throw Bad("magic", "not a nanoTrain plan (.ntplan)");
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(s[4..]) != PlanFormat.Version)
        {
            throw Bad("version", $"version {BinaryPrimitives.ReadUInt16LittleEndian(s[4..])}, this tool reads {PlanFormat.Version}");
        }
        uint fileBytes = BinaryPrimitives.ReadUInt32LittleEndian(s[PlanFormat.Header.FileBytes..]);
        if (fileBytes != s.Length)
        {
            throw Bad("file_bytes", $"header says {fileBytes} bytes, the file has {s.Length}");
        }
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(s[PlanFormat.Header.Crc..]);
        if (Crc32.Compute(s[16..]) != crc)
        {
            throw Bad("crc", $"the header's CRC-32 0x{crc:x8} does not match the file's 0x{Crc32.Compute(s[16..]):x8} (corrupt or truncated plan)");
        }
        var boardRaw = s.Slice(PlanFormat.Header.Board, PlanFormat.BoardBytes);
        int nul = boardRaw.IndexOf((byte)0);
        string board = Encoding.ASCII.GetString(nul < 0 ? boardRaw : boardRaw[..nul]);
        int nSpaces = BinaryPrimitives.ReadUInt16LittleEndian(s[32..]);
        int nTensors = BinaryPrimitives.ReadUInt16LittleEndian(s[34..]);
        int batch = BinaryPrimitives.ReadUInt16LittleEndian(s[38..]);
        long spacesOff = BinaryPrimitives.ReadUInt32LittleEndian(s[PlanFormat.Header.SpacesOffset..]);
        long tensorsOff = BinaryPrimitives.ReadUInt32LittleEndian(s[PlanFormat.Header.TensorsOffset..]);
        long trainOff = BinaryPrimitives.ReadUInt32LittleEndian(s[52..]);
        if (nSpaces < 1 || nSpaces > PlanFormat.MaxSpaces || spacesOff + ((long)nSpaces * PlanFormat.SpaceBytes) > s.Length)
        {
            throw Bad("spaces", $"{nSpaces} spaces at offset {spacesOff} do not fit the file");
        }
        if (tensorsOff + ((long)nTensors * PlanFormat.TensorBytes) > s.Length)
        {
            throw Bad("tensors", $"{nTensors} tensors at offset {tensorsOff} do not fit the file");
        }
        if (trainOff + PlanFormat.TrainHeaderBytes > s.Length)
        {
            throw Bad("train", $"training section at offset {trainOff} lies outside the file");
        }
        var spaces = new List<PlanSpaceInfo>();
        for (int i = 0; i < nSpaces; i++)
        {
            var e = s[(int)(spacesOff + (i * PlanFormat.SpaceBytes))..];
            var raw = e.Slice(8, 8);
            int end = raw.IndexOf((byte)0);
            spaces.Add(new PlanSpaceInfo(Encoding.ASCII.GetString(end < 0 ? raw : raw[..end]), BinaryPrimitives.ReadUInt32LittleEndian(e)));
        }
        var train = s[(int)trainOff..];
        int input = BinaryPrimitives.ReadUInt16LittleEndian(train);
        int labels = BinaryPrimitives.ReadUInt16LittleEndian(train[2..]);
        int logits = BinaryPrimitives.ReadUInt16LittleEndian(train[4..]);
        (int Bytes, int[] Dims) Tensor(int index, string field)
        {
            if (index >= nTensors)
            {
                throw Bad(field, $"tensor {index} does not exist (the plan has {nTensors})");
            }
            var e = bytes.AsSpan((int)(tensorsOff + (index * PlanFormat.TensorBytes)), PlanFormat.TensorBytes);
            var dims = new int[4];
            for (int d = 0; d < 4; d++)
            {
                dims[d] = BinaryPrimitives.ReadUInt16LittleEndian(e[(16 + (2 * d))..]);
            }
            return ((int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]), dims);
        }
        var inputTensor = Tensor(input, "train.input");
        var logitsTensor = Tensor(logits, "train.logits");
        bool trainable = labels != PlanFormat.None;
        int labelsBytes = trainable ? Tensor(labels, "train.labels").Bytes : 0;
        if (inputTensor.Dims[1] != inputTensor.Dims[2] || inputTensor.Dims[3] != 1 || inputTensor.Bytes != 4 * batch * inputTensor.Dims[1] * inputTensor.Dims[2])
        {
            throw Bad("train.input", $"input dims [{string.Join(',', inputTensor.Dims)}] are not a batch of square one-channel f32 images");
        }
        int elastic = BinaryPrimitives.ReadUInt16LittleEndian(train[16..]);
        return new PlanFileInfo(path, bytes, board, batch, crc, spaces, inputTensor.Dims, inputTensor.Bytes, labelsBytes, logitsTensor.Dims[3], trainable)
        {
            Tensors = (input, labels, logits),
            ElasticWorkspace = elastic != PlanFormat.None ? (elastic, Tensor(elastic, "train.elastic").Bytes) : null,
        };
    }
}
