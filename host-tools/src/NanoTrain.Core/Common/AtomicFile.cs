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

    private static void Write(string path, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"{path}: is a folder, not a file");
        }
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
