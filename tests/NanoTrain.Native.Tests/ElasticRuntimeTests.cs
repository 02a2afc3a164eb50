using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;
using NanoTrain.Core.Quantization;

namespace NanoTrain.Native.Tests;

/// <summary>
/// Elastic selection at run time (nt_elastic_start, nt_elastic_train_step) in the workspace the plan reserves: it
/// calibrates on full steps, trains only what it chose within the budget, and a tensor left out comes back.
/// </summary>
public unsafe class ElasticRuntimeTests
{
    [Theory]
    [InlineData(10, 3, 1)]
    [InlineData(600, 200, 110)]
    [InlineData(2047, 900, 333)]
    public void TheToolSizesTheWorkspaceAsTheEngineDoes(int tensors, int ops, int candidates)
    {
        EngineApi.Load();
        Assert.Equal((long)EngineApi.ElasticStateBytes((uint)tensors, (uint)ops, (uint)candidates), ElasticState.Bytes(tensors, ops, candidates));
    }

    private static (PlanImage Plan, ModelGraph Graph, List<string> Candidates) ElasticPlan()
    {
        var (model, weights, _) = TestModels.QuantizedTiny(5, 6, 16, 8);
        var g = TestModels.Tiny();
        var fc = g.Layers.OfType<FcLayer>().Last();
        var classifier = new Dictionary<string, float[]> { ["fc.w"] = weights[fc.Weight], ["fc.b"] = weights[fc.Bias] };
        var trainable = model.Ops.OfType<QuantizedConv>().SelectMany(c => new[] { c.Name + ".w.s8", c.Name + ".b.s32" }).Concat(["fc.w", "fc.b"]).ToList();
        var plan = PlanWriter.WriteInt8WithFp32Classifier(model, classifier, new PlanOptions
        {
            Trainable = trainable.ToHashSet(StringComparer.Ordinal), Condense = true, Elastic = true, Banks = [new PlannerBank("A", 1 << 20)],
        });
        return (plan, g, trainable);
    }

    private static byte[] Raw(PlanImage plan, NativeExecutor exec, string name) =>
        exec.Bytes(plan.Index[name], plan.Elements[plan.Index[name]] * (name.EndsWith(".s8", StringComparison.Ordinal) ? 1 : 4)).ToArray();

    [Fact]
    public void ItCalibratesTrainsOnlyItsChoiceWithinTheBudgetAndALeftOutTensorReturns()
    {
        var (plan, g, trainable) = ElasticPlan();
        Assert.Contains("elastic selection", plan.Memory!.Categories.Keys);
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        int workspace = plan.Index["elastic"];
        exec.StartElastic(workspace, plan.Elements[workspace], NativeExecutor.CountingClock, 0.6f, 4, 3);
        var status = exec.Elastic;
        Assert.Equal(trainable.Count, status.Candidates);
        var input = TestModels.Input(g, 1, 4);
        var labels = TestModels.Labels(g, 1, 4);
        void Step()
        {
            input.CopyTo(exec.Floats(plan.Input, input.Length));
            labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            exec.ElasticTrainStep(new SgdConfig { Lr = 0.02f });
        }
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Enumerable.Range(0, status.Candidates).All(exec.ElasticSelected), "calibration trains every candidate");
            Step();
        }
        status = exec.Elastic;
        Assert.Equal(1u, status.Selections);
        Assert.True(status.Full > status.Fixed && status.Fixed > 0);
        Assert.Equal((ulong)(0.6 * status.Full) - status.Fixed, status.Budget);
        Assert.InRange(status.Chosen, 1, status.Candidates - 1);
        Assert.True(status.Predicted <= status.Fixed + status.Budget, $"predicted {status.Predicted} over {status.Fixed} + {status.Budget}");
        // The candidates in depth order: the classifier's, then the convs' from the last (weights before bias).
        var order = new List<string> { "fc.w", "fc.b" };
        foreach (var conv in trainable.Where(n => n.EndsWith(".w.s8", StringComparison.Ordinal)).Reverse())
        {
            order.Add(conv);
            order.Add(conv[..^".w.s8".Length] + ".b.s32");
        }
        // Each window's choice; within a window only the chosen tensors change.
        var windows = new List<HashSet<int>>();
        for (int window = 0; window < 12; window++)
        {
            var chosen = Enumerable.Range(0, status.Candidates).Where(exec.ElasticSelected).ToHashSet();
            windows.Add(chosen);
            var before = order.ToDictionary(n => n, n => Raw(plan, exec, n));
            for (int s = 0; s < 4; s++)
            {
                Step();
            }
            for (int c = 0; c < order.Count; c++)
            {
                if (!chosen.Contains(c))
                {
                    Assert.Equal(before[order[c]], Raw(plan, exec, order[c]));
                }
            }
        }
        // Some tensor was chosen, left out, then chosen again.
        bool Returns(int c)
        {
            int first = windows.FindIndex(w => w.Contains(c));
            int gap = first < 0 ? -1 : windows.FindIndex(first, w => !w.Contains(c));
            return gap >= 0 && windows.FindIndex(gap, w => w.Contains(c)) >= 0;
        }
        Assert.True(Enumerable.Range(0, status.Candidates).Any(Returns), string.Join(" | ", windows.Select(w => string.Join(",", w.Order()))) + $" {status}");
        Assert.Equal(13u, exec.Elastic.Selections);
    }

    [Fact]
    public void ALossThatStopsFallingEndsTheWindowEarlyAndAFallingOneDoesNot()
    {
        var (plan, g, _) = ElasticPlan();
        using var exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        int workspace = plan.Index["elastic"];
        exec.StartElastic(workspace, plan.Elements[workspace], NativeExecutor.CountingClock, 0.6f, 10, 3);
        // Learning rate 0: nothing changes, so each sample's loss is the same every time.
        var samples = new[] { TestModels.Input(g, 1, 4), TestModels.Input(g, 1, 5) };
        var labels = TestModels.Labels(g, 1, 4);
        double Step(int sample)
        {
            samples[sample].CopyTo(exec.Floats(plan.Input, samples[sample].Length));
            labels.CopyTo(exec.Bytes(plan.Labels, labels.Length));
            return exec.ElasticTrainStep(new SgdConfig { Lr = 0 });
        }
        double a = Step(0), b = Step(1);
        Step(0);
        Assert.Equal((1u, 0u), (exec.Elastic.Selections, exec.Elastic.Plateaus));
        Assert.NotEqual(a, b);
        int high = a > b ? 0 : 1, low = 1 - high;
        // The first window after calibration has no mean before it: it runs its 10 steps.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(1u, exec.Elastic.Selections);
            Step(high);
        }
        Assert.Equal((2u, 0u), (exec.Elastic.Selections, exec.Elastic.Plateaus));
        // A lower loss than the window before: no plateau, the window runs its 10 steps.
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(2u, exec.Elastic.Selections);
            Step(low);
        }
        Assert.Equal((3u, 0u), (exec.Elastic.Selections, exec.Elastic.Plateaus));
        // The same loss again: after half a window the selection is made early, and again half a window later.
        for (int i = 0; i < 4; i++)
        {
            Step(low);
        }
        Assert.Equal(3u, exec.Elastic.Selections);
        Step(low);
        Assert.Equal((4u, 1u), (exec.Elastic.Selections, exec.Elastic.Plateaus));
        for (int i = 0; i < 5; i++)
        {
            Step(low);
        }
        Assert.Equal((5u, 2u), (exec.Elastic.Selections, exec.Elastic.Plateaus));
    }
}
