using System.CommandLine;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;

namespace NanoTrain.Cli.Commands;

/// <summary>Options naming a zoo model, its resolution, its checkpoint and a dataset; shared by pretrain, eval and zoo.</summary>
public static class ModelOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "zoo model (models/zoo/NAME.json): mbv2-w0.35, mcunet-tiny; or a model file of that format, FILE.json (its checkpoint defaults to FILE.ntck beside it)",
        DefaultValueFactory = _ => "mbv2-w0.35",
    };

    public static Option<int?> Resolution() => new("--resolution", "-r")
    {
        Description = "input resolution (default: the model's own)",
    };

    public static Option<string?> Checkpoint() => new("--checkpoint", "-c")
    {
        Description = "checkpoint file (default: models/pretrained/MODEL.ntck)",
    };

    public static Option<string> Dataset(string defaultName = "fashion-mnist", string description = "dataset: fashion-mnist or mnist") => new("--data")
    {
        Description = description,
        DefaultValueFactory = _ => defaultName,
    };

    public static Option<string?> Cache() => new("--cache")
    {
        Description = "dataset cache folder (default: $NANOTRAIN_CACHE, else ~/.cache/nanotrain)",
    };

    /// <summary>The dataset called <paramref name="name"/>.</summary>
    public static DatasetSpec DatasetNamed(string name) =>
        DatasetSpec.All.FirstOrDefault(d => d.Name == name)
        ?? throw new NanoTrainException(ErrorKind.Usage, $"unknown dataset '{name}'; datasets: {string.Join(", ", DatasetSpec.All.Select(d => d.Name))}");

    /// <summary>
    /// Default checkpoint of a model: models/pretrained/NAME.ntck for a zoo model, FILE.ntck beside a model file
    /// FILE.json kept elsewhere (where <c>nanotrain import</c> writes both).
    /// </summary>
    public static string DefaultCheckpoint(RepoPaths paths, ZooModel zoo)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(zoo);
        string zooDir = Path.GetFullPath(Path.Combine(paths.Models, "zoo"));
        return Path.GetDirectoryName(Path.GetFullPath(zoo.SourcePath)) == zooDir
            ? Path.Combine(paths.Models, "pretrained", zoo.Name + ".ntck")
            : Path.ChangeExtension(zoo.SourcePath, ".ntck");
    }

    /// <summary>Loads a checkpoint and checks it was made for <paramref name="graph"/>.</summary>
    public static Checkpoint LoadCheckpointFor(ModelGraph graph, string path)
    {
        var checkpoint = Core.Model.Checkpoint.Load(path);
        checkpoint.RequireArchitecture(graph, path);
        return checkpoint;
    }
}
