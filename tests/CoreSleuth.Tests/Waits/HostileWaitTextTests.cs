using System.Diagnostics;
using CoreSleuth.Analysis.MySql;

namespace CoreSleuth.Tests.Waits;

/// <summary>Inputs built to make pattern matching backtrack: each must still be read in linear time.</summary>
public class HostileWaitTextTests
{
    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    [Fact]
    public void Lines_of_repeated_near_matches_are_read_in_linear_time()
    {
        // Every "--Thread" starts a match whose file name could end at any later "line": backtracking would try them all.
        string semaphores = Repeat("--Thread 1 has waited at line 1 for ", 20_000) + "\n"
                            + "--Thread 1 has waited at a line 1 for 1 seconds the semaphore:\n"
                            + "Mutex at 0x1, Mutex " + Repeat("created a:", 40_000) + "\n"
                            + "Last time read locked in file " + Repeat("line 1 ", 40_000) + "\n";
        string transactions = "---TRANSACTION 1, ACTIVE 1 sec\nMySQL thread id 1, OS thread handle 1, query id 1 h u\n"
                              + "------- TRX HAS BEEN WAITING 1 SEC FOR THIS LOCK TO BE GRANTED:\n"
                              + "RECORD LOCKS space id 1 page no 1 n bits 1 index " + Repeat("of table trx id ", 40_000) + "\n";
        string statement = Repeat("TABLE ", 200_000) + "a" + Repeat(", a", 100_000);

        var watch = Stopwatch.StartNew();
        var waits = InnodbSemaphores.Read(semaphores);
        var session = Assert.Single(MySqlSessions.ReadInnodbStatus(transactions).Sessions);
        var tables = StatementTables.Of(statement);
        watch.Stop();

        Assert.Equal("mutex", Assert.Single(waits).Kind);
        Assert.Equal(1, session.LockWait!.Seconds);
        Assert.Equal(["a"], tables);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }
}
