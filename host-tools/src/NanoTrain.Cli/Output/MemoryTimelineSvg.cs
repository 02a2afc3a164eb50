using System.Globalization;
using System.Text;
using NanoTrain.Core.Plan;

namespace NanoTrain.Cli.Output;

/// <summary>The memory timeline of a plan as a self-contained SVG: bytes live per step in each bank, stacked.</summary>
public static class MemoryTimelineSvg
{
    private static readonly string[] Colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"];

    public static string Render(TrainingPlan plan, string commit)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var mem = plan.Memory;
        int steps = Math.Max(1, mem.LivePerStep.Count);
        int banks = mem.Banks.Count;
        // Bytes live per bank per step, from the placed tensors.
        var live = new long[banks, steps];
        foreach (var t in mem.Tensors.Where(t => t.Bank >= 0))
        {
            for (int s = t.First; s <= t.Last && s < steps; s++)
            {
                live[t.Bank, s] += t.Bytes;
            }
        }
        const int width = 900, height = 420, left = 80, right = 170, top = 40, bottom = 50;
        double plotW = width - left - right, plotH = height - top - bottom;
        double maxBytes = Math.Max(1, Math.Max(mem.ArenaBytes, mem.LowerBound));
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"20\" font-size=\"14\">Memory timeline: {TrainingPlanner.NameOf(plan.Method)} on {plan.Board?.Id ?? "host"} (commit {commit})</text>\n");
        var baseline = new double[steps];
        for (int b = 0; b < banks; b++)
        {
            var points = new StringBuilder();
            for (int s = 0; s < steps; s++)
            {
                double x = left + (plotW * s / Math.Max(1, steps - 1));
                points.Append(CultureInfo.InvariantCulture, $"{F(x)},{F(top + plotH - (plotH * (baseline[s] + live[b, s]) / maxBytes))} ");
            }
            for (int s = steps - 1; s >= 0; s--)
            {
                double x = left + (plotW * s / Math.Max(1, steps - 1));
                points.Append(CultureInfo.InvariantCulture, $"{F(x)},{F(top + plotH - (plotH * baseline[s] / maxBytes))} ");
            }
            for (int s = 0; s < steps; s++)
            {
                baseline[s] += live[b, s];
            }
            string color = Colors[b % Colors.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polygon points=\"{points.ToString().Trim()}\" fill=\"{color}\" fill-opacity=\"0.8\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{width - right + 15}\" y=\"{top + (b * 20)}\" width=\"12\" height=\"12\" fill=\"{color}\"/><text x=\"{width - right + 32}\" y=\"{top + (b * 20) + 11}\">{mem.Banks[b].Name} {mem.Banks[b].Bytes / 1024.0:0.0} KiB</text>\n");
        }
        double boundY = top + plotH - (plotH * mem.LowerBound / maxBytes);
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{F(boundY)}\" x2=\"{left + plotW}\" y2=\"{F(boundY)}\" stroke=\"black\" stroke-dasharray=\"4 3\"/><text x=\"{left + plotW + 4}\" y=\"{F(boundY + 4)}\">bound</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"black\"/><line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"black\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            double v = maxBytes * i / 4;
            double y = top + plotH - (plotH * i / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{v / 1024:0}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 60}\" y=\"{top + (plotH / 2)}\" transform=\"rotate(-90 {left - 60} {top + (plotH / 2)})\" text-anchor=\"middle\">live bytes (KiB)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + (plotW / 2)}\" y=\"{height - 15}\" text-anchor=\"middle\">schedule step (forward, loss, backward with updates; {steps} steps)</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
