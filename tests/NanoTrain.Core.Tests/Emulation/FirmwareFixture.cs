using NanoTrain.Core.Boards;
using NanoTrain.Core.Build;
using NanoTrain.Core.Common;

namespace NanoTrain.Core.Tests.Emulation;

/// <summary>Builds every app for every board once per test run.</summary>
public sealed class FirmwareFixture
{
    private readonly Dictionary<(string Board, string App), string> _elves = [];

    public FirmwareFixture()
    {
        Paths = RepoPaths.Locate();
        Catalog = BoardCatalog.FromRepo(Paths);
        var builder = new FirmwareBuilder(Paths);
        foreach (var board in Catalog.All())
        {
            foreach (string app in FirmwareBuilder.AppsFor(board))
            {
                _elves[(board.Id, app)] = builder.Build(board, app);
            }
        }
    }

    public RepoPaths Paths { get; }

    public BoardCatalog Catalog { get; }

    public string Elf(string board, string app) => _elves[(board, app)];
}

[CollectionDefinition("firmware")]
public sealed class FirmwareCollection : ICollectionFixture<FirmwareFixture>;
