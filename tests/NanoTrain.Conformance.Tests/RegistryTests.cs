using System.Reflection;
using System.Runtime.InteropServices;
using NanoTrain.Core.Common;
using NanoTrain.Native;

namespace NanoTrain.Conformance.Tests;

/// <summary>
/// Every op folder of firmware/engine/src/kernels has all its parts: C forward, C backward, a scratch-size
/// function, exported from the host library, a C# reference class and a conformance test class.
/// </summary>
public class RegistryTests
{
    private static readonly string KernelsDir = Path.Combine(RepoPaths.Locate().Firmware, "engine", "src", "kernels");

    /// <summary>Ops whose "backward" is not a layer gradient, and what they have instead.</summary>
    private static readonly Dictionary<string, string[]> Exceptions = new()
    {
        ["sgd"] = ["update"], // the optimizer: one update kernel, no forward/backward
        ["quantize"] = ["fwd", "scratch_bytes"], // the entry of a frozen int8 section: nothing flows back through it
        ["dequantize"] = ["fwd", "scratch_bytes"], // its exit
        ["filter_drift"] = ["fwd", "scratch_bytes"], // scores filters in the forward; the conv's update reads its choice, nothing flows back
    };

    public static TheoryData<string> Ops()
    {
        var data = new TheoryData<string>();
        foreach (string dir in Directory.GetDirectories(KernelsDir).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }

    private static string PascalCase(string op) => op switch
    {
        "batchnorm" => "BatchNorm",
        _ => string.Concat(op.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..])),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void OpHasEveryPart(string op)
    {
        var files = Directory.GetFiles(Path.Combine(KernelsDir, op), "*.c").Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();
        Assert.All(files, f => Assert.StartsWith($"nt_{op}_", f, StringComparison.Ordinal));
        string[] passes = Exceptions.TryGetValue(op, out var special) ? special : ["fwd", "bwd", "scratch_bytes"];
        foreach (string pass in passes)
        {
            Assert.True(files.Any(f => f.Contains($"_f32_{pass}", StringComparison.Ordinal) || f.Contains($"_s8_{pass}", StringComparison.Ordinal)
                    || (pass == "bwd" && f.EndsWith("_fwd_bwd", StringComparison.Ordinal))),
                $"op {op}: no C file for pass '{pass}' (expected nt_{op}_<f32|s8>_{pass}*.c)");
        }

        // Each C file's function is exported by the host library under its file name.
        EngineApi.Load();
        var library = NativeLibrary.Load(Path.Combine(RepoPaths.Locate().Build, "host", "engine", "libntengine.so"));
        foreach (string function in files)
        {
            Assert.True(NativeLibrary.TryGetExport(library, function, out _), $"op {op}: libntengine.so does not export {function}");
        }

        string name = PascalCase(op);
        var reference = typeof(NanoTrain.Reference.Kernels.Conv2d).Assembly.GetType($"NanoTrain.Reference.Kernels.{name}");
        Assert.True(reference != null, $"op {op}: no C# reference class NanoTrain.Reference.Kernels.{name}");
        var tests = Assembly.GetExecutingAssembly().GetType($"NanoTrain.Conformance.Tests.{name}Tests");
        Assert.True(tests != null, $"op {op}: no conformance test class {name}Tests");
        Assert.Contains(tests!.GetMethods(), m => m.GetCustomAttributes().Any(a => a is FactAttribute));
    }

    [Fact]
    public void EveryPlanOpKindHasAKernelFolder()
    {
        string header = File.ReadAllText(Path.Combine(RepoPaths.Locate().Firmware, "engine", "include", "nt", "plan.h"));
        var kinds = System.Text.RegularExpressions.Regex.Matches(header, @"NT_OP_([A-Z0-9_]+) = \d+,")
            .Select(m => m.Groups[1].Value.ToLowerInvariant()).Where(k => k != "kind_max")
            .Select(k => k.EndsWith("_s8", StringComparison.Ordinal) ? k[..^3] : k) // int8 variants live in their op's folder
            .ToList();
        Assert.NotEmpty(kinds);
        var folders = Directory.GetDirectories(KernelsDir).Select(Path.GetFileName).ToHashSet();
        foreach (string kind in kinds)
        {
            Assert.True(folders.Contains(kind), $"plan op kind NT_OP_{kind.ToUpperInvariant()} has no folder in {KernelsDir}");
        }
    }
}
