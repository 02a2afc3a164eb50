using NanoTrain.Core.Common;

namespace NanoTrain.Cli.Output;

/// <summary>The one place where domain errors become exit codes (sysexits.h values where one fits).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 64;
    public const int BadInput = 65;
    public const int MissingInput = 66;
    public const int Unavailable = 69;
    public const int Software = 70;
    public const int Environment = 72;
    public const int Protocol = 76;

    /// <summary>A plan was written but does not fit the board (nanotrain plan).</summary>
    public const int DoesNotFit = 2;
    public const int Timeout = 124;

    /// <summary>Exit code for a domain error.</summary>
    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.Usage => Usage,
        ErrorKind.MissingInput => MissingInput,
        ErrorKind.BadInput => BadInput,
        ErrorKind.Environment => Environment,
        ErrorKind.Unavailable => Unavailable,
        ErrorKind.Timeout => Timeout,
        ErrorKind.Device => Protocol,
        _ => Software,
    };
}
