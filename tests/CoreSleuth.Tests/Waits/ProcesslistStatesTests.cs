using CoreSleuth.Analysis.MySql;

namespace CoreSleuth.Tests.Waits;

public class ProcesslistStatesTests
{
    [Theory]
    // sql/mdl.cc, MDL_key::m_namespace_to_wait_state_name (5.5 to 8.0; MariaDB, Percona)
    [InlineData("Waiting for table metadata lock", "metadata")]
    [InlineData("Waiting for schema metadata lock", "metadata")]
    [InlineData("Waiting for stored function metadata lock", "metadata")]
    [InlineData("Waiting for stored procedure metadata lock", "metadata")]
    [InlineData("Waiting for trigger metadata lock", "metadata")]
    [InlineData("Waiting for event metadata lock", "metadata")]
    [InlineData("Waiting for tablespace metadata lock", "metadata")]
    [InlineData("Waiting for global read lock", "global-read")]
    [InlineData("Waiting for commit lock", "commit")]
    [InlineData("Waiting for backup lock", "backup")]
    [InlineData("Waiting for binlog lock", "binlog")]
    [InlineData("User lock", "user-lock")]
    [InlineData("Waiting for locking service lock", "locking-service")]
    // mysys: thr_lock; sql/mysqld.cc stages
    [InlineData("Waiting for table level lock", "table-level")]
    [InlineData("Waiting for table flush", "table-flush")]
    public void Classifies_the_waiting_states(string state, string kind)
    {
        var wait = ProcesslistStates.Classify(state)!;
        Assert.Equal((state, kind, true), (wait.State, wait.LockKind, wait.Certain));
        Assert.False(string.IsNullOrWhiteSpace(wait.Sentence));
        Assert.Contains('/', wait.Source);
    }

    [Fact]
    public void System_lock_is_no_certain_wait()
    {
        var wait = ProcesslistStates.Classify("System lock")!;
        Assert.Equal(("system-lock", false), (wait.LockKind, wait.Certain));
        Assert.Contains("sql/lock.cc", wait.Source);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Sending data")]
    [InlineData("executing")]
    [InlineData("statistics")]
    [InlineData("Waiting for lock_type lock")] // the manual's placeholder, no state the server sets
    [InlineData("Waiting for table metadata lock and more")]
    public void Other_states_are_no_lock_wait(string? state) => Assert.Null(ProcesslistStates.Classify(state));

    [Fact]
    public void A_state_as_a_capture_pads_it_is_the_same_state()
    {
        // The client's table form pads cells; a hand copy may change case.
        Assert.Equal("metadata", ProcesslistStates.Classify("  waiting for TABLE metadata lock ")!.LockKind);
    }
}
