using System.Globalization;
using System.Text.Json;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Boards;

/// <summary>A memory region of a board: one SRAM bank, or the flash.</summary>
/// <param name="Name">Bank name as in the linker script (DTCM, AXI, ...).</param>
/// <param name="Base">Address in the emulated machine (and in the firmware's linker script).</param>
/// <param name="Size">Bytes.</param>
/// <param name="ChipBase">Address on the real chip when it differs from <paramref name="Base"/>.</param>
public sealed record MemoryRegion(string Name, uint Base, uint Size, uint? ChipBase)
{
    /// <summary>One past the last byte.</summary>
    public ulong End => (ulong)Base + Size;

    /// <summary>True when [address, address+length) lies inside this region.</summary>
    public bool Contains(ulong address, ulong length) => address >= Base && address + length <= End;
}

/// <summary>How the emulator runs this board and how its counter converts to instructions.</summary>
/// <param name="Program">Emulator executable (qemu-system-arm).</param>
/// <param name="Machine">QEMU machine name.</param>
/// <param name="Cpu">Core QEMU emulates for the machine.</param>
/// <param name="SysTickHz">SysTick processor clock in the emulator.</param>
/// <param name="InstructionsPerTickNum">Instructions per SysTick tick under -icount shift=0, numerator.</param>
/// <param name="InstructionsPerTickDen">Denominator of the same ratio.</param>
public sealed record EmulatorInfo(
    string Program, string Machine, string Cpu, long SysTickHz, long InstructionsPerTickNum, long InstructionsPerTickDen)
{
    /// <summary>Further emulator arguments the machine needs (riscv virt: -bios none).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>The ELF machine (e_machine) of the images this emulator runs.</summary>
    public ushort ElfMachine => Program.Contains("riscv", StringComparison.Ordinal) ? Emulation.ElfImage.MachineRiscV : Emulation.ElfImage.MachineArm;

    /// <summary>Instructions per counter tick as a real number.</summary>
    public double InstructionsPerTick => (double)InstructionsPerTickNum / InstructionsPerTickDen;

    /// <summary>Instructions for a tick count, rounded down as the firmware does.</summary>
    public long TicksToInstructions(long ticks) => ticks * InstructionsPerTickNum / InstructionsPerTickDen;
}

/// <summary>How a debug probe reaches the real chip: OpenOCD's interface and target scripts.</summary>
/// <param name="OpenOcdInterface">OpenOCD interface script (interface/stlink.cfg).</param>
/// <param name="OpenOcdTarget">OpenOCD target script (target/stm32f4x.cfg).</param>
public sealed record ProbeInfo(string OpenOcdInterface, string OpenOcdTarget);

/// <summary>
/// Everything known about one board, read from <c>firmware/boards/&lt;id&gt;/board.json</c>: the single
/// source of truth that the build (CMake), the runner and the planner all read.
/// </summary>
public sealed record BoardDescriptor(
    string Id,
    string Description,
    string Core,
    string Fpu,
    long ClockHz,
    MemoryRegion Flash,
    IReadOnlyList<MemoryRegion> Banks,
    string StackBank,
    uint StackSize,
    string UartKind,
    uint UartBase,
    EmulatorInfo Emulator,
    string SourcePath)
{
    /// <summary>How a probe flashes the real chip, or null for a board that is no chip (or not yet described for one).</summary>
    public ProbeInfo? Probe { get; init; }

    /// <summary>True when the image's addresses are the real chip's: flash and every bank sit where the chip has them.</summary>
    public bool ChipLayout => (Flash.ChipBase ?? Flash.Base) == Flash.Base && Banks.All(b => (b.ChipBase ?? b.Base) == b.Base);

    /// <summary>Total SRAM over all banks.</summary>
    public long TotalSram => Banks.Sum(b => (long)b.Size);

    /// <summary>The bank called <paramref name="name"/>, or null.</summary>
    public MemoryRegion? Bank(string name) => Banks.FirstOrDefault(b => b.Name == name);

    /// <summary>Parses and validates a board.json; errors name the file and the field.</summary>
    public static BoardDescriptor Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{path}: board descriptor not found");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: not valid JSON ({ex.Message})", ex);
        }
        using (doc)
        {
            var reader = new FieldReader(path, doc.RootElement);
            var flash = ReadRegion(reader, "flash");
            var banksElement = reader.Array("banks");
            var banks = new List<MemoryRegion>();
            for (int i = 0; i < banksElement.GetArrayLength(); i++)
            {
                banks.Add(ReadRegion(new FieldReader(path, banksElement[i], $"banks[{i}]."), null));
            }
            if (banks.Count == 0)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'banks' is empty");
            }
            var duplicate = banks.GroupBy(b => b.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate != null)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: bank name '{duplicate.Key}' appears twice");
            }
            var all = banks.Append(flash).OrderBy(r => r.Base).ToList();
            for (int i = 1; i < all.Count; i++)
            {
                if (all[i].Base < all[i - 1].End)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{path}: regions '{all[i - 1].Name}' and '{all[i].Name}' overlap");
                }
            }
            var emulator = new FieldReader(path, reader.Object("emulator"), "emulator.");
            var ratio = new FieldReader(path, emulator.Object("instructionsPerTick"), "emulator.instructionsPerTick.");
            var stack = new FieldReader(path, reader.Object("stack"), "stack.");
            var uart = new FieldReader(path, reader.Object("uart"), "uart.");
            string stackBank = stack.String("bank");
            if (banks.All(b => b.Name != stackBank))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'stack.bank' names '{stackBank}', which is not a bank");
            }
            var descriptor = new BoardDescriptor(
                reader.String("id"),
                reader.String("description"),
                reader.String("core"),
                reader.String("fpu"),
                reader.Long("clockHz"),
                flash,
                banks,
                stackBank,
                (uint)stack.Long("size"),
                uart.String("kind"),
                uart.Address("base"),
                new EmulatorInfo(
                    emulator.String("program"),
                    emulator.String("machine"),
                    emulator.String("cpu"),
                    emulator.Long("sysTickHz"),
                    ratio.Long("num"),
                    ratio.Long("den"))
                {
                    ExtraArguments = emulator.Has("arguments") ? emulator.Strings("arguments") : [],
                },
                path)
            {
                Probe = reader.Has("probe") ? ReadProbe(new FieldReader(path, reader.Object("probe"), "probe.")) : null,
            };
            if (descriptor.Emulator.InstructionsPerTickNum <= 0 || descriptor.Emulator.InstructionsPerTickDen <= 0)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'emulator.instructionsPerTick' must be positive");
            }
            return descriptor;
        }
    }

    private static MemoryRegion ReadRegion(FieldReader reader, string? field)
    {
        var r = field == null ? reader : new FieldReader(reader.Path, reader.Object(field), field + ".");
        long size = r.Long("size");
        if (size <= 0 || size > uint.MaxValue)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{reader.Path}: field '{r.Prefix}size' must be between 1 and 4 GiB");
        }
        uint baseAddress = r.Address("base");
        if ((ulong)baseAddress + (ulong)size > 0x1_0000_0000ul)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{reader.Path}: region '{r.Prefix}' runs past the 4 GiB address space");
        }
        return new MemoryRegion(r.String("name"), baseAddress, (uint)size, r.OptionalAddress("chipBase"));
    }

    /// <summary>Reads typed fields and names the file and field when one is missing or wrong.</summary>
    private static ProbeInfo ReadProbe(FieldReader probe) => new(probe.String("openocdInterface"), probe.String("openocdTarget"));

    private sealed class FieldReader(string path, JsonElement element, string prefix = "")
    {
        public string Path { get; } = path;

        public string Prefix { get; } = prefix;

        private JsonElement Get(string name, JsonValueKind kind)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{Path}: missing field '{Prefix}{name}'");
            }
            if (value.ValueKind != kind)
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{Path}: field '{Prefix}{name}' should be {kind.ToString().ToLowerInvariant()}, is {value.ValueKind.ToString().ToLowerInvariant()}");
            }
            return value;
        }

        public string String(string name) => Get(name, JsonValueKind.String).GetString()!;

        public long Long(string name)
        {
            var value = Get(name, JsonValueKind.Number);
            if (!value.TryGetInt64(out long result))
            {
                throw new NanoTrainException(ErrorKind.BadInput, $"{Path}: field '{Prefix}{name}' is not an integer");
            }
            return result;
        }

        public JsonElement Object(string name) => Get(name, JsonValueKind.Object);

        public IReadOnlyList<string> Strings(string name) =>
            [.. Array(name).EnumerateArray().Select((v, i) => v.ValueKind == JsonValueKind.String
                ? v.GetString()!
                : throw new NanoTrainException(ErrorKind.BadInput, $"{Path}: field '{Prefix}{name}[{i}]' should be a string"))];

        public bool Has(string name) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _);

        public JsonElement Array(string name) => Get(name, JsonValueKind.Array);

        public uint Address(string name) => ParseAddress(name, String(name));

        public uint? OptionalAddress(string name) =>
            element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? ParseAddress(name, v.GetString()!) : null;

        private uint ParseAddress(string name, string text)
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && uint.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value))
            {
                return value;
            }
            throw new NanoTrainException(ErrorKind.BadInput, $"{Path}: field '{Prefix}{name}' should be a hex address like \"0x20000000\", is \"{text}\"");
        }
    }
}
