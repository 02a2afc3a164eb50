using NanoTrain.Core.Common;
using NanoTrain.Core.Plan;

namespace NanoTrain.Core.Tests.Plan;

/// <summary>The memory planner on random problems: placements never collide, stay inside their banks, and respect the bound.</summary>
public class MemoryPlannerTests
{
    private static List<PlannerBuffer> RandomBuffers(SplitMix64 rng, int count, int steps)
    {
        var buffers = new List<PlannerBuffer>();
        for (int i = 0; i < count; i++)
        {
            int first = (int)rng.NextBelow((ulong)steps);
            int last = first + (int)rng.NextBelow((ulong)(steps - first));
            buffers.Add(new PlannerBuffer(i, 1 + (long)rng.NextBelow(5000), first, last));
        }
        return buffers;
    }

    [Fact]
    public void RandomProblemsNeverOverlapAndStayInsideTheirBanks()
    {
        var rng = new SplitMix64(2024);
        for (int trial = 0; trial < 300; trial++)
        {
            var buffers = RandomBuffers(rng, 1 + (int)rng.NextBelow(60), 1 + (int)rng.NextBelow(40));
            var banks = Enumerable.Range(0, 1 + (int)rng.NextBelow(4)).Select(b => new PlannerBank($"B{b}", 2000 + (long)rng.NextBelow(40000))).ToList();
            var result = MemoryPlanner.Place(buffers, banks, 16);
            Assert.Equal(buffers.Count, result.Placements.Count + result.Unplaced.Count);
            var placed = buffers.Where(b => result.Placements.ContainsKey(b.Id)).ToList();
            foreach (var a in placed)
            {
                var pa = result.Placements[a.Id];
                Assert.Equal(0, pa.Offset % 16);
                Assert.True(pa.Offset + MemoryPlanner.AlignUp(a.Bytes, 16) <= banks[pa.Bank].Capacity, $"trial {trial}: buffer {a.Id} leaves bank {pa.Bank}");
                foreach (var b in placed.Where(b => b.Id > a.Id && a.OverlapsInTime(b)))
                {
                    var pb = result.Placements[b.Id];
                    bool apart = pa.Bank != pb.Bank || pa.Offset + a.Bytes <= pb.Offset || pb.Offset + b.Bytes <= pa.Offset;
                    Assert.True(apart, $"trial {trial}: buffers {a.Id} and {b.Id} are live together and overlap in bank {pa.Bank}");
                }
            }
            // Whatever did not fit could not have fitted anywhere at the lowest free offset the planner tried.
            foreach (var u in result.Unplaced)
            {
                Assert.DoesNotContain(u.Id, result.Placements.Keys);
            }
        }
    }

    [Fact]
    public void OneUnboundedBankLandsCloseToTheLowerBound()
    {
        var rng = new SplitMix64(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var buffers = RandomBuffers(rng, 1 + (int)rng.NextBelow(40), 1 + (int)rng.NextBelow(30));
            long bound = MemoryPlanner.LowerBound(buffers, 16);
            var result = MemoryPlanner.Place(buffers, [new PlannerBank("all", long.MaxValue / 4)], 16);
            Assert.True(result.Fits);
            Assert.True(result.TotalBytes >= bound, $"trial {trial}: arena {result.TotalBytes} below the bound {bound}");
            Assert.True(result.TotalBytes <= buffers.Sum(b => MemoryPlanner.AlignUp(b.Bytes, 16)));
        }
    }

    [Fact]
    public void BuffersLiveAtDifferentTimesShareTheirBytes()
    {
        PlannerBuffer[] chain = [new(0, 1000, 0, 1), new(1, 1000, 1, 2), new(2, 1000, 2, 3), new(3, 1000, 3, 4)];
        var result = MemoryPlanner.Place(chain, [new PlannerBank("A", 1 << 20)], 16);
        Assert.Equal(2 * 1008, result.TotalBytes);
        Assert.Equal(2 * 1008, MemoryPlanner.LowerBound(chain, 16));
    }

    [Fact]
    public void ABufferLargerThanEveryBankIsReportedNotPlaced()
    {
        PlannerBuffer[] buffers = [new(0, 100, 0, 0), new(1, 5000, 0, 0)];
        var result = MemoryPlanner.Place(buffers, [new PlannerBank("A", 1024), new PlannerBank("B", 2048)], 16);
        Assert.False(result.Fits);
        Assert.Equal(1, Assert.Single(result.Unplaced).Id);
        Assert.Equal(112, result.TotalBytes);
    }
}
