using System.Reflection;
using System.Runtime.InteropServices;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;

namespace NanoTrain.Native;

/// <summary>
/// Finds the host build of the engine (<c>build/host/engine/libntengine.so</c>), building it first when it
/// is missing, and points every <c>ntengine</c> import of this assembly at it. <c>NANOTRAIN_ENGINE_LIB</c> names another
/// build to load instead (the sanitized one of preset host-sanitize, under <c>./nanotrain test</c>).
/// </summary>
public static class NativeLibraryLoader
{
    internal const string LibraryName = "ntengine";

    /// <summary>Environment variable naming an engine library to load instead of the host build's.</summary>
    public const string LibraryVariable = "NANOTRAIN_ENGINE_LIB";
    private static readonly Lock Gate = new();
    private static IntPtr _handle;
    private static readonly HashSet<Assembly> Resolved = [];

    /// <summary>Makes sure the engine is built and loadable; called by every binding's static constructor.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero)
            {
                return;
            }
            string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
            string path = string.IsNullOrEmpty(chosen)
                ? Path.Combine(new FirmwareBuilder(RepoPaths.Locate()).BuildHost(), "engine", "libntengine.so")
                : Path.GetFullPath(chosen);
            if (!File.Exists(path))
            {
                throw new NanoTrainException(ErrorKind.Environment, string.IsNullOrEmpty(chosen)
                    ? $"{path}: the host engine library was not built"
                    : $"{path}: no such engine library ({LibraryVariable})");
            }
            _handle = NativeLibrary.Load(ShadowCopy(path));
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        }
    }

    /// <summary>As <see cref="EnsureLoaded"/>, and points the <c>ntengine</c> imports of another assembly at the same library.</summary>
    public static void EnsureLoadedFor(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        EnsureLoaded();
        lock (Gate)
        {
            if (assembly != typeof(NativeLibraryLoader).Assembly && Resolved.Add(assembly))
            {
                NativeLibrary.SetDllImportResolver(assembly, Resolve);
            }
        }
    }

    /// <summary>
    /// Loads a private copy named by the library's content hash: the linker rewrites libntengine.so in place,
    /// which would pull the code from under a long run (a pretraining) when the engine is rebuilt meanwhile.
    /// </summary>
    private static string ShadowCopy(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
        string dir = Path.Combine(Path.GetDirectoryName(path)!, "loaded");
        Directory.CreateDirectory(dir);
        string copy = Path.Combine(dir, $"libntengine-{hash}.so");
        if (!File.Exists(copy))
        {
            string temp = $"{copy}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, copy, overwrite: true);
        }
        return copy;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? _handle : IntPtr.Zero;
}
