using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.WaitGraph;

namespace CoreSleuth.Tests.WaitGraph;

/// <summary>The graph's own logic on hand-made edges: cycles, roots, who waits behind whom.</summary>
public class WaitForGraphTests
{
    private static WaitEdge E(int waiter, int? holder, Confidence c = Confidence.Certain) => new(waiter, holder, "pthread-mutex", $"mutex of {holder}", c, ["test"]);

    [Fact]
    public void Two_threads_waiting_for_each_other_are_one_cycle_and_no_root()
    {
        var g = new WaitForGraph([E(2, 1), E(1, 2)]);
        Assert.Equal([1, 2], Assert.Single(g.Cycles));
        Assert.Empty(g.Roots());
    }

    [Fact]
    public void A_cycle_is_listed_in_waiting_order_from_its_smallest_thread_and_its_tail_waits_behind_it()
    {
        // 3 → 7 → 5 → 3, and 9 waits for 5 from outside the cycle.
        var g = new WaitForGraph([E(3, 7), E(7, 5), E(5, 3), E(9, 5)]);
        Assert.Equal([3, 7, 5], Assert.Single(g.Cycles));
        Assert.Contains(9, g.WaitersBehind(5));
        var deadlock = Assert.Single(HangFindings.Deadlocks(g, _ => null, FreeBsd.CoreProducer.Gcore));
        Assert.Equal([9], deadlock.WaitersBehind);
        Assert.Equal(Confidence.Certain, deadlock.Confidence);
    }

    [Fact]
    public void A_thread_waiting_for_itself_is_a_deadlock_one_likely_edge_makes_a_cycle_likely()
    {
        var self = new WaitForGraph([E(4, 4)]);
        Assert.Equal([4], Assert.Single(self.Cycles));
        var g = new WaitForGraph([E(1, 2), E(2, 1, Confidence.Likely)]);
        Assert.Equal(Confidence.Likely, Assert.Single(HangFindings.Deadlocks(g, _ => null, FreeBsd.CoreProducer.Gcore)).Confidence);
    }

    [Fact]
    public void Roots_are_the_ends_of_the_chains_ranked_by_how_many_wait_behind_them()
    {
        // 10 ← 11 ← 12, 10 ← 13; 20 ← 21; 30 waits for someone unknown: no edge joins it.
        var g = new WaitForGraph([E(11, 10), E(12, 11), E(13, 10), E(21, 20), E(30, null)]);
        Assert.Equal([10, 20], g.Roots());
        Assert.Equal([11, 13, 12], g.WaitersBehind(10));
        var roots = HangFindings.Roots(g, _ => null, FreeBsd.CoreProducer.Gcore);
        Assert.Equal([10, 20], roots.Select(r => r.Root));
        Assert.Equal([11, 13], roots[0].Direct);
        Assert.DoesNotContain(30, g.Nodes);
        Assert.Single(g.WaitsFor(30));
    }

    [Fact]
    public void A_chain_of_twenty_thousand_threads_is_walked_without_recursion()
    {
        var edges = Enumerable.Range(1, 20_000).Select(i => E(i + 1, i)).ToList();
        var g = new WaitForGraph(edges);
        Assert.Empty(g.Cycles);
        Assert.Equal([1], g.Roots());
        Assert.Equal(20_000, g.WaitersBehind(1).Count);
        var ring = new WaitForGraph([.. edges, E(1, 20_001)]);
        Assert.Equal(20_001, Assert.Single(ring.Cycles).Count);
    }

    [Theory]
    [InlineData(59, "59 s")]
    [InlineData(615, "10 min 15 s")]
    [InlineData(6120, "1 h 42 min")]
    [InlineData(200_000, "2 d 7 h")]
    public void Durations_read_as_a_DBA_says_them(double seconds, string text) => Assert.Equal(text, Durations.Text(seconds));
}
