using System.Diagnostics;
using System.Text;

namespace NanoTrain.Core.Common;

/// <summary>The outcome of an external program run.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut);

/// <summary>Runs external tools (cmake, npm, qemu) with captured output and a time limit.</summary>
public static class ProcessRunner
{
    /// <summary>Full path of an executable found on PATH, or null.</summary>
    public static string? FindOnPath(string program)
    {
        if (program.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// Runs a program to completion or until the timeout, when its whole process tree is killed.
    /// Each output line is also handed to <paramref name="onLine"/> as it arrives.
    /// </summary>
    public static ProcessResult Run(
        string program,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (environment != null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }
            lock (stdout)
            {
                stdout.Append(e.Data).Append('\n');
            }
            onLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null)
            {
                return;
            }
            lock (stderr)
            {
                stderr.Append(e.Data).Append('\n');
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new NanoTrainException(ErrorKind.Environment, $"cannot start {program}: {ex.Message}", ex);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the wait and the kill.
            }
            process.WaitForExit();
        }
        else
        {
            process.WaitForExit(); // flushes the asynchronous readers
        }
        string outText;
        string errText;
        lock (stdout)
        {
            outText = stdout.ToString();
        }
        lock (stderr)
        {
            errText = stderr.ToString();
        }
        return new ProcessResult(exited ? process.ExitCode : -1, outText, errText, !exited);
    }

    /// <summary>The last non-empty line of a tool's output, for one-line error messages.</summary>
    public static string LastLine(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : lines[^1];
    }
}
