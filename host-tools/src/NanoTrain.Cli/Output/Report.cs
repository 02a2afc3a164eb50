using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace NanoTrain.Cli.Output;

/// <summary>A table of a report section: a header row and rows of cells (plain text).</summary>
internal sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>A chart of a report section: its caption and its SVG.</summary>
internal sealed record ReportChart(string Caption, string Svg);

/// <summary>What one JSON file becomes in the report.</summary>
internal sealed record ReportSection(string Title, string Source, IReadOnlyList<string> Notes, IReadOnlyList<ReportTable> Tables, IReadOnlyList<ReportChart> Charts);

/// <summary>
/// The report of `nanotrain report`: each JSON written by `experiment transfer`, `demo`, `run`, `plan` or
/// `bench kernels` becomes a section of tables and charts drawn from its data, as one self-contained HTML page
/// (inline SVG, inline style, nothing fetched) and as Markdown with the charts as SVG files beside it.
/// </summary>
internal static class Report
{
    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string P(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Kib(double bytes) => (bytes / 1024).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>The section for one file's JSON; null when the file is none of the kinds the report knows.</summary>
    /// <param name="fallbackCommit">The commit to label charts with when the file names none.</param>
    public static ReportSection? Section(string source, JsonNode node, string fallbackCommit)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is not JsonObject o)
        {
            return null;
        }
        string commit = o["commit"]?.GetValue<string>() is { Length: > 0 } c ? c : fallbackCommit + " (HEAD when the report was made; the file names none)";
        if (o["experiment"]?.GetValue<string>() == "transfer")
        {
            return Transfer(source, o, commit);
        }
        if (o["demo"] is not null)
        {
            return Demo(source, o, commit);
        }
        if (o["cases"] is JsonArray && o["board"] is not null)
        {
            return Kernels(source, o, commit);
        }
        if (o["livePerStep"] is JsonArray)
        {
            return Plan(source, o, commit);
        }
        if (o["instructionsPerStepMedian"] is JsonObject)
        {
            return Run(source, o, commit);
        }
        return null;
    }

    private static ReportSection Transfer(string source, JsonObject o, string commit)
    {
        string model = Str(o, "model"), board = Str(o, "board");
        var methods = Arr(o, "methods").Select(m => m!.AsObject()).ToList();
        var shots = Arr(o, "shots").Select(s => s!.GetValue<int>()).ToList();
        int most = shots.Count > 0 ? shots.Max() : 0;
        string Name(JsonObject m) => Str(m, "method");
        double? After(JsonObject m, int s) => Arr(m, "results").Select(r => r!.AsObject()).FirstOrDefault(r => r["shots"]!.GetValue<int>() == s)?["after"]?.GetValue<double>();
        long? Step(JsonObject m) => m["instructions"]?["step"]?.GetValue<long>();

        var table = new ReportTable(
            ["method", $"fits {board}", "SRAM planned (B)", "instructions per step", "measured on", .. shots.Select(s => $"top-1 after {s}/class")],
            [.. methods.Select(m => (IReadOnlyList<string>)[
                Name(m), m["fitsBoard"]!.GetValue<bool>() ? "yes" : "no", N(m["plannedSram"]!.GetValue<long>()),
                Step(m) is { } st ? N(st) : "not measured", Str(m, "measuredOn"), .. shots.Select(s => After(m, s) is { } a ? P(a) : "")])]);

        var accuracy = ReportCharts.Line($"{model} → MNIST on {board}: top-1 vs samples per class (commit {commit})", "training samples per class", "top-1 on held-out MNIST (%)",
            [.. methods.Select(m => new ChartSeries(Name(m), [.. shots.Where(s => After(m, s) != null).Select(s => ((double)s, 100 * After(m, s)!.Value))]))]);
        var cost = ReportCharts.Scatter($"{model} on {board}: top-1 after {most}/class vs step cost (commit {commit})", "instructions per training step (millions)",
            "top-1 on held-out MNIST (%)",
            [.. methods.Where(m => Step(m) != null && After(m, most) != null).Select(m => (Name(m) + (m["fitsBoard"]!.GetValue<bool>() ? "" : $" ({Str(m, "measuredOn")})"),
                Step(m)!.Value / 1e6, 100 * After(m, most)!.Value))]);
        long budget = methods.Count > 0 ? methods[0]["budget"]!.GetValue<long>() : 0;
        var sram = ReportCharts.Bars($"{model}: peak SRAM per method, planned for {board} (commit {commit})", "method", "peak SRAM (KiB)",
            [.. methods.Select(Name)], [("planned SRAM", [.. methods.Select(m => m["plannedSram"]!.GetValue<long>() / 1024.0)])],
            new ChartLimit(budget / 1024.0, $"{board} budget {Kib(budget)} KiB"));
        return new ReportSection($"Transfer: {model}, Fashion-MNIST → MNIST, {board}", source,
            [$"Made with `{Str(o, "command")}` at commit {commit}; top-1 on {o["testSamples"]} held-out MNIST images."],
            [table],
            [new ReportChart("accuracy vs samples per class", accuracy), new ReportChart("accuracy vs instructions per step", cost), new ReportChart("peak SRAM per method against the board", sram)]);
    }

    private static ReportSection Demo(string source, JsonObject o, string commit)
    {
        string model = Str(o, "model"), board = Str(o, "board");
        var methods = Arr(o, "methods").Select(m => m!.AsObject()).ToList();
        var table = new ReportTable(["method", "trains", "fits", "SRAM planned (B)", "measured peak (B)", "instructions per step", "top-1 before", "top-1 after", "accuracy from"],
            [.. methods.Select(m => (IReadOnlyList<string>)[
                Str(m, "method"), Str(m, "trains"), m["fitsBoard"]!.GetValue<bool>() ? "yes" : "no", N(m["plannedSram"]!.GetValue<long>()),
                m["measuredSram"] is { } ms ? N(ms.GetValue<long>()) : "", m["instructionsPerStep"]?["total"] is { } t ? $"{N(t.GetValue<long>())} ({Str(m, "measuredOn")})" : "not counted",
                P(m["top1Before"]!.GetValue<double>()), P(m["top1After"]!.GetValue<double>()), Str(m, "accuracyFrom")])]);
        var banks = new ReportTable(["bank", "board (B)", "planned (B)", "measured peak (B)"],
            [.. Arr(o["device"]!.AsObject(), "banks").Select(b => (IReadOnlyList<string>)[
                Str(b!.AsObject(), "name"), N(b["bankBytes"]!.GetValue<long>()), N(b["plannedBytes"]!.GetValue<long>()), N(b["highWaterBytes"]!.GetValue<long>())])]);
        var checks = Arr(o, "checks").Select(c => $"{(c!["passed"]!.GetValue<bool>() ? "passed" : "FAILED")}: {Str(c.AsObject(), "check")}").ToList();
        var plan = o["plan"]!.AsObject();
        var charts = new List<ReportChart> { new("memory timeline of nanoTrain's plan", Timeline(plan, commit)) };
        if (Arr(o["device"]!.AsObject(), "losses") is { Count: > 0 } losses)
        {
            charts.Add(new ReportChart("loss per training step on the board", Losses($"{model} on {board}: loss per step on the board (commit {commit})", losses)));
        }
        return new ReportSection($"Demo: {model} on {board}", source,
            [$"Commit {commit}; {o["trainPerClass"]} samples per class, {o["epochs"]} epoch(s), ρ = {o["rho"]}; took {o["elapsedSeconds"]} s on the machine that ran it.", .. checks],
            [table, banks], charts);
    }

    private static ReportSection Plan(string source, JsonObject o, string commit)
    {
        string title = $"Plan: {Str(o, "method")} training of {Str(o, "model")} for {Str(o, "board")}";
        var breakdown = new ReportTable(["what", "bytes"], [.. (o["breakdown"] as JsonObject ?? []).Select(kv => (IReadOnlyList<string>)[kv.Key, N(kv.Value!.GetValue<long>())])]);
        return new ReportSection(title, source,
            [$"Arena {N(o["arenaBytes"]!.GetValue<long>())} B of a {N(o["budget"]!.GetValue<long>())} B budget ({(o["fits"]!.GetValue<bool>() ? "fits" : "does not fit")}); lower bound {N(o["lowerBound"]!.GetValue<long>())} B."],
            [breakdown], [new ReportChart("memory timeline", Timeline(o, commit))]);
    }

    private static ReportSection Run(string source, JsonObject o, string commit)
    {
        var m = o["instructionsPerStepMedian"]!.AsObject();
        var phases = new ReportTable(["phase", "instructions (median)"], [.. m.Select(kv => (IReadOnlyList<string>)[kv.Key, N(kv.Value!.GetValue<long>())])]);
        var charts = new List<ReportChart>();
        if (Arr(o, "losses") is { Count: > 0 } losses)
        {
            charts.Add(new ReportChart("loss per training step", Losses($"{Str(o, "board")}: loss per step on the board (commit {commit})", losses)));
        }
        return new ReportSection($"Run on {Str(o, "board")}", source,
            [$"Top-1 {P(o["top1Before"]!.GetValue<double>())} before, {P(o["top1After"]!.GetValue<double>())} after training on {o["trainSamples"]} samples ({o["testSamples"]} test samples)."],
            [phases], charts);
    }

    private static ReportSection Kernels(string source, JsonObject o, string commit)
    {
        var cases = Arr(o, "cases").Select(c => c!.AsObject()).ToList();
        static double Num(JsonObject c, string key) => c[key] is { } v ? v.GetValue<double>() : double.NaN;
        var table = new ReportTable(["case", "MACs", "instructions", "instructions per MAC", "CMSIS-NN", "target"],
            [.. cases.Select(c => (IReadOnlyList<string>)[Str(c, "label"), N(c["macs"]!.GetValue<long>()), N(c["instructions"]!.GetValue<long>()),
                Num(c, "instructionsPerMac").ToString("0.00", CultureInfo.InvariantCulture), c["cmsisNn"] is { } n ? n.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture) : "",
                c["target"] is { } t ? "≤ " + t.GetValue<double>().ToString("0.00", CultureInfo.InvariantCulture) : ""])]);
        var anchored = cases.Where(c => c["cmsisNn"] is not null || c["target"] is not null).ToList();
        var shown = anchored.Count > 0 ? anchored : cases;
        var chart = ReportCharts.Bars($"int8 kernels on {Str(o, "board")}: instructions per MAC (commit {commit})", "kernel and shape", "instructions per MAC (instructions / multiply-accumulates)",
            [.. shown.Select(c => Str(c, "label"))],
            [("ours", [.. shown.Select(c => Num(c, "instructionsPerMac"))]), ("CMSIS-NN, same core", [.. shown.Select(c => Num(c, "cmsisNn"))]), ("target", [.. shown.Select(c => Num(c, "target"))])]);
        return new ReportSection($"Kernels on {Str(o, "board")}", source, [$"Counted with QEMU -icount shift=0 at commit {commit}."], [table],
            [new ReportChart("instructions per MAC against the anchors", chart)]);
    }

    private static string Timeline(JsonObject plan, string commit)
    {
        var live = Arr(plan, "livePerStep").Select((v, i) => ((double)i, v!.GetValue<long>() / 1024.0)).ToList();
        long budget = plan["budget"]!.GetValue<long>();
        return ReportCharts.Line($"{Str(plan, "method")} for {Str(plan, "board")}: bytes live at each step (commit {commit})", "step of the plan (op in execution order)", "live SRAM (KiB)",
            [new ChartSeries("live bytes", live)], new ChartLimit(budget / 1024.0, $"budget {Kib(budget)} KiB"), markers: false);
    }

    private static string Losses(string title, JsonArray losses) =>
        ReportCharts.Line(title, "training step (one sample each)", "loss (cross-entropy, nats)",
            [new ChartSeries("loss", [.. losses.Select((l, i) => ((double)i + 1, l!.GetValue<double>()))])], markers: false);

    private static string Str(JsonObject o, string key) => o[key]?.ToString() ?? "";

    private static JsonArray Arr(JsonObject o, string key) => o[key] as JsonArray ?? [];

    /// <summary>The whole report as one HTML page: inline style, inline SVG, no scripts, no links to anything.</summary>
    public static string Html(IReadOnlyList<ReportSection> sections, string commit)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>nanoTrain report</title>\n<style>\n");
        html.Append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}");
        html.Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}figcaption{color:#555}.source{color:#777;font-size:90%}\n");
        html.Append("</style>\n</head>\n<body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>nanoTrain report</h1>\n<p class=\"source\">Made at commit {E(commit)} from {sections.Count} result file(s).</p>\n");
        foreach (var s in sections)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section>\n<h2>{E(s.Title)}</h2>\n<p class=\"source\">from {E(s.Source)}</p>\n");
            foreach (string note in s.Notes)
            {
                html.Append(CultureInfo.InvariantCulture, $"<p>{E(note)}</p>\n");
            }
            foreach (var t in s.Tables)
            {
                html.Append("<table>\n<tr>").Append(string.Concat(t.Header.Select(h => $"<th>{E(h)}</th>"))).Append("</tr>\n");
                foreach (var row in t.Rows)
                {
                    html.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>\n");
                }
                html.Append("</table>\n");
            }
            foreach (var c in s.Charts)
            {
                // Inline SVG needs no namespace declaration in HTML.
                html.Append("<figure>\n").Append(c.Svg.Replace(" xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal));
                html.Append(CultureInfo.InvariantCulture, $"<figcaption>{E(c.Caption)}</figcaption>\n</figure>\n");
            }
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The report as Markdown, each chart linked as its file of <see cref="SvgFiles"/>.</summary>
    public static string Markdown(IReadOnlyList<ReportSection> sections, string commit)
    {
        var files = SvgFiles(sections).Select(f => f.Name).ToList();
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# nanoTrain report\n\nMade at commit {commit} from {sections.Count} result file(s).\n");
        int k = 0;
        foreach (var s in sections)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {s.Title}\n\nFrom `{s.Source}`.\n\n");
            foreach (string note in s.Notes)
            {
                md.Append(note).Append("\n\n");
            }
            foreach (var t in s.Tables)
            {
                md.Append("| ").Append(string.Join(" | ", t.Header.Select(Cell))).Append(" |\n|").Append(string.Concat(t.Header.Select(_ => "---|"))).Append('\n');
                foreach (var row in t.Rows)
                {
                    md.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
                }
                md.Append('\n');
            }
            foreach (var c in s.Charts)
            {
                md.Append(CultureInfo.InvariantCulture, $"![{c.Caption}]({files[k++]})\n\n");
            }
        }
        return md.ToString();
    }

    /// <summary>
    /// The charts in report order, each named after its source file (the path below the sources' common folder) and
    /// its caption, so a link to one stays valid when other results are added: <c>transfer-mbv2-w0.35-openmv-h7-accuracy-vs-samples-per-class.svg</c>.
    /// </summary>
    public static IEnumerable<(string Name, string Svg)> SvgFiles(IReadOnlyList<ReportSection> sections)
    {
        var dirs = sections.Select(s => Path.GetDirectoryName(s.Source) ?? "").ToList();
        string common = dirs.Count == 0 ? "" : dirs.Aggregate((a, b) =>
        {
            while (a.Length > 0 && b != a && !b.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                a = Path.GetDirectoryName(a) ?? "";
            }
            return a;
        });
        foreach (var s in sections)
        {
            string rel = common.Length > 0 ? Path.GetRelativePath(common, s.Source) : s.Source;
            string file = Slug(Path.ChangeExtension(rel, null));
            foreach (var c in s.Charts)
            {
                yield return ($"{file}-{Slug(c.Caption)}.svg", c.Svg);
            }
        }
    }

    private static string Slug(string s) =>
        System.Text.RegularExpressions.Regex.Replace(s.ToLowerInvariant(), "[^a-z0-9.]+", "-").Trim('-', '.');

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
