using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Tests.Boards;

public class BoardCatalogTests
{
    private static readonly BoardCatalog Catalog = BoardCatalog.FromRepo(RepoPaths.Locate());

    [Fact]
    public void EveryDesignBoardHasADescriptor() =>
        Assert.Equal(new[] { "esp32c3-class", "m7-dev", "nucleo-h743zi", "openmv-h7", "stm32f405", "stm32f746", "stm32f746-disco" }, Catalog.Ids);

    [Theory]
    [InlineData("openmv-h7", "mps2-an500", "cortex-m7", 992 * 1024, 2048 * 1024, new[] { "DTCM", "AXI", "SRAM123", "SRAM4" })]
    [InlineData("stm32f746", "mps2-an500", "cortex-m7", 320 * 1024, 1024 * 1024, new[] { "DTCM", "SRAM1", "SRAM2" })]
    [InlineData("stm32f405", "netduinoplus2", "cortex-m4", 192 * 1024, 1024 * 1024, new[] { "SRAM", "CCM" })]
    [InlineData("m7-dev", "mps2-an500", "cortex-m7", 20 * 1024 * 1024, 4096 * 1024, new[] { "SSRAM23", "PSRAM" })]
    [InlineData("esp32c3-class", "virt", "rv32imc", 400 * 1024, 4096 * 1024, new[] { "SRAM" })]
    [InlineData("stm32f746-disco", "renode/platforms/stm32f746-disco.repl", "cortex-m7", 320 * 1024, 1024 * 1024, new[] { "DTCM", "SRAM1", "SRAM2" })]
    [InlineData("nucleo-h743zi", "renode/platforms/nucleo-h743zi.repl", "cortex-m7", 992 * 1024, 2048 * 1024, new[] { "DTCM", "AXI", "SRAM123", "SRAM4" })]
    public void DescriptorsStateTheRealChipsBanks(string id, string machine, string core, long sram, long flash, string[] banks)
    {
        var board = Catalog.Get(id);
        Assert.Equal(machine, board.Emulator.Machine);
        Assert.Equal(core, board.Core);
        Assert.Equal(sram, board.TotalSram);
        Assert.Equal(flash, board.Flash.Size);
        Assert.Equal(banks, board.Banks.Select(b => b.Name));
        Assert.NotNull(board.Bank(board.StackBank));
    }

    [Fact]
    public void UnknownBoardIsAUsageErrorListingTheKnownOnes()
    {
        var ex = Assert.Throws<NanoTrainException>(() => Catalog.Get("stm32h7xx"));
        Assert.Equal(ErrorKind.Usage, ex.Kind);
        Assert.Contains("unknown board 'stm32h7xx'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("openmv-h7", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"clockHz\": 480000000,", "", "missing field 'clockHz'")]
    [InlineData("\"base\": \"0x20100000\"", "\"base\": \"20100000\"", "field 'banks[1].base' should be a hex address")]
    [InlineData("\"base\": \"0x20100000\"", "\"base\": \"0x20010000\"", "overlap")]
    [InlineData("\"bank\": \"DTCM\"", "\"bank\": \"ITCM\"", "'stack.bank' names 'ITCM'")]
    [InlineData("\"size\": 131072,", "\"size\": \"big\",", "field 'banks[0].size' should be number")]
    public void MalformedDescriptorIsRefusedNamingTheField(string from, string to, string expected)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nt-board-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "openmv-h7"));
            string original = File.ReadAllText(Path.Combine(RepoPaths.Locate().Boards, "openmv-h7", "board.json"));
            Assert.Contains(from, original, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "openmv-h7", "board.json"), original.Replace(from, to, StringComparison.Ordinal));
            var ex = Assert.Throws<NanoTrainException>(() => new BoardCatalog(dir).Get("openmv-h7"));
            Assert.Equal(ErrorKind.BadInput, ex.Kind);
            Assert.Contains("board.json", ex.Message, StringComparison.Ordinal);
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
