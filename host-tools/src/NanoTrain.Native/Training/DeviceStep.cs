using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Emulation;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>What one training step produced: the loss, the parameters after the update, and instructions per phase.</summary>
public sealed record StepResult(float Loss, float[] Parameters, IReadOnlyDictionary<string, long> Instructions);

/// <summary>
/// Runs one training step of a plan (batch 1, SGD lr 0.01, every parameter of the training section) on an
/// emulated board with the <c>trainstep</c> firmware, and the same step on the host engine.
/// </summary>
public static class DeviceStep
{
    /// <summary>Learning rate the trainstep firmware uses.</summary>
    public const float Lr = 0.01f;

    public static StepResult OnBoard(BoardDescriptor board, string elf, PlanImage plan, float[] input, byte[] labels, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(plan);
        string dir = Path.Combine(Path.GetTempPath(), "nt-step-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            WriteStepFiles(dir, plan, input, labels);
            var run = new QemuRunner().Run(board, elf, timeout, workingDirectory: dir);
            if (run.ExitCode != 0 || !run.Facts.TryGetValue("result", out var r) || r != "ok")
            {
                throw new NanoTrainException(ErrorKind.BadInput,
                    $"trainstep on {board.Id} failed (exit {run.ExitCode}): {run.Facts.GetValueOrDefault("error", ProcessRunner.LastLine(run.Uart))}");
            }
            byte[] output = File.ReadAllBytes(Path.Combine(dir, "step.out"));
            var parameters = new float[(output.Length - 4) / 4];
            Buffer.BlockCopy(output, 4, parameters, 0, parameters.Length * 4);
            var instructions = new Dictionary<string, long>();
            foreach (string phase in new[] { "forward", "loss", "backward", "update", "step" })
            {
                instructions[phase] = run.Number($"{phase}_instructions");
            }
            return new StepResult(BitConverter.ToSingle(output, 0), parameters, instructions);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes the trainstep app's inputs into <paramref name="dir"/>: plan.ntplan, and step.in (input floats, then labels).</summary>
    internal static void WriteStepFiles(string dir, PlanImage plan, float[] input, byte[] labels)
    {
        File.WriteAllBytes(Path.Combine(dir, "plan.ntplan"), plan.Bytes);
        var stepIn = new byte[(input.Length * 4) + labels.Length];
        Buffer.BlockCopy(input, 0, stepIn, 0, input.Length * 4);
        labels.CopyTo(stepIn, input.Length * 4);
        File.WriteAllBytes(Path.Combine(dir, "step.in"), stepIn);
    }

    public static unsafe StepResult OnHost(PlanImage plan, float[] input, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        input.CopyTo(exec.Floats(plan.Input, input.Length));
        labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
        exec.Forward();
        float loss = exec.Loss();
        exec.Backward(null);
        exec.Update(new SgdConfig { Lr = Lr }, null);
        var space = exec.OwnedSpace(1)!.Span;
        var parameters = new float[space.Length / 4];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(space).CopyTo(parameters);
        return new StepResult(loss, parameters, new Dictionary<string, long>());
    }
}
