using System.Globalization;
using System.Text.RegularExpressions;
using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;

namespace NanoTrain.Native.Fuzz;

/// <summary>What one fuzz target did in a run.</summary>
public sealed record FuzzResult(string Target, long Executions, double ExecutionsPerSecond, int Coverage, int Features,
    int CorpusFiles, int Seeds, bool Crashed, string? CrashFile, string? Reason, double Seconds);

/// <summary>
/// Runs the libFuzzer targets of tests/fuzz (preset <c>fuzz</c>: clang, ASan + UBSan): builds them, writes the seed
/// corpus (<see cref="FuzzCorpus"/>) into build/fuzz-corpus/TARGET (which keeps what each run finds for the next),
/// runs each for a bounded time and reads its final statistics. A crash leaves its input in build/fuzz-crashes/TARGET;
/// kept in tests/fuzz/regressions/TARGET it becomes a CTest case.
/// </summary>
public sealed class FuzzRunner
{
    private readonly RepoPaths _paths;

    public FuzzRunner(RepoPaths paths) => _paths = paths;

    public string CorpusDir(string target) => Path.Combine(_paths.Build, "fuzz-corpus", target);

    public string CrashDir(string target) => Path.Combine(_paths.Build, "fuzz-crashes", target);

    public string Program(string target) => Path.Combine(_paths.Build, "fuzz", "tests", "fuzz", "fuzz_" + target);

    /// <summary>Builds the targets and writes the seeds; returns the seed count per target.</summary>
    public IReadOnlyDictionary<string, int> Prepare(BoardDescriptor seedBoard, IProgressSink progress)
    {
        if (ProcessRunner.FindOnPath("clang") == null)
        {
            throw new NanoTrainException(ErrorKind.Environment,
                "clang not found on PATH; install it with `apt-get install -y clang libclang-rt-14-dev` (./nanotrain does this when run as root)");
        }
        new FirmwareBuilder(_paths).BuildPreset("fuzz", "the fuzz targets (clang, libFuzzer, ASan + UBSan)", progress);
        progress.Info($"writing the seed corpus (plans for {seedBoard.Id}, request frames, weight-slot stores)");
        var counts = new Dictionary<string, int>();
        foreach (var (target, seeds) in FuzzCorpus.Generate(seedBoard))
        {
            string dir = CorpusDir(target);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in seeds)
            {
                AtomicFile.WriteAllBytes(Path.Combine(dir, "seed-" + name), bytes);
            }
            counts[target] = seeds.Count;
        }
        return counts;
    }

    /// <summary>Runs one target for <paramref name="seconds"/> over its corpus (and the regression inputs).</summary>
    public FuzzResult Run(string target, int seconds, int seeds, IProgressSink progress)
    {
        string corpus = CorpusDir(target), crashes = CrashDir(target);
        Directory.CreateDirectory(crashes);
        var arguments = new List<string>
        {
            $"-max_total_time={seconds}", "-print_final_stats=1", "-rss_limit_mb=4096", "-timeout=20",
            $"-artifact_prefix={crashes}{Path.DirectorySeparatorChar}", corpus,
        };
        string regressions = Path.Combine(_paths.Root, "tests", "fuzz", "regressions", target);
        if (Directory.Exists(regressions))
        {
            arguments.Add(regressions);
        }
        progress.Info($"fuzzing {target} for {seconds} s");
        var started = DateTime.UtcNow;
        var result = ProcessRunner.Run(Program(target), arguments, TimeSpan.FromSeconds(seconds + 300), _paths.Root,
            new Dictionary<string, string> { ["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1", ["UBSAN_OPTIONS"] = "print_stacktrace=1" });
        double elapsed = (DateTime.UtcNow - started).TotalSeconds;
        string log = result.StandardOutput + result.StandardError;
        AtomicFile.WriteAllText(Path.Combine(_paths.Build, "fuzz-crashes", target + ".log"), log);
        long executions = LastNumber(log, @"stat::number_of_executed_units:\s*(\d+)");
        long perSecond = LastNumber(log, @"stat::average_exec_per_sec:\s*(\d+)");
        int coverage = (int)LastNumber(log, @"\bcov: (\d+)");
        int features = (int)LastNumber(log, @"\bft: (\d+)");
        int files = Directory.EnumerateFiles(corpus).Count();
        string? crashFile = Regex.Matches(log, @"Test unit written to (\S+)").Select(m => m.Groups[1].Value).LastOrDefault();
        bool crashed = result.TimedOut || result.ExitCode != 0;
        string? reason = !crashed ? null
            : result.TimedOut ? "the fuzzer did not stop in time"
            : Regex.Match(log, @"(ERROR: \w+Sanitizer: [^\n]*|runtime error: [^\n]*|ERROR: libFuzzer: [^\n]*)").Value is { Length: > 0 } r ? r.Trim()
            : $"exit code {result.ExitCode}";
        return new FuzzResult(target, executions, perSecond, coverage, features, files, seeds, crashed, crashFile, reason, elapsed);
    }

    private static long LastNumber(string text, string pattern) =>
        Regex.Matches(text, pattern).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).LastOrDefault();
}
