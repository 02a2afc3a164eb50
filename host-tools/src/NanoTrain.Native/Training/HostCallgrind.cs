using System.Globalization;
using System.Text.RegularExpressions;
using NanoTrain.Core.Common;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>
/// Counts the host's instructions for one training step: runs the trainstep app's host twin
/// (build/host/trainstep_host) under <c>valgrind --tool=callgrind</c> and reads the inclusive instruction
/// counts of the executor's phases.
/// </summary>
public static partial class HostCallgrind
{
    private static readonly string[] Phases = ["nt_exec_forward", "nt_exec_loss", "nt_exec_backward", "nt_exec_update"];

    public static IReadOnlyDictionary<string, long> Measure(string hostBuildDir, PlanImage plan, float[] input, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (string tool in new[] { "valgrind", "callgrind_annotate" })
        {
            if (ProcessRunner.FindOnPath(tool) == null)
            {
                throw new NanoTrainException(ErrorKind.Environment, $"{tool} not found on PATH; install it with `apt-get install -y valgrind`");
            }
        }
        string exe = Path.Combine(hostBuildDir, "trainstep_host");
        if (!File.Exists(exe))
        {
            throw new NanoTrainException(ErrorKind.Environment, $"{exe} is missing; build the host preset");
        }
        string dir = Path.Combine(Path.GetTempPath(), "nt-callgrind-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            DeviceStep.WriteStepFiles(dir, plan, input, labels);
            var run = ProcessRunner.Run("valgrind", ["--tool=callgrind", "--callgrind-out-file=cg.out", exe], TimeSpan.FromMinutes(20), dir);
            if (run.ExitCode != 0)
            {
                throw new NanoTrainException(ErrorKind.Environment, $"callgrind run failed: {ProcessRunner.LastLine(run.StandardError)}");
            }
            var annotate = ProcessRunner.Run("callgrind_annotate", ["--inclusive=yes", "--threshold=100", "cg.out"], TimeSpan.FromMinutes(2), dir);
            var counts = new Dictionary<string, long>();
            foreach (string line in annotate.StandardOutput.Split('\n'))
            {
                var m = AnnotateLine().Match(line);
                if (m.Success && Phases.Contains(m.Groups[2].Value))
                {
                    counts[m.Groups[2].Value["nt_exec_".Length..]] = long.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
                }
            }
            if (counts.Count != Phases.Length)
            {
                throw new NanoTrainException(ErrorKind.Environment, "callgrind_annotate did not report every executor phase");
            }
            counts["step"] = counts.Values.Sum();
            return counts;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*([\d,]+)\s.*:(nt_exec_\w+)\s")]
    private static partial Regex AnnotateLine();
}
