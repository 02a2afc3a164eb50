using NanoTrain.Core.Common;

namespace NanoTrain.Core.Boards;

/// <summary>The boards of <c>firmware/boards/*/board.json</c>.</summary>
public sealed class BoardCatalog
{
    /// <summary>The board used when none is named.</summary>
    public const string DefaultBoard = "openmv-h7";

    private readonly string _boardsDir;

    public BoardCatalog(string boardsDir)
    {
        _boardsDir = boardsDir;
    }

    /// <summary>The catalog of the repository located by <see cref="RepoPaths.Locate"/>.</summary>
    public static BoardCatalog FromRepo(RepoPaths paths) => new(paths.Boards);

    /// <summary>Ids of every board that has a descriptor, sorted.</summary>
    public IReadOnlyList<string> Ids =>
        Directory.Exists(_boardsDir)
            ? Directory.GetDirectories(_boardsDir)
                .Where(d => File.Exists(Path.Combine(d, "board.json")))
                .Select(Path.GetFileName)
                .OfType<string>()
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];

    /// <summary>Loads one board; an unknown id gets an error listing the known ones.</summary>
    public BoardDescriptor Get(string id)
    {
        var ids = Ids;
        if (!ids.Contains(id))
        {
            throw new NanoTrainException(ErrorKind.Usage, $"unknown board '{id}'; known boards: {string.Join(", ", ids)}");
        }
        string path = Path.Combine(_boardsDir, id, "board.json");
        var board = BoardDescriptor.Load(path);
        if (board.Id != id)
        {
            throw new NanoTrainException(ErrorKind.BadInput, $"{path}: field 'id' is '{board.Id}', expected '{id}' (the folder name)");
        }
        return board;
    }

    /// <summary>Every board, in id order.</summary>
    public IReadOnlyList<BoardDescriptor> All() => Ids.Select(Get).ToList();
}
