using NanoTrain.Core.Boards;

namespace NanoTrain.Core.Emulation;

/// <summary>One calibration loop: instructions known from the assembly, against what the counter measured.</summary>
/// <param name="Name">"raw" (two SysTick reads around the loop) or "long" (counter API across wraps).</param>
/// <param name="Expected">Instructions the loop executes, from its assembly.</param>
/// <param name="Ticks">Counter ticks the firmware measured.</param>
/// <param name="Measured">Ticks converted with the board descriptor's instructions-per-tick ratio.</param>
/// <param name="Tolerance">Allowed |Measured − Expected|: one tick, plus the counter API's own instructions for "long".</param>
public sealed record CalibrationLoop(string Name, long Expected, long Ticks, long Measured, long Tolerance)
{
    /// <summary>Measured minus expected instructions.</summary>
    public long Error => Measured - Expected;

    /// <summary>True when the counter agrees with the known count within the tolerance.</summary>
    public bool Passed => Math.Abs(Error) <= Tolerance;

    /// <summary>Instructions per tick implied by this loop alone (the measured constant).</summary>
    public double MeasuredInstructionsPerTick => Ticks == 0 ? double.NaN : (double)Expected / Ticks;
}

/// <summary>Checks the smoke firmware's calibration report against the board descriptor.</summary>
public static class CounterCalibration
{
    /// <summary>
    /// Instructions the counter API adds around a measurement across SysTick wraps: the two <c>nt_counter_ticks</c>
    /// calls and the call itself; each wrap adds its interrupt handler (<see cref="WrapHandlerInstructions"/>).
    /// </summary>
    public const long CounterApiOverhead = 32;

    /// <summary>Instructions of one SysTick wrap interrupt (nt_counter.c: count the wrap, compare with the watchdog's), at most.</summary>
    public const long WrapHandlerInstructions = 10;

    /// <summary>SysTick wraps every 2^24 ticks.</summary>
    private const int WrapShift = 24;

    /// <summary>The smoke firmware's two calibration loops, checked against <paramref name="board"/>'s ratio.</summary>
    public static IReadOnlyList<CalibrationLoop> Check(BoardDescriptor board, RunResult run)
    {
        ArgumentNullException.ThrowIfNull(board);
        ArgumentNullException.ThrowIfNull(run);
        long tick = (board.Emulator.InstructionsPerTickNum + board.Emulator.InstructionsPerTickDen - 1) / board.Emulator.InstructionsPerTickDen;
        var loops = new List<CalibrationLoop>();
        foreach (var (name, api) in new[] { ("raw", 0L), ("long", CounterApiOverhead) })
        {
            long ticks = run.Number($"calib_{name}_ticks");
            long extra = api == 0 ? 0 : api + ((ticks >> WrapShift) + 1) * WrapHandlerInstructions;
            long expected = run.Number($"calib_{name}_expected_instructions");
            loops.Add(new CalibrationLoop(name, expected, ticks, board.Emulator.TicksToInstructions(ticks), tick + extra));
        }
        return loops;
    }
}
