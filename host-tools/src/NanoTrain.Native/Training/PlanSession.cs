using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Device;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>
/// A device plan run on the host build of the engine the way the trainer firmware runs it: one training step per
/// sample (nt_exec_train_step, plain SGD), top-1 from the forward pass's logits. Starts from the plan's initial
/// weights; a new session starts over.
/// </summary>
public sealed class PlanSession : IDisposable
{
    private readonly PlanImage _plan;
    private readonly NativeExecutor _exec;
    private readonly ImagePipeline _pipeline;
    private readonly int _pixels;

    private readonly bool _elastic;

    /// <param name="plan">A batch-1 plan.</param>
    /// <param name="elastic">Elastic selection with costs measured on the board for this plan (the plan must reserve its
    /// workspace); null trains every parameter.</param>
    public PlanSession(PlanImage plan, HostElastic? elastic = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Batch != 1)
        {
            throw new ArgumentException($"a session runs batch-1 plans, this one has batch {plan.Batch}", nameof(plan));
        }
        _plan = plan;
        _exec = new NativeExecutor(plan.Bytes, plan.SpaceSizes);
        _pixels = plan.Elements[plan.Input];
        _pipeline = new ImagePipeline((int)Math.Round(Math.Sqrt(_pixels)));
        if (elastic != null)
        {
            if (!plan.Index.TryGetValue("elastic", out int workspace))
            {
                throw new NanoTrainException(ErrorKind.Usage, "elastic selection needs a plan that reserves its workspace (methods elastic and nanotrain)");
            }
            unsafe
            {
                _exec.StartElastic(workspace, plan.Elements[workspace], NativeExecutor.CountingClock, elastic.Rho, elastic.Window, elastic.Calibration);
            }
            _exec.UseElasticCosts(elastic.Costs);
            _elastic = true;
        }
    }

    /// <summary>One step per sample, in the given order; returns the mean loss.</summary>
    public double Train(LabeledImages data, IReadOnlyList<int> order, float lr)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(order);
        double sum = 0;
        var sgd = new SgdConfig { Lr = lr };
        foreach (int i in order)
        {
            _pipeline.Render(data.Image(i), _exec.Floats(_plan.Input, _pixels));
            _exec.Bytes(_plan.Labels, 1)[0] = data.Labels[i];
            sum += _elastic ? _exec.ElasticTrainStep(sgd) : _exec.TrainStep(sgd, null);
        }
        return order.Count == 0 ? 0 : sum / order.Count;
    }

    /// <summary>Top-1 over the given samples (the whole set when null).</summary>
    public double Accuracy(LabeledImages data, IReadOnlyList<int>? samples = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        int count = samples?.Count ?? data.Count, correct = 0;
        Span<byte> prediction = stackalloc byte[1];
        for (int k = 0; k < count; k++)
        {
            int i = samples?[k] ?? k;
            _pipeline.Render(data.Image(i), _exec.Floats(_plan.Input, _pixels));
            _exec.Forward();
            _exec.Predict(_plan.Logits, 1, _plan.Classes, prediction);
            correct += prediction[0] == data.Labels[i] ? 1 : 0;
        }
        return count == 0 ? 0 : (double)correct / count;
    }

    public void Dispose() => _exec.Dispose();
}

/// <summary>Elastic selection in a host run: the share of a full step, steps between selections, calibration steps, and the
/// costs a board measured for the same plan, in its counter ticks (<see cref="ElasticCosts.InTicks"/>), so the host
/// chooses as the board does.</summary>
public sealed record HostElastic(float Rho, int Window, int Calibration, ElasticCosts Costs);
