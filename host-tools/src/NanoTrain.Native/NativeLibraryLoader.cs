using System.Reflection;
using System.Runtime.InteropServices;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;

namespace NanoTrain.Native;

/// <summary>
/// Finds the host build of the engine (<c>build/host/engine/libntengine.so</c>), building it first when it
/// is missing, and points every <c>ntengine</c> import of this assembly at it.
/// </summary>
public static class NativeLibraryLoader
{
    internal const string LibraryName = "ntengine";
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
            var paths = RepoPaths.Locate();
            string buildDir = new FirmwareBuilder(paths).BuildHost();
            string path = Path.Combine(buildDir, "engine", "libntengine.so");
            if (!File.Exists(path))
            {
                throw new NanoTrainException(ErrorKind.Environment, $"{path}: the host engine library was not built");
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
