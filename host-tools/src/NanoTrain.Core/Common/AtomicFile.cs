namespace NanoTrain.Core.Common;

/// <summary>
/// Writes a file through a uniquely named temporary sibling and a rename, so a failure never leaves a partial file
/// behind and two processes writing one file never mix. The folder must exist.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, temp => File.WriteAllBytes(temp, bytes));
    }

    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, temp => File.WriteAllText(temp, text));
    }

    /// <summary>
    /// Refuses, before any work, an output path that can never be written: a folder, or a path under a file. Commands
    /// check every output this way first, so a bad one fails before the others are written.
    /// </summary>
    public static void CheckTarget(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "-")
        {
            return;
        }
        RefuseUnwritable(path, Path.GetFullPath(path));
    }

    /// <summary>Refuses a target that is a folder, or one below a file.</summary>
    private static void RefuseUnwritable(string path, string full)
    {
        if (Directory.Exists(full))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{path}: is a folder, not a file");
        }
        for (string? up = Path.GetDirectoryName(full); up != null; up = Path.GetDirectoryName(up))
        {
            if (File.Exists(up))
            {
                throw new NanoTrainException(ErrorKind.Usage, $"{path}: cannot write there: {up} is a file, not a folder");
            }
        }
    }

    /// <summary>Creates the folder <paramref name="full"/> goes in (after <see cref="RefuseUnwritable"/>), or says in one line why it cannot be.</summary>
    private static void CreateFolder(string path, string full)
    {
        string? dir = Path.GetDirectoryName(full);
        if (dir == null || Directory.Exists(dir))
        {
            return;
        }
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NanoTrainException(ErrorKind.Environment, $"{path}: cannot create folder {dir}: {e.Message}");
        }
    }

    private static void Write(string path, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        RefuseUnwritable(path, full);
        CreateFolder(path, full);
        string temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new NanoTrainException(ErrorKind.Environment, $"{path}: cannot write: {e.Message}");
        }
    }
}
