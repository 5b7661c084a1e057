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
        var deadlock = Assert.Single(HangFindings.Deadlocks(g, _ => null, Model.CoreProducer.Gcore));
        Assert.Equal([9], deadlock.WaitersBehind);
        Assert.Equal(Confidence.Certain, deadlock.Confidence);
    }

    [Fact]
    public void A_thread_waiting_for_itself_is_a_deadlock_one_likely_edge_makes_a_cycle_likely()
    {
        var self = new WaitForGraph([E(4, 4)]);
        Assert.Equal([4], Assert.Single(self.Cycles));
        var g = new WaitForGraph([E(1, 2), E(2, 1, Confidence.Likely)]);
        Assert.Equal(Confidence.Likely, Assert.Single(HangFindings.Deadlocks(g, _ => null, Model.CoreProducer.Gcore)).Confidence);
    }

    [Fact]
    public void Roots_are_the_ends_of_the_chains_ranked_by_how_many_wait_behind_them()
    {
        // 10 ← 11 ← 12, 10 ← 13; 20 ← 21; 30 waits for someone unknown: no edge joins it.
        var g = new WaitForGraph([E(11, 10), E(12, 11), E(13, 10), E(21, 20), E(30, null)]);
        Assert.Equal([10, 20], g.Roots());
        Assert.Equal([11, 13, 12], g.WaitersBehind(10));
        var roots = HangFindings.Roots(g, _ => null, Model.CoreProducer.Gcore);
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

/// <summary>An InnoDB row-lock wait from TRANSACTIONS: an edge whose holder InnoDB does not name.</summary>
public class RowLockWaitTests
{
    [Fact]
    public void A_transaction_waiting_for_a_row_lock_waits_for_an_unknown_holder_for_the_seconds_InnoDB_gives()
    {
        // Session 2 (LWP 100461, handle 0x801606400) of the sample, now waiting for a record lock,
        // in the form MySQL 5.6 prints it (storage/innobase/lock/lock0lock.cc: lock_rec_print).
        string innodb = File.ReadAllText(Path.Combine(Samples.SampleSet.Folder, "mysqld-ghost-fifo.innodb.txt")).Replace(
            "---TRANSACTION 0, not started\nMySQL thread id 2, OS thread handle 0x801606400, query id 10 localhost root init\nSHOW ENGINE INNODB STATUS\n",
            "---TRANSACTION 1795, ACTIVE 44 sec starting index read\nmysql tables in use 1, locked 1\nLOCK WAIT 2 lock struct(s), heap size 360, 1 row lock(s)\n" +
            "MySQL thread id 2, OS thread handle 0x801606400, query id 10 localhost root updating\nUPDATE t SET a = 1 WHERE id = 7\n" +
            "------- TRX HAS BEEN WAITING 44 SEC FOR THIS LOCK TO BE GRANTED:\n" +
            "RECORD LOCKS space id 6 page no 3 n bits 72 index `PRIMARY` of table `test`.`t` trx id 1795 lock_mode X locks rec but not gap waiting\n" +
            "------------------\n", StringComparison.Ordinal);
        Assert.Contains("TRX HAS BEEN WAITING", innodb);
        using var analysis = Analysis.CoreAnalysis.Run(Samples.SampleSet.CorePath("mysqld-ghost-fifo"), new Analysis.AnalysisOptions
        {
            InnodbStatus = innodb,
            Sysroot = Samples.SampleSet.Sysroot("mysqld-ghost-fifo"),
        });
        var edge = Assert.Single(analysis.Graph.Edges);
        Assert.Equal((100461, (int?)null, "innodb-row-lock", 44.0), (edge.Waiter, edge.Holder, edge.Kind, edge.Seconds));
        Assert.Contains("`test`.`t`", edge.Resource);
        Assert.Contains(edge.Evidence, e => e.Contains("does not name the holder", StringComparison.Ordinal));
        // An edge without a holder joins no threads: no root, no node.
        Assert.Empty(analysis.Roots);
        Assert.Empty(analysis.Graph.Nodes);
    }
}
