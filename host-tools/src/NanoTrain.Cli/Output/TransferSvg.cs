using System.Globalization;
using System.Text;
using NanoTrain.Cli.Commands;

namespace NanoTrain.Cli.Output;

/// <summary>
/// The transfer experiment as a self-contained SVG: top-1 after training (most shots) against instructions per
/// step, one point per method; and each method's planned SRAM against the board's budget.
/// </summary>
internal static class TransferSvg
{
    private static readonly string[] Colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Render(TransferResult r)
    {
        const int width = 980, height = 440, top = 50, bottom = 60, panel = 380, gap = 120, left = 80;
        double plotH = height - top - bottom;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        int shots = r.Settings.Shots.Max();
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{left}\" y=\"22\" font-size=\"14\">{r.Model}: Fashion-MNIST → MNIST, {r.Board.Id} (commit {r.Commit})</text>\n");

        // Left: accuracy vs instructions per step.
        var points = r.Methods.Select((m, i) => (m, i, After: m.Cells.FirstOrDefault(c => c.Shots == shots)?.After ?? 0, Step: m.Measured?.MedianStep.Total ?? 0)).ToList();
        double maxStep = Math.Max(1, points.Max(p => p.Step)) * 1.1;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"40\">top-1 after {shots} samples per class vs instructions per training step</text>\n");
        Axes(svg, left, top, panel, plotH, maxStep / 1e6, "instructions per step (millions)", 100, "top-1 (%)");
        foreach (var p in points)
        {
            double x = left + (panel * p.Step / maxStep), y = top + plotH - (plotH * p.After);
            string color = Colors[p.i % Colors.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"5\" fill=\"{color}\"><title>{p.m.Name}: {F(100 * p.After)}%, {p.Step:N0} instructions</title></circle>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + 7)}\" y=\"{F(y - 6)}\" fill=\"{color}\">{p.m.Name}{(p.m.OnBoard.Fits ? "" : " (" + p.m.Run.Board!.Id + ")")}</text>\n");
        }

        // Right: planned SRAM per method against the board's budget.
        int left2 = left + panel + gap;
        long budget = r.Methods.Count > 0 ? r.Methods[0].OnBoard.Budget : 0;
        var sram = r.Methods.Select(m => m.PlannedSram).ToList();
        double maxKb = Math.Max(1, Math.Max(sram.DefaultIfEmpty(0).Max(), budget)) / 1024.0 * 1.1;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left2}\" y=\"40\">peak SRAM per method (planned), {r.Board.Id}</text>\n");
        Axes(svg, left2, top, panel, plotH, null, "method", maxKb, "SRAM (KiB)");
        double slot = panel / Math.Max(1, r.Methods.Count);
        for (int i = 0; i < r.Methods.Count; i++)
        {
            double h = plotH * (sram[i] / 1024.0) / maxKb, x = left2 + (slot * i) + (slot * 0.15);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{F(x)}\" y=\"{F(top + plotH - h)}\" width=\"{F(slot * 0.7)}\" height=\"{F(h)}\" fill=\"{Colors[i % Colors.Length]}\"><title>{r.Methods[i].Name}: {sram[i]:N0} B</title></rect>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (slot * 0.35))}\" y=\"{F(top + plotH - h - 4)}\" text-anchor=\"middle\" font-size=\"10\">{F(sram[i] / 1024.0)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(x + (slot * 0.35))}\" y=\"{top + plotH + 14}\" text-anchor=\"middle\" font-size=\"10\">{r.Methods[i].Name}</text>\n");
        }
        double by = top + plotH - (plotH * (budget / 1024.0) / maxKb);
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left2}\" y1=\"{F(by)}\" x2=\"{left2 + panel}\" y2=\"{F(by)}\" stroke=\"#c00\" stroke-dasharray=\"5,4\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left2 + panel - 4}\" y=\"{F(by - 4)}\" text-anchor=\"end\" fill=\"#c00\">{r.Board.Id} budget {F(budget / 1024.0)} KiB</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Frame, ticks and labels of one panel; x ticks only when <paramref name="xMax"/> is given.</summary>
    private static void Axes(StringBuilder svg, int x0, int y0, double w, double h, double? xMax, string xLabel, double yMax, string yLabel)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{y0}\" width=\"{F(w)}\" height=\"{F(h)}\" fill=\"none\" stroke=\"#888\"/>\n");
        for (int t = 0; t <= 5; t++)
        {
            double y = y0 + h - (h * t / 5);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x0 - 4}\" y1=\"{F(y)}\" x2=\"{x0}\" y2=\"{F(y)}\" stroke=\"#888\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{F(yMax * t / 5)}</text>\n");
            if (xMax is double vMaxX)
            {
                double x = x0 + (w * t / 5);
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{F(x)}\" y1=\"{F(y0 + h)}\" x2=\"{F(x)}\" y2=\"{F(y0 + h + 4)}\" stroke=\"#888\"/>\n");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x)}\" y=\"{F(y0 + h + 16)}\" text-anchor=\"middle\">{F(vMaxX * t / 5)}</text>\n");
            }
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x0 + (w / 2))}\" y=\"{F(y0 + h + 40)}\" text-anchor=\"middle\">{xLabel}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({x0 - 50},{F(y0 + (h / 2))}) rotate(-90)\" text-anchor=\"middle\">{yLabel}</text>\n");
    }
}
