using NanoTrain.Core.Common;
using NanoTrain.Core.Data;
using NanoTrain.Core.Model;
using NanoTrain.Core.Plan;

namespace NanoTrain.Native.Training;

/// <summary>SGD settings of a training run.</summary>
public sealed record SgdSettings(float Lr, float Momentum, float WeightDecay);

/// <summary>
/// Trains a model on the host with the native engine, data-parallel over <c>workers</c> threads: each worker
/// runs its share of a batch through its own executor (own activations and gradients), all share one parameter
/// space; gradients are summed in worker order and worker 0 applies the update. Deterministic for a given seed.
/// </summary>
public sealed unsafe class HostTrainer : IDisposable
{
    private readonly NativeBuffer _state;
    private readonly NativeExecutor[] _workers;
    private readonly PlanImage _plan;
    private readonly ImagePipeline _eval;
    private readonly int _inputElements;

    public HostTrainer(ModelGraph graph, IReadOnlyDictionary<string, float[]> weights, int batchPerWorker, int workers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (workers < 1)
        {
            throw new NanoTrainException(ErrorKind.Usage, "workers must be at least 1");
        }
        Graph = graph;
        _plan = PlanWriter.Write(graph, weights, new PlanOptions { Batch = batchPerWorker, Momentum = true });
        _state = new NativeBuffer(_plan.SpaceSizes[1]);
        _workers = new NativeExecutor[workers];
        var shared = new Dictionary<int, NativeBuffer> { [1] = _state };
        for (int i = 0; i < workers; i++)
        {
            // The first executor initialises the shared parameters; later ones re-copy the same initial values.
            _workers[i] = new NativeExecutor(_plan.Bytes, _plan.SpaceSizes, shared);
        }
        _eval = new ImagePipeline(graph.Input.H);
        _inputElements = graph.Input.Elements;
    }

    public ModelGraph Graph { get; }

    public int BatchPerWorker => _plan.Batch;

    public int Workers => _workers.Length;

    /// <summary>Samples per optimisation step.</summary>
    public int StepBatch => _plan.Batch * _workers.Length;

    /// <summary>
    /// One SGD step on <see cref="StepBatch"/> samples given by index into <paramref name="data"/>.
    /// Returns the mean loss over the step and how many samples the forward pass classified correctly.
    /// </summary>
    public (float Loss, int Correct) Step(LabeledImages data, ReadOnlySpan<int> indices, ImagePipeline pipeline, SplitMix64 rng, SgdSettings sgd)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(sgd);
        if (indices.Length != StepBatch)
        {
            throw new ArgumentException($"a step takes {StepBatch} samples, got {indices.Length}", nameof(indices));
        }
        int b = _plan.Batch;
        for (int w = 0; w < _workers.Length; w++)
        {
            var input = _workers[w].Floats(_plan.Input, b * _inputElements);
            var labels = _workers[w].Bytes(_plan.Labels, b);
            for (int s = 0; s < b; s++)
            {
                int index = indices[(w * b) + s];
                pipeline.Render(data.Image(index), input.Slice(s * _inputElements, _inputElements), rng);
                labels[s] = data.Labels[index];
            }
            _workers[w].SetBatchNormMode(training: true, updateRunning: w == 0);
        }
        var losses = new float[_workers.Length];
        var correct = new int[_workers.Length];
        Parallel.For(0, _workers.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers.Length }, w =>
        {
            _workers[w].Forward();
            correct[w] = CountCorrect(_workers[w], b);
            losses[w] = _workers[w].Loss();
            _workers[w].Backward(null);
        });
        // Sum the workers' gradients into worker 0's, in worker order, and clear the others.
        foreach (string name in _plan.Trainable)
        {
            int g = _plan.Index["grad:" + name];
            int n = _plan.Elements[g];
            var sum = _workers[0].Floats(g, n);
            for (int w = 1; w < _workers.Length; w++)
            {
                var part = _workers[w].Floats(g, n);
                for (int i = 0; i < n; i++)
                {
                    sum[i] += part[i];
                }
                part.Clear();
            }
        }
        // Each worker's loss is a mean over its share, so the summed gradient is Workers × the batch mean:
        // scale the rate down and the decay up by the same factor to apply the batch-mean update.
        float k = _workers.Length;
        _workers[0].Update(new SgdConfig { Lr = sgd.Lr / k, Momentum = sgd.Momentum, WeightDecay = sgd.WeightDecay * k }, null);
        return (losses.Average(), correct.Sum());
    }

    /// <summary>Samples among the first <paramref name="count"/> whose largest logit is their label.</summary>
    private int CountCorrect(NativeExecutor worker, int count)
    {
        var predictions = new byte[_plan.Batch];
        worker.Predict(_plan.Logits, _plan.Batch, _plan.Classes, predictions);
        var labels = worker.Bytes(_plan.Labels, _plan.Batch);
        int correct = 0;
        for (int s = 0; s < count; s++)
        {
            correct += predictions[s] == labels[s] ? 1 : 0;
        }
        return correct;
    }

    /// <summary>Top-1 accuracy and mean loss on a whole split, batch norm in inference mode.</summary>
    public (double Accuracy, double Loss) Evaluate(LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int b = _plan.Batch;
        int chunk = b * _workers.Length;
        long correct = 0;
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int[] counts = new int[_workers.Length];
            for (int w = 0; w < _workers.Length; w++)
            {
                var input = _workers[w].Floats(_plan.Input, b * _inputElements);
                var labels = _workers[w].Bytes(_plan.Labels, b);
                input.Clear();
                labels.Clear();
                for (int s = 0; s < b; s++)
                {
                    int index = start + (w * b) + s;
                    if (index >= data.Count)
                    {
                        break;
                    }
                    _eval.Render(data.Image(index), input.Slice(s * _inputElements, _inputElements));
                    labels[s] = data.Labels[index];
                    counts[w]++;
                }
                _workers[w].SetBatchNormMode(training: false, updateRunning: false);
            }
            var losses = new double[_workers.Length];
            var hits = new int[_workers.Length];
            Parallel.For(0, _workers.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers.Length }, w =>
            {
                if (counts[w] == 0)
                {
                    return;
                }
                _workers[w].Forward();
                var logits = _workers[w].Floats(_plan.Logits, b * _plan.Classes);
                var labels = _workers[w].Bytes(_plan.Labels, b);
                for (int s = 0; s < counts[w]; s++)
                {
                    var row = logits.Slice(s * _plan.Classes, _plan.Classes);
                    float max = row[0];
                    for (int c = 1; c < row.Length; c++)
                    {
                        max = Math.Max(max, row[c]);
                    }
                    double sum = 0;
                    for (int c = 0; c < row.Length; c++)
                    {
                        sum += Math.Exp(row[c] - max);
                    }
                    losses[w] += Math.Log(sum) - (row[labels[s]] - max);
                }
                hits[w] = CountCorrect(_workers[w], counts[w]);
            });
            correct += hits.Sum();
            lossSum += losses.Sum();
        }
        return ((double)correct / data.Count, lossSum / data.Count);
    }

    /// <summary>
    /// Logits of <paramref name="count"/> (at most <see cref="BatchPerWorker"/>) raw inputs, NHWC one after another, with
    /// batch norm in inference mode: [count × classes].
    /// </summary>
    public float[] Logits(ReadOnlySpan<float> inputs, int count)
    {
        if (count < 1 || count > _plan.Batch || inputs.Length != count * _inputElements)
        {
            throw new ArgumentException($"{count} inputs of {_inputElements} values (at most {_plan.Batch}) expected, got {inputs.Length} values", nameof(inputs));
        }
        var worker = _workers[0];
        var input = worker.Floats(_plan.Input, _plan.Batch * _inputElements);
        input.Clear();
        inputs.CopyTo(input);
        worker.SetBatchNormMode(training: false, updateRunning: false);
        worker.Forward();
        return worker.Floats(_plan.Logits, count * _plan.Classes).ToArray();
    }

    /// <summary>The current parameters and running statistics, by name.</summary>
    public Dictionary<string, float[]> ReadWeights()
    {
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var p in Graph.Parameters)
        {
            weights[p.Name] = _workers[0].Floats(_plan.Index[p.Name], p.Elements).ToArray();
        }
        return weights;
    }

    public void Dispose()
    {
        foreach (var w in _workers)
        {
            w?.Dispose();
        }
        _state.Dispose();
    }
}
