using System.Text.Json.Nodes;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;

namespace NanoTrain.Cli.Tests;

/// <summary>
/// <c>nanotrain flash --dry-run</c>: the exact OpenOCD and st-flash commands for the chip boards (image, then the plan
/// at the image's plan slot), and refusals before any probe is touched. No board is attached here: only the commands are
/// checked.
/// </summary>
public class FlashCommandTests
{
    private static JsonObject DryRun(params string[] args)
    {
        var r = CliProcess.Run(["flash", "--dry-run", "--json", .. args]);
        Assert.True(r.ExitCode == 0, r.StandardError);
        return JsonNode.Parse(r.StandardOutput)!.AsObject();
    }

    private static string[] Arguments(JsonNode step) => step["arguments"]!.AsArray().Select(a => (string)a!).ToArray();

    [Fact]
    public void OpenOcdWritesAndVerifiesTheImageThenTheBoardRuns()
    {
        var o = DryRun("--board", "nucleo-h743zi");
        var steps = o["steps"]!.AsArray();
        var step = Assert.Single(steps);
        Assert.Equal("openocd", (string)step!["program"]!);
        string elf = (string)o["elf"]!;
        Assert.Equal("nucleo-h743zi", ElfImage.Load(elf).BoardId);
        Assert.Equal(
            ["-f", "interface/stlink.cfg", "-f", "target/stm32h7x.cfg", "-c", "init", "-c", "reset halt",
             "-c", $"flash write_image erase {elf}", "-c", $"verify_image {elf}", "-c", "reset run", "-c", "shutdown"],
            Arguments(step));
        Assert.StartsWith("openocd -f interface/stlink.cfg -f target/stm32h7x.cfg -c init -c 'reset halt'", (string)step["commandLine"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void StFlashWritesTheRawImageAtTheChipsFlash()
    {
        var o = DryRun("--board", "stm32f746-disco", "--probe", "stlink", "--port", "/dev/null");
        var steps = o["steps"]!.AsArray();
        string elf = (string)o["elf"]!;
        string bin = Path.ChangeExtension(elf, ".bin");
        Assert.Equal(["-O", "binary", elf, bin], Arguments(steps[0]!));
        Assert.Equal("arm-none-eabi-objcopy", (string)steps[0]!["program"]!);
        Assert.Equal(["--reset", "write", bin, "0x08000000"], Arguments(steps[1]!));
        Assert.Equal("/dev/null", (string)o["port"]!);
        Assert.True((bool)o["dryRun"]!);
    }

    [Fact]
    public void APlanGoesToTheImagesPlanSlotAfterTheImage()
    {
        var paths = RepoPaths.Locate();
        var board = BoardCatalog.FromRepo(paths).Get("stm32f746-disco");
        var elf = ElfImage.Load(new FirmwareBuilder(paths).Build(board, "trainer"));
        var slot = Assert.IsType<PlanSlot>(elf.Slot);
        Assert.True(slot.Address >= 0x08000000u && slot.Address + slot.Bytes <= 0x08000000u + board.Flash.Size, $"plan slot at 0x{slot.Address:x8}");
        var plan = new PlanFileInfo("/tmp/p.ntplan", new byte[1000], "stm32f746-disco", 1, 0, [], [1, 32, 32, 1], 4096, 1, 10, true);
        var openocd = FlashPlan.Steps(board, elf, plan, "openocd", "/tmp/x.bin", ["stm32f746-disco"]);
        string address = $"0x{slot.Address:x8}";
        Assert.Contains($"flash write_image erase /tmp/p.ntplan {address} bin", openocd[0].Arguments);
        Assert.Contains($"verify_image /tmp/p.ntplan {address} bin", openocd[0].Arguments);
        int image = openocd[0].Arguments.ToList().FindIndex(a => a.StartsWith("flash write_image erase " + elf.Path, StringComparison.Ordinal));
        int planAt = openocd[0].Arguments.ToList().IndexOf($"flash write_image erase /tmp/p.ntplan {address} bin");
        Assert.True(image >= 0 && image < planAt);
        var stlink = FlashPlan.Steps(board, elf, plan, "stlink", "/tmp/x.bin", ["stm32f746-disco"]);
        Assert.Equal(["write", "/tmp/p.ntplan", address], stlink[2].Arguments);
        Assert.Equal(["reset"], stlink[3].Arguments);

        var tooBig = plan with { Bytes = new byte[slot.Bytes + 1] };
        Assert.Contains("plan slot holds", Assert.Throws<NanoTrainException>(() => FlashPlan.Steps(board, elf, tooBig, "openocd", "/tmp/x.bin", [])).Message, StringComparison.Ordinal);
        var other = plan with { Board = "nucleo-h743zi" };
        Assert.Contains("for board 'nucleo-h743zi'", Assert.Throws<NanoTrainException>(() => FlashPlan.Steps(board, elf, other, "openocd", "/tmp/x.bin", [])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openmv-h7", "emulator layout")]
    [InlineData("m7-dev", "nucleo-h743zi, stm32f746-disco")]
    public void EmulatorLayoutsAreRefusedNamingTheChipBoards(string boardId, string expected)
    {
        var r = CliProcess.Run("flash", "--board", boardId, "--dry-run");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageForAnotherBoardOrAMissingPortIsRefused()
    {
        var paths = RepoPaths.Locate();
        string f746 = new FirmwareBuilder(paths).Build(BoardCatalog.FromRepo(paths).Get("stm32f746-disco"), "trainer");
        var r = CliProcess.Run("flash", "--board", "nucleo-h743zi", "--elf", f746, "--dry-run");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("built for board 'stm32f746-disco', not 'nucleo-h743zi'", r.StandardError, StringComparison.Ordinal);

        var port = CliProcess.Run("flash", "--board", "nucleo-h743zi", "--port", "/dev/ttyNOSUCH0", "--dry-run");
        Assert.NotEqual(0, port.ExitCode);
        Assert.Contains("/dev/ttyNOSUCH0: no such serial port", port.StandardError, StringComparison.Ordinal);

        var probe = CliProcess.Run("flash", "--board", "nucleo-h743zi", "--probe", "jlink", "--dry-run");
        Assert.NotEqual(0, probe.ExitCode);
    }
}
