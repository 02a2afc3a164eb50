using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Common;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain report</c>: result JSON files into one self-contained HTML page and its Markdown twin.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var inputs = new Option<string[]>("--in", "-i")
        {
            Description = "result JSON files, or folders searched for *.json, from experiment transfer, demo, run, plan or bench kernels --json (default: docs/results)",
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string?>("--out", "-o") { Description = "folder for report.html, report.md and each chart as an SVG named after its result file and caption (default: build/report)" };
        var json = CommonOptions.Json();
        var command = new Command("report",
            "turn result JSON into a self-contained HTML page (inline SVG charts, nothing fetched) and Markdown: accuracy vs samples per class and vs instructions per step, " +
            "peak SRAM against the board, memory timelines, kernel instructions per MAC against the anchors");
        foreach (var o in new Option[] { inputs, output, json })
        {
            command.Options.Add(o);
        }
        command.SetAction(pr =>
        {
            var paths = RepoPaths.Locate();
            var given = pr.GetValue(inputs) is { Length: > 0 } list ? list : [Path.Combine(paths.Root, "docs", "results")];
            var files = Files(given);
            string commit = BenchCommand.GitCommit(paths);
            var sections = new List<ReportSection>();
            var skipped = new List<string>();
            var progress = new ConsoleProgress();
            foreach (string file in files)
            {
                JsonNode? node;
                try
                {
                    node = JsonNode.Parse(File.ReadAllText(file));
                }
                catch (JsonException e)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{file}: not valid JSON ({e.Message})");
                }
                ReportSection? section;
                try
                {
                    section = node == null ? null : Report.Section(Path.GetRelativePath(paths.Root, file), node, commit);
                }
                catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
                {
                    throw new NanoTrainException(ErrorKind.BadInput, $"{file}: a field the report needs is missing or of the wrong type ({e.Message})");
                }
                if (section == null)
                {
                    skipped.Add(file);
                    progress.Warn($"{file}: not a result of experiment, demo, run, plan or bench kernels; skipped");
                    continue;
                }
                sections.Add(section);
            }
            if (sections.Count == 0)
            {
                throw new NanoTrainException(ErrorKind.MissingInput, $"no result JSON among {string.Join(", ", given)}");
            }
            string outDir = Path.GetFullPath(pr.GetValue(output) ?? Path.Combine(paths.Build, "report"));
            Directory.CreateDirectory(outDir);
            string html = Path.Combine(outDir, "report.html"), md = Path.Combine(outDir, "report.md");
            var svgs = Report.SvgFiles(sections).ToList();
            foreach (var (name, svg) in svgs)
            {
                AtomicFile.WriteAllText(Path.Combine(outDir, name), svg);
            }
            AtomicFile.WriteAllText(md, Report.Markdown(sections, commit));
            AtomicFile.WriteAllText(html, Report.Html(sections, commit));
            string? target = pr.GetValue(json);
            if (JsonOutput.WantsTable(target))
            {
                var table = new Table().AddColumns("section", "from", "charts");
                foreach (var s in sections)
                {
                    table.AddRow(Markup.Escape(s.Title), Markup.Escape(s.Source), s.Charts.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"wrote {html}, {md} and {svgs.Count} SVG charts");
            }
            JsonOutput.Emit(target, new JsonObject
            {
                ["html"] = html,
                ["markdown"] = md,
                ["svg"] = new JsonArray([.. svgs.Select(s => (JsonNode?)Path.Combine(outDir, s.Name))]),
                ["sections"] = new JsonArray([.. sections.Select(s => (JsonNode?)new JsonObject
                {
                    ["title"] = s.Title,
                    ["source"] = s.Source,
                    ["charts"] = new JsonArray([.. s.Charts.Select(c => (JsonNode?)c.Caption)]),
                })]),
                ["skipped"] = new JsonArray([.. skipped.Select(f => (JsonNode?)f)]),
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The given files, and every *.json under the given folders, in path order; a missing one is an error naming it.</summary>
    internal static List<string> Files(IEnumerable<string> given)
    {
        var files = new List<string>();
        foreach (string g in given)
        {
            if (Directory.Exists(g))
            {
                files.AddRange(Directory.EnumerateFiles(g, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            }
            else if (File.Exists(g))
            {
                files.Add(g);
            }
            else
            {
                throw new NanoTrainException(ErrorKind.MissingInput, $"{g}: no such file or folder");
            }
        }
        return [.. files.Select(Path.GetFullPath).Distinct()];
    }
}
