using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;

namespace NanoTrain.Core.Tests.Emulation;

/// <summary>Each QEMU board (ARM and RISC-V) boots its smoke firmware, reports its facts and counts instructions exactly.</summary>
[Collection("firmware")]
public class BoardBootTests(FirmwareFixture firmware)
{
    public static TheoryData<string> Boards => new() { "openmv-h7", "stm32f746", "stm32f405", "m7-dev", "esp32c3-class" };

    [Theory]
    [MemberData(nameof(Boards))]
    public void BootsReportsItsFactsAndCountsInstructionsExactlyTwice(string id)
    {
        var board = firmware.Catalog.Get(id);
        var runner = new QemuRunner();
        var first = runner.Run(board, firmware.Elf(id, "smoke"));
        var second = runner.Run(board, firmware.Elf(id, "smoke"));

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("ok", first.Facts["result"]);
        Assert.Equal(id, first.Facts["board"]);
        Assert.Equal(board.Core, first.Facts["core"]);
        Assert.Equal(board.Banks.Select(b => $"{b.Name} 0x{b.Base:x8} {b.Size}"), first.All("bank"));
        Assert.Equal($"{board.Flash.Name} 0x{board.Flash.Base:x8} {board.Flash.Size}", first.Facts["flash"]);

        foreach (var loop in CounterCalibration.Check(board, first))
        {
            Assert.True(loop.Passed,
                $"{id} {loop.Name}: measured {loop.Measured} instructions ({loop.Ticks} ticks), known {loop.Expected}, error {loop.Error}, allowed ±{loop.Tolerance}");
        }
        // Instruction counting under -icount is deterministic: a second boot measures the same ticks.
        Assert.Equal(first.Number("calib_raw_ticks"), second.Number("calib_raw_ticks"));
        Assert.Equal(first.Number("calib_long_ticks"), second.Number("calib_long_ticks"));
        Assert.Equal(first.Uart, second.Uart);
    }

    [Fact]
    public void TheNetduinoConstantIsMeasuredNotAssumed()
    {
        // The descriptor's 125/21 instructions per tick (168 MHz SysTick, 1 ns per instruction) must be
        // what the raw loop measures: 2,000,002 known instructions within one tick.
        var board = firmware.Catalog.Get("stm32f405");
        var run = new QemuRunner().Run(board, firmware.Elf("stm32f405", "smoke"));
        var raw = CounterCalibration.Check(board, run).Single(l => l.Name == "raw");
        Assert.InRange(raw.MeasuredInstructionsPerTick * raw.Ticks, raw.Expected - 0.5, raw.Expected + 0.5);
        Assert.InRange(Math.Abs(raw.MeasuredInstructionsPerTick - board.Emulator.InstructionsPerTick) * raw.Ticks, 0, board.Emulator.InstructionsPerTick);
    }
}

/// <summary>What the runner does with bad input: it says what is wrong and never hangs.</summary>
[Collection("firmware")]
public class RunnerErrorTests(FirmwareFixture firmware)
{
    [Fact]
    public void ElfBuiltForAnotherBoardIsRefused()
    {
        var ex = Assert.Throws<NanoTrainException>(() =>
            new QemuRunner().Run(firmware.Catalog.Get("stm32f405"), firmware.Elf("openmv-h7", "smoke")));
        Assert.Equal(ErrorKind.BadInput, ex.Kind);
        Assert.Contains("built for board 'openmv-h7', not 'stm32f405'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingElfIsReported()
    {
        var ex = Assert.Throws<NanoTrainException>(() =>
            new QemuRunner().Run(firmware.Catalog.Get("openmv-h7"), "/nonexistent/firmware.elf"));
        Assert.Equal(ErrorKind.MissingInput, ex.Kind);
        Assert.Contains("/nonexistent/firmware.elf: ELF file not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FileThatIsNotAnElfIsRefused()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not an image");
            var ex = Assert.Throws<NanoTrainException>(() => new QemuRunner().Run(firmware.Catalog.Get("openmv-h7"), path));
            Assert.Equal(ErrorKind.BadInput, ex.Kind);
            Assert.Contains("not an ELF file", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MissingQemuIsReportedWithTheInstallCommand()
    {
        var ex = Assert.Throws<NanoTrainException>(() =>
            new QemuRunner(_ => null).Run(firmware.Catalog.Get("openmv-h7"), firmware.Elf("openmv-h7", "smoke")));
        Assert.Equal(ErrorKind.Environment, ex.Kind);
        Assert.Contains("qemu-system-arm not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y qemu-system-arm", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openmv-h7")]
    [InlineData("stm32f405")]
    public void FirmwareThatNeverExitsIsStoppedAtTheTimeout(string id)
    {
        var started = DateTime.UtcNow;
        var ex = Assert.Throws<NanoTrainException>(() =>
            new QemuRunner().Run(firmware.Catalog.Get(id), firmware.Elf(id, "hang"), TimeSpan.FromSeconds(2)));
        Assert.Equal(ErrorKind.Timeout, ex.Kind);
        Assert.Contains("did not exit within 2 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("hang firmware: looping forever", ex.Message, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the runner did not stop the hung firmware");
    }

    [Fact]
    public void ElfSectionsAreAttributedToTheBoardsRegions()
    {
        var board = firmware.Catalog.Get("openmv-h7");
        var elf = ElfImage.Load(firmware.Elf("openmv-h7", "smoke"));
        Assert.Equal(ElfImage.MachineArm, elf.Machine);
        Assert.Equal("openmv-h7", elf.BoardId);
        Assert.InRange(elf.FlashBytes(board.Flash), 1000, 64 * 1024);
        // The stack reserve sits in the stack bank.
        Assert.True(elf.BytesIn(board.Bank(board.StackBank)!) >= board.StackSize);
    }
}
