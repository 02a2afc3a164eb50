using System.Buffers.Binary;
using System.Text;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Emulation;

/// <summary>The flash after a firmware image where a plan is flashed: [Address, Address + Bytes).</summary>
public sealed record PlanSlot(uint Address, uint Bytes);

/// <summary>One section of an ELF32 image.</summary>
public sealed record ElfSection(string Name, uint Address, uint Size, bool Allocated, bool HasContent);

/// <summary>
/// The parts of a 32-bit little-endian ELF file that the tools need: the machine, the sections and the
/// board id the firmware embeds in its <c>.nt_board_info</c> section.
/// </summary>
public sealed class ElfImage
{
    /// <summary>EM_ARM.</summary>
    public const ushort MachineArm = 40;

    /// <summary>EM_RISCV.</summary>
    public const ushort MachineRiscV = 243;

    private const string BoardInfoSection = ".nt_board_info";
    private const string BoardInfoPrefix = "nanotrain-board:";

    private ElfImage(string path, ushort machine, IReadOnlyList<ElfSection> sections, string? boardId)
    {
        Path = path;
        Machine = machine;
        Sections = sections;
        BoardId = boardId;
    }

    public string Path { get; }

    /// <summary>e_machine.</summary>
    public ushort Machine { get; }

    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>The board the image was built for, or null when it carries no board info.</summary>
    public string? BoardId { get; }

    /// <summary>Where the image expects a plan to be flashed, or null for an image without a plan slot record.</summary>
    public PlanSlot? Slot { get; private init; }

    private const uint PlanSlotMarker = 0x5350544E; // "NTPS"


    /// <summary>Reads an ELF file; anything that is not a well-formed ELF32 LE file is refused with the reason.</summary>
    public static ElfImage Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: ELF file not found");
        }
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> data = bytes;
        if (data.Length < 52 || data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not an ELF file");
        }
        if (data[4] != 1 || data[5] != 1)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not a 32-bit little-endian ELF file");
        }
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
        uint shoff = BinaryPrimitives.ReadUInt32LittleEndian(data[32..]);
        ushort shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data[46..]);
        ushort shnum = BinaryPrimitives.ReadUInt16LittleEndian(data[48..]);
        ushort shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(data[50..]);
        if (shentsize < 40 || shstrndx >= shnum || (ulong)shoff + (ulong)shnum * shentsize > (ulong)data.Length)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: section header table is truncated or invalid");
        }

        var raw = new List<(uint NameOffset, uint Type, uint Flags, uint Address, uint Offset, uint Size, uint Link)>();
        for (int i = 0; i < shnum; i++)
        {
            var h = data.Slice((int)shoff + (i * shentsize), shentsize);
            raw.Add((
                BinaryPrimitives.ReadUInt32LittleEndian(h),
                BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[8..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[12..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[16..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[20..]),
                BinaryPrimitives.ReadUInt32LittleEndian(h[24..])));
        }
        var strtab = raw[shstrndx];
        if ((ulong)strtab.Offset + strtab.Size > (ulong)data.Length)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: section name table lies outside the file");
        }
        var names = data.Slice((int)strtab.Offset, (int)strtab.Size);

        const uint ShtNobits = 8;
        const uint ShfAlloc = 2;
        var sections = new List<ElfSection>();
        string? boardId = null;
        PlanSlot? planSlot = null;
        foreach (var s in raw)
        {
            if (s.NameOffset >= names.Length)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: a section name lies outside the name table");
            }
            var nameBytes = names[(int)s.NameOffset..];
            int end = nameBytes.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]);
            bool hasContent = s.Type != ShtNobits && s.Type != 0;
            sections.Add(new ElfSection(name, s.Address, s.Size, (s.Flags & ShfAlloc) != 0, hasContent));
            if (name == BoardInfoSection && hasContent && (ulong)s.Offset + s.Size <= (ulong)data.Length)
            {
                var info = data.Slice((int)s.Offset, (int)s.Size);
                int nul = info.IndexOf((byte)0);
                string text = Encoding.ASCII.GetString(nul < 0 ? info : info[..nul]);
                if (text.StartsWith(BoardInfoPrefix, StringComparison.Ordinal))
                {
                    boardId = text[BoardInfoPrefix.Length..];
                }
                // The plan slot's record follows, word aligned: "NTPS", start, end.
                for (int at = 0; at + 12 <= info.Length; at += 4)
                {
                    if (BinaryPrimitives.ReadUInt32LittleEndian(info[at..]) == PlanSlotMarker)
                    {
                        uint start = BinaryPrimitives.ReadUInt32LittleEndian(info[(at + 4)..]);
                        uint stop = BinaryPrimitives.ReadUInt32LittleEndian(info[(at + 8)..]);
                        planSlot = stop >= start ? new PlanSlot(start, stop - start) : null;
                        break;
                    }
                }
            }
        }
        return new ElfImage(path, machine, sections, boardId) { Slot = planSlot, Symbols = ReadSymbols(raw, data) };
    }

    /// <summary>Defined symbols (functions, objects, linker-script symbols) by name: their address (a Thumb function's without bit 0).</summary>
    public IReadOnlyDictionary<string, uint> Symbols { get; private init; } = new Dictionary<string, uint>();

    private static Dictionary<string, uint> ReadSymbols(
        List<(uint NameOffset, uint Type, uint Flags, uint Address, uint Offset, uint Size, uint Link)> raw, ReadOnlySpan<byte> data)
    {
        const uint ShtSymtab = 2;
        var symbols = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var table in raw.Where(s => s.Type == ShtSymtab))
        {
            if (table.Link >= raw.Count || (ulong)table.Offset + table.Size > (ulong)data.Length)
            {
                continue;
            }
            var strings = raw[(int)table.Link];
            if ((ulong)strings.Offset + strings.Size > (ulong)data.Length)
            {
                continue;
            }
            var names = data.Slice((int)strings.Offset, (int)strings.Size);
            for (uint at = table.Offset; at + 16 <= table.Offset + table.Size; at += 16)
            {
                var entry = data.Slice((int)at, 16);
                uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
                uint value = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
                byte type = (byte)(entry[12] & 0xF);
                ushort section = BinaryPrimitives.ReadUInt16LittleEndian(entry[14..]);
                if (type > 2 || section == 0 || nameOffset >= names.Length)
                {
                    continue; // not a defined object, function or linker-script symbol
                }
                var nameBytes = names[(int)nameOffset..];
                int end = nameBytes.IndexOf((byte)0);
                symbols.TryAdd(Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]), type == 2 ? value & ~1u : value);
            }
        }
        return symbols;
    }

    /// <summary>Bytes the image occupies in a region: allocated sections whose address range falls inside it.</summary>
    public long BytesIn(Boards.MemoryRegion region) =>
        Sections.Where(s => s.Allocated && s.Size > 0 && region.Contains(s.Address, s.Size)).Sum(s => (long)s.Size);

    /// <summary>Flash bytes: allocated sections with content (code, constants, initial data).</summary>
    public long FlashBytes(Boards.MemoryRegion flash) =>
        Sections.Where(s => s.Allocated && s.HasContent && s.Size > 0 && flash.Contains(s.Address, s.Size)).Sum(s => (long)s.Size)
        + Sections.Where(s => s.Allocated && s.HasContent && s.Name == ".data").Sum(s => (long)s.Size);
}
