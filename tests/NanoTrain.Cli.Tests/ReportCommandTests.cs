using System.Text.Json;
using System.Text.RegularExpressions;
using NanoTrain.Cli.Output;

namespace NanoTrain.Cli.Tests;

public partial class ReportCommandTests
{
    private const string Transfer = """
        {"experiment": "transfer", "model": "m", "board": "b1", "commit": "abc123", "command": "./nanotrain experiment transfer", "testSamples": 100,
         "shots": [10, 50],
         "methods": [
           {"method": "full", "fitsBoard": false, "plannedSram": 2000000, "budget": 900000, "measuredOn": "m7-dev",
            "instructions": {"step": 30000000}, "results": [{"shots": 10, "after": 0.5}, {"shots": 50, "after": 0.8}]},
           {"method": "gc-apu", "fitsBoard": true, "plannedSram": 250000, "budget": 900000, "measuredOn": "b1",
            "instructions": {"step": 14000000}, "results": [{"shots": 10, "after": 0.4}, {"shots": 50, "after": 0.6}]}]}
        """;

    private const string Plan = """
        {"commit": "abc123", "model": "m", "board": "b1", "method": "gc-apu", "fits": true, "budget": 900000, "arenaBytes": 250000, "lowerBound": 240000,
         "breakdown": {"weights": 100000, "gradients": 20000}, "livePerStep": [1000, 50000, 250000, 120000]}
        """;

    private const string Kernels = """
        {"board": "b1", "commit": "abc123", "cases": [
          {"label": "(a) dw 3x3", "macs": 1000, "instructions": 3500, "instructionsPerMac": 3.5, "cmsisNn": 8.66, "target": 4.5},
          {"label": "(b) 1x1", "macs": 2000, "instructions": 4000, "instructionsPerMac": 2.0, "cmsisNn": 2.23, "target": null}]}
        """;

    private const string RunResult = """
        {"commit": "abc123", "board": "b1", "top1Before": 0.1, "top1After": 0.3, "trainSamples": 3, "testSamples": 10, "losses": [2.3, 1.9, 1.2],
         "instructionsPerStepMedian": {"forward": 100, "loss": 1, "backwardDx": 5, "backwardDw": 6, "update": 7, "total": 119}}
        """;

    [GeneratedRegex("<svg[^>]*data-points=\"(\\d+)\"[\\s\\S]*?</svg>")]
    private static partial Regex Chart();

    [Fact]
    public void TheReportDrawsEveryChartFromTheDataWithAxesUnitsAndTheCommitAndFetchesNothing()
    {
        string dir = Directory.CreateTempSubdirectory("nt-report").FullName;
        string input = Path.Combine(dir, "in"), output = Path.Combine(dir, "out");
        Directory.CreateDirectory(input);
        File.WriteAllText(Path.Combine(input, "transfer.json"), Transfer);
        File.WriteAllText(Path.Combine(input, "plan.json"), Plan);
        File.WriteAllText(Path.Combine(input, "kernels.json"), Kernels);
        File.WriteAllText(Path.Combine(input, "run.json"), RunResult);
        File.WriteAllText(Path.Combine(input, "other.json"), """{"something": "else"}""");

        var result = CliProcess.Run("report", "--in", input, "--out", output, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(4, json.GetProperty("sections").GetArrayLength());
        Assert.Equal(1, json.GetProperty("skipped").GetArrayLength());
        Assert.Contains("other.json: not a result", result.StandardError, StringComparison.Ordinal);

        string html = File.ReadAllText(Path.Combine(output, "report.html"));
        var charts = Chart().Matches(html);
        // In file order: kernels (ours, CMSIS-NN and the one target), the plan's timeline, the run's losses, then the
        // transfer's accuracy vs shots (2 methods x 2), accuracy vs instructions and SRAM (one per method).
        Assert.Equal(6, charts.Count);
        int[] expectedPoints = [5, 4, 3, 4, 2, 2];
        for (int i = 0; i < charts.Count; i++)
        {
            string svg = charts[i].Value;
            Assert.Equal(expectedPoints[i], int.Parse(charts[i].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(expectedPoints[i], Regex.Matches(svg, "class=\"point\"").Count);
            Assert.Contains("class=\"x-axis\"", svg, StringComparison.Ordinal);
            Assert.Contains("class=\"y-axis\"", svg, StringComparison.Ordinal);
            Assert.Matches("class=\"axis-label x\"[^>]*>[^<]+<", svg);
            Assert.Matches("class=\"axis-label y\"[^>]*>[^<]*\\([^<)]+\\)<", svg); // the quantity and its unit
            Assert.Matches("class=\"title\"[^>]*>[^<]*commit abc123", svg);
        }
        Assert.Contains("budget 878.9 KiB", html, StringComparison.Ordinal);
        Assert.Contains(">8.66<", html, StringComparison.Ordinal);
        foreach (string external in new[] { "http", "src=", "href=", "url(", "<script", "<link", "@import" })
        {
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        }

        string md = File.ReadAllText(Path.Combine(output, "report.md"));
        var links = Regex.Matches(md, "\\]\\(([^)]+\\.svg)\\)");
        Assert.Equal(6, links.Count);
        Assert.All(links, l => Assert.True(File.Exists(Path.Combine(output, l.Groups[1].Value)), l.Value));
        Assert.Contains("](transfer-accuracy-vs-samples-per-class.svg)", md, StringComparison.Ordinal);
        Assert.Contains("| gc-apu | yes | 250,000 | 14,000,000 | b1 | 40.0% | 60.0% |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void ABrokenResultFileIsABadInputErrorNamingItAndWritesNothing()
    {
        string dir = Directory.CreateTempSubdirectory("nt-report").FullName;
        string bad = Path.Combine(dir, "broken.json"), output = Path.Combine(dir, "out");
        File.WriteAllText(bad, Transfer[..40]);
        var result = CliProcess.Run("report", "--in", bad, "--out", output);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.StartsWith($"error: {bad}: not valid JSON", result.StandardError.Trim(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));

        File.WriteAllText(bad, Transfer.Replace("\"shots\": [10, 50]", "\"shots\": [\"ten\"]", StringComparison.Ordinal));
        result = CliProcess.Run("report", "--in", bad, "--out", output);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.StartsWith($"error: {bad}: a field the report needs is missing or of the wrong type", result.StandardError.Trim(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));

        result = CliProcess.Run("report", "--in", Path.Combine(dir, "nothing-here"));
        Assert.Equal(ExitCodes.MissingInput, result.ExitCode);
    }
}
