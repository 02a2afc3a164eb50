using NanoTrain.Core.Common;
using NanoTrain.Core.Model;

namespace NanoTrain.Core.Tests.Model;

public class ZooModelTests
{
    private static readonly RepoPaths Paths = RepoPaths.Locate();

    [Fact]
    public void MobileNetV2HasTheInvertedResidualStructureOfWidth035()
    {
        var zoo = ZooModel.FromZoo(Paths, "mbv2-w0.35");
        var g = zoo.Build();
        Assert.Equal(17, zoo.Blocks.Count);
        // Channels are MobileNetV2's (16, 24, 32, 64, 96, 160, 320) × 0.35, rounded to multiples of 8.
        Assert.Equal(new[] { 8, 16, 24, 32, 56, 112 }, zoo.Blocks.Select(b => b.Out).Distinct());
        // A residual add wherever a block keeps its stride at 1 and its channel count.
        Assert.Equal(10, g.Layers.OfType<AddLayer>().Count());
        Assert.Equal(new[] { 1, 1, 112, 10 }, g.ParameterOf("fc.w").Dims);
        Assert.Equal(1, g.ActivationOf("pool").H);
        Assert.All(g.Layers.OfType<ConvLayer>().Where(c => c.Kernel == 3 && c.Name != "stem.conv"), c => Assert.Equal(g.ActivationOf(c.Input).C, c.Groups));
    }

    [Fact]
    public void McuNetStyleModelVariesKernelAndExpansionPerBlock()
    {
        var zoo = ZooModel.FromZoo(Paths, "mcunet-tiny");
        Assert.Equal(new[] { 3, 5, 7 }, zoo.Blocks.Select(b => b.Kernel).Distinct().Order());
        Assert.Superset(new HashSet<int> { 3, 4, 6 }, zoo.Blocks.Select(b => b.Expand).ToHashSet());
        var g = zoo.Build();
        Assert.Contains(g.Layers.OfType<ConvLayer>(), c => c.Kernel == 7 && c.Pad == 3);
    }

    [Fact]
    public void ResolutionIsAParameterThatChangesShapesAndCostButNotParameters()
    {
        var zoo = ZooModel.FromZoo(Paths, "mbv2-w0.35");
        var small = zoo.Build(32);
        var large = zoo.Build(64);
        Assert.Equal(small.ParameterCount, large.ParameterCount);
        Assert.True(large.ForwardMacs > 3 * small.ForwardMacs);
        Assert.NotEqual(small.ArchitectureSha256(), large.ArchitectureSha256());
        Assert.Equal(small.ArchitectureSha256(), zoo.Build(32).ArchitectureSha256());
    }

    [Theory]
    [InlineData("\"kernel\": 3, \"stride\": 2 }", "\"kernel\": 4, \"stride\": 2 }", "must be 1, 3, 5 or 7")]
    [InlineData("\"classes\": 10,", "", "field 'classes' is missing")]
    [InlineData("\"expand\": 1,", "\"expand\": 0,", "field 'blocks[0].expand' is 0")]
    public void MalformedModelIsRefusedNamingTheField(string from, string to, string expected)
    {
        string text = File.ReadAllText(Path.Combine(Paths.Models, "zoo", "mbv2-w0.35.json"));
        int at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0);
        string path = Path.Combine(Path.GetTempPath(), $"nt-zoo-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text[..at] + to + text[(at + from.Length)..]);
        try
        {
            var ex = Assert.Throws<NanoTrainException>(() => ZooModel.Load(path));
            Assert.Equal(ErrorKind.BadInput, ex.Kind);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class CheckpointTests
{
    private static ModelGraph Graph(int resolution = 32) => ZooModel.FromZoo(RepoPaths.Locate(), "mcunet-tiny").Build(resolution);

    [Fact]
    public void RoundTripKeepsEveryWeightAndTheMetadata()
    {
        var g = Graph();
        var weights = WeightInit.Initialize(g, 5);
        string path = Path.Combine(Path.GetTempPath(), $"nt-ck-{Guid.NewGuid():N}.ntck");
        try
        {
            Checkpoint.For(g, weights, new System.Text.Json.Nodes.JsonObject { ["testTop1"] = 0.5 }).Save(path);
            var back = Checkpoint.Load(path);
            back.RequireArchitecture(g, path);
            Assert.Equal(0.5, back.Metadata["testTop1"]!.GetValue<double>());
            foreach (var p in g.Parameters)
            {
                Assert.Equal(weights[p.Name], back.Weights[p.Name]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CorruptionAndOtherArchitecturesAreRefused()
    {
        var g = Graph();
        string path = Path.Combine(Path.GetTempPath(), $"nt-ck-{Guid.NewGuid():N}.ntck");
        try
        {
            Checkpoint.For(g, WeightInit.Initialize(g, 5)).Save(path);
            var ex = Assert.Throws<NanoTrainException>(() => Checkpoint.Load(path).RequireArchitecture(Graph(48), path));
            Assert.Contains("checkpoint is for 'mcunet-tiny' at 32x32", ex.Message, StringComparison.Ordinal);
            Assert.Contains("not 'mcunet-tiny' at 48x48", ex.Message, StringComparison.Ordinal);

            byte[] bytes = File.ReadAllBytes(path);
            bytes[^5] ^= 0x01;
            File.WriteAllBytes(path, bytes);
            var corrupt = Assert.Throws<NanoTrainException>(() => Checkpoint.Load(path));
            Assert.Equal(ErrorKind.BadInput, corrupt.Kind);
            Assert.Contains("sha256 mismatch", corrupt.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
