using System.Globalization;
using System.Net;
using System.Text;

namespace NanoTrain.Cli.Output;

/// <summary>A named series of points (x, y) of a chart.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A horizontal line across a chart: a board's limit, a target.</summary>
internal sealed record ChartLimit(double Y, string Label);

/// <summary>
/// Self-contained SVG charts drawn from data (no scripts, fonts or links): line, scatter and grouped bar charts,
/// each with a title, both axes with ticks, axis labels that carry the unit, and one marker per data point. The root
/// element says how many points it drew (<c>data-points</c>), so tests and readers can check a chart is not empty.
/// </summary>
internal static class ReportCharts
{
    private static readonly string[] Colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#ff9da7", "#bab0ac"];

    private const int Width = 720, Height = 400, Left = 80, Right = 190, Top = 44, Bottom = 64;
    private const double PlotW = Width - Left - Right, PlotH = Height - Top - Bottom;

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>Lines through each series' points, a marker on each point.</summary>
    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, ChartLimit? limit = null, bool markers = true)
    {
        var all = series.SelectMany(s => s.Points).ToList();
        var (x0, x1) = Range(all.Select(p => p.X), zero: false);
        var (_, y1) = Range(all.Select(p => p.Y).Append(limit?.Y ?? 0), zero: true);
        var svg = Begin(title, all.Count);
        var xs = all.Select(p => p.X).Distinct().Order().ToList();
        Axes(svg, x0, x1, 0, y1, xLabel, yLabel, xs.Count <= 12 ? xs : null);
        for (int i = 0; i < series.Count; i++)
        {
            string color = Colors[i % Colors.Length];
            var pts = series[i].Points.Select(p => $"{F(X(p.X, x0, x1))},{F(Y(p.Y, y1))}");
            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', pts)}\"/>\n");
            foreach (var p in series[i].Points)
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<circle class=\"point\" cx=\"{F(X(p.X, x0, x1))}\" cy=\"{F(Y(p.Y, y1))}\" r=\"{(markers ? 3.5 : 1.2)}\" fill=\"{color}\"><title>{E(series[i].Name)}: {F(p.X)}, {F(p.Y)}</title></circle>\n");
            }
            Legend(svg, i, series[i].Name, color);
        }
        Limit(svg, limit, y1);
        return End(svg);
    }

    /// <summary>One labelled point per item.</summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(string Label, double X, double Y)> points)
    {
        var (_, x1) = Range(points.Select(p => p.X), zero: true);
        var (_, y1) = Range(points.Select(p => p.Y), zero: true);
        var svg = Begin(title, points.Count);
        Axes(svg, 0, x1, 0, y1, xLabel, yLabel);
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            string color = Colors[i % Colors.Length];
            double x = X(p.X, 0, x1), y = Y(p.Y, y1);
            svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"point\" cx=\"{F(x)}\" cy=\"{F(y)}\" r=\"5\" fill=\"{color}\"><title>{E(p.Label)}: {F(p.X)}, {F(p.Y)}</title></circle>\n");
            Legend(svg, i, p.Label, color);
        }
        return End(svg);
    }

    /// <summary>Grouped bars: one group per category, one bar per series (its values by category; NaN draws none).</summary>
    public static string Bars(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series,
        ChartLimit? limit = null)
    {
        var values = series.SelectMany(s => s.Values).Where(v => !double.IsNaN(v)).ToList();
        var (_, y1) = Range(values.Append(limit?.Y ?? 0), zero: true);
        var svg = Begin(title, values.Count);
        Axes(svg, null, null, 0, y1, xLabel, yLabel);
        double slot = PlotW / Math.Max(1, categories.Count), bar = slot * 0.8 / Math.Max(1, series.Count);
        for (int c = 0; c < categories.Count; c++)
        {
            double gx = Left + (slot * c) + (slot * 0.1);
            for (int k = 0; k < series.Count; k++)
            {
                double v = series[k].Values[c];
                if (double.IsNaN(v))
                {
                    continue;
                }
                double h = PlotH * v / y1;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"point\" x=\"{F(gx + (bar * k))}\" y=\"{F(Top + PlotH - h)}\" width=\"{F(bar * 0.92)}\" height=\"{F(h)}\" fill=\"{Colors[k % Colors.Length]}\"><title>{E(categories[c])}, {E(series[k].Name)}: {F(v)}</title></rect>\n");
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{F(gx + (slot * 0.4))}\" y=\"{F(Top + PlotH + 12)}\" text-anchor=\"end\" font-size=\"10\" transform=\"rotate(-25 {F(gx + (slot * 0.4))} {F(Top + PlotH + 12)})\">{E(categories[c])}</text>\n");
        }
        for (int k = 0; k < series.Count; k++)
        {
            Legend(svg, k, series[k].Name, Colors[k % Colors.Length]);
        }
        Limit(svg, limit, y1);
        return End(svg);
    }

    private static (double Lo, double Hi) Range(IEnumerable<double> values, bool zero)
    {
        var list = values.Where(v => !double.IsNaN(v) && !double.IsInfinity(v)).ToList();
        double lo = zero || list.Count == 0 ? 0 : list.Min(), hi = list.Count == 0 ? 1 : list.Max();
        if (hi <= lo)
        {
            hi = lo + 1;
        }
        return (lo, zero ? Nice(hi * 1.05) : hi);
    }

    /// <summary>The smallest 1, 2, 2.5 or 5 × 10^k multiple of five ticks at or above <paramref name="v"/>, so ticks are round numbers.</summary>
    private static double Nice(double v)
    {
        double step = v / 5, power = Math.Pow(10, Math.Floor(Math.Log10(step)));
        double unit = new[] { 1, 2, 2.5, 5, 10 }.First(m => m * power >= step - 1e-12) * power;
        return unit * 5;
    }

    private static double X(double v, double x0, double x1) => Left + (PlotW * (v - x0) / (x1 - x0));

    private static double Y(double v, double y1) => Top + PlotH - (PlotH * v / y1);

    private static StringBuilder Begin(string title, int points)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-points=\"{points}\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"title\" x=\"{Left}\" y=\"24\" font-size=\"14\">{E(title)}</text>\n");
        return svg;
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>\n").ToString();

    private static void Legend(StringBuilder svg, int i, string name, string color)
    {
        double y = Top + 8 + (i * 16);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + PlotW + 14}\" y=\"{F(y - 9)}\" width=\"10\" height=\"10\" fill=\"{color}\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + PlotW + 28}\" y=\"{F(y)}\">{E(name)}</text>\n");
    }

    private static void Limit(StringBuilder svg, ChartLimit? limit, double y1)
    {
        if (limit == null)
        {
            return;
        }
        double y = Y(limit.Y, y1);
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"limit\" x1=\"{Left}\" y1=\"{F(y)}\" x2=\"{Left + PlotW}\" y2=\"{F(y)}\" stroke=\"#c00\" stroke-dasharray=\"5,4\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Left + PlotW - 4)}\" y=\"{F(y - 4)}\" text-anchor=\"end\" fill=\"#c00\">{E(limit.Label)}</text>\n");
    }

    /// <summary>Frame, five ticks on each axis (x only when a range is given) and the axis labels (with units).</summary>
    private static void Axes(StringBuilder svg, double? x0, double? x1, double y0, double y1, string xLabel, string yLabel, IReadOnlyList<double>? xTicks = null)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{F(PlotW)}\" height=\"{F(PlotH)}\" fill=\"none\" stroke=\"#888\"/>\n");
        svg.Append("<g class=\"y-axis\">");
        for (int t = 0; t <= 5; t++)
        {
            double v = y0 + ((y1 - y0) * t / 5), y = Y(v, y1);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left - 4}\" y1=\"{F(y)}\" x2=\"{Left}\" y2=\"{F(y)}\" stroke=\"#888\"/><text x=\"{Left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{Tick(v)}</text>");
        }
        svg.Append("</g>\n<g class=\"x-axis\">");
        if (x0 is double a && x1 is double b)
        {
            double step = Nice(b - a) / 5;
            foreach (double v in xTicks ?? [.. Enumerable.Range(0, 6).Select(t => a + (step * t)).Where(v => v <= b + 1e-9)])
            {
                double x = X(v, a, b);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<line x1=\"{F(x)}\" y1=\"{F(Top + PlotH)}\" x2=\"{F(x)}\" y2=\"{F(Top + PlotH + 4)}\" stroke=\"#888\"/><text x=\"{F(x)}\" y=\"{F(Top + PlotH + 16)}\" text-anchor=\"middle\">{Tick(v)}</text>");
            }
        }
        svg.Append("</g>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label x\" x=\"{F(Left + (PlotW / 2))}\" y=\"{Height - 8}\" text-anchor=\"middle\">{E(xLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text class=\"axis-label y\" transform=\"translate(20,{F(Top + (PlotH / 2))}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>\n");
    }

    private static string Tick(double v) => Math.Abs(v) >= 100 ? v.ToString("N0", CultureInfo.InvariantCulture) : F(v);
}
