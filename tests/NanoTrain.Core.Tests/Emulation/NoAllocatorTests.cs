using NanoTrain.Core.Build;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Tests.Emulation;

/// <summary>No firmware image links a heap allocator: every app of every board, read from its linker map.</summary>
[Collection("firmware")]
public class NoAllocatorTests(FirmwareFixture firmware)
{
    [Fact]
    public void NoImageOfAnyBoardLinksMallocOrFree()
    {
        int images = 0;
        foreach (var board in firmware.Catalog.All())
        {
            foreach (string app in FirmwareBuilder.AppsFor(board))
            {
                LinkMap.RequireNoAllocator(firmware.Elf(board.Id, app));
                images++;
            }
        }
        Assert.True(images >= 40, $"{images} images checked");
    }

    [Theory]
    [InlineData("/usr/lib/arm-none-eabi/lib/libc_nano.a(lib_a-nano-mallocr.o)\n                              main.c.obj (malloc)", "lib_a-nano-mallocr.o")]
    [InlineData("/usr/lib/picolibc/riscv64-unknown-elf/lib/rv32im/ilp32/libc.a(libc_stdlib_free.c.o)\n   x.o (free)", "libc_stdlib_free.c.o")]
    [InlineData(" .text          0x00001000       0x40 x.o\n                0x00001000                _malloc_r\n", "_malloc_r")]
    public void AMapThatLinksAnAllocatorIsCaught(string map, string expected)
    {
        Assert.Contains(expected, LinkMap.Allocators(map));
    }

    [Fact]
    public void TheEnginesOwnNamesAreNotAllocators()
    {
        string map = "libnt_engine.a(nt_slots.c.obj)\n                0x00001000                arena_free\n                0x00001010                nt_free_bytes\n";
        Assert.Empty(LinkMap.Allocators(map));
        var missing = Assert.Throws<NanoTrainException>(() => LinkMap.RequireNoAllocator("/nonexistent/app.elf"));
        Assert.Contains("/nonexistent/app.map", missing.Message, StringComparison.Ordinal);
    }
}
