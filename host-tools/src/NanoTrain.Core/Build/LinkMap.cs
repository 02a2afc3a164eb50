using System.Text.RegularExpressions;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Build;

/// <summary>
/// What a firmware's linker map (build/BOARD/app/APP.map, written by every link) says about heap allocation: the
/// firmware uses no malloc, free, realloc or calloc (DESIGN.md §2), so none of them, nor the C library's heap
/// members or sbrk, may be linked in.
/// </summary>
public static partial class LinkMap
{
    /// <summary>The allocator symbols and C-library members a map shows, in order of appearance; empty when there are none.</summary>
    public static IReadOnlyList<string> Allocators(string mapText)
    {
        ArgumentNullException.ThrowIfNull(mapText);
        var found = new List<string>();
        // Archive members pulled in ("libc_nano.a(lib_a-nano-mallocr.o)", "libc.a(libc_stdlib_malloc.c.o)").
        foreach (Match m in Member().Matches(mapText))
        {
            found.Add(m.Groups[1].Value);
        }
        // The symbol a member was pulled in for ("(malloc)"), and symbols defined in the map ("0x... malloc").
        foreach (Match m in Symbol().Matches(mapText))
        {
            found.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        }
        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The map next to an ELF (same name, .map); refuses an image that links an allocator, naming what.</summary>
    public static void RequireNoAllocator(string elfPath)
    {
        string map = Path.ChangeExtension(elfPath, ".map");
        if (!File.Exists(map))
        {
            throw new NanoTrainException(ErrorKind.MissingInput, $"{map}: the linker map is missing (the link writes it next to the image)");
        }
        var found = Allocators(File.ReadAllText(map));
        if (found.Count > 0)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{map}: the firmware links a heap allocator ({string.Join(", ", found)}); firmware may not use malloc/free");
        }
    }

    [GeneratedRegex(@"\.a\(([^()\s]*(?:malloc|free|realloc|calloc|sbrk)[^()\s]*)\)")]
    private static partial Regex Member();

    [GeneratedRegex(@"\((_{0,2}(?:malloc|free|realloc|calloc|sbrk)(?:_r)?)\)|^\s+0x[0-9a-fA-F]+\s+(_{0,2}(?:malloc|free|realloc|calloc|sbrk)(?:_r)?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Symbol();
}
