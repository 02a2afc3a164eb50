namespace NanoTrain.Core.Common;

/// <summary>What kind of failure a <see cref="NanoTrainException"/> reports; the CLI maps each to one exit code.</summary>
public enum ErrorKind
{
    /// <summary>The command line is wrong (unknown board, missing option).</summary>
    Usage,
    /// <summary>An input file is missing.</summary>
    MissingInput,
    /// <summary>An input file exists but its content is invalid (corrupt, truncated, wrong board).</summary>
    BadInput,
    /// <summary>A tool the command needs (QEMU, the compiler, npm) is missing or failed.</summary>
    Environment,
    /// <summary>The network or a registry could not be reached and nothing is cached.</summary>
    Unavailable,
    /// <summary>Something ran longer than its time limit.</summary>
    Timeout,
    /// <summary>A board refused a request or stopped answering.</summary>
    Device,
}

/// <summary>A domain error with a one-line message naming the file, field or op at fault.</summary>
public sealed class NanoTrainException : Exception
{
    public NanoTrainException(ErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>The category, which decides the exit code.</summary>
    public ErrorKind Kind { get; }
}
