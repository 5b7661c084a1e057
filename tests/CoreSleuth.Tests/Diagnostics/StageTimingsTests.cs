using CoreSleuth.Diagnostics;
using Xunit;

namespace CoreSleuth.Tests.Diagnostics;

public class StageTimingsTests
{
    [Fact]
    public void Stages_of_another_thread_are_added_as_concurrent_and_keep_their_counts()
    {
        var main = new StageTimings();
        using (main.Measure("unwind")) { }
        using (main.Measure("unwind")) { }
        var other = new StageTimings();
        var worker = new Thread(() =>
        {
            using (other.Measure("statement search")) { }
            using (other.Measure("statement search")) { }
            using (other.Measure("statement search")) { }
        });
        worker.Start();
        worker.Join();
        main.AddConcurrent(other);
        using (main.Measure("report")) { }

        Assert.Equal([("unwind", 2, false), ("statement search", 3, true), ("report", 1, false)],
            main.Stages.Select(s => (s.Stage, s.Count, s.Concurrent)));
    }
}
