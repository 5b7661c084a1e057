using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// <c>bt</c> ends with each stack that several threads share, once, after "N threads: LWP …" (as
/// pt-pmp sums up a server); <c>bt --lwp N</c> shows that thread's backtrace alone.
/// </summary>
public class BtSharedStacksTests
{
    private const string Incident = "mysqld-ghost-fifo";

    private static CliResult Bt(params string[] more) =>
        Coresleuth.Run(["bt", SampleSet.CorePath(Incident), "--sysroot", Path.Combine(SampleSet.Folder, "sysroot-" + Incident), .. more]);

    [Fact]
    public void The_ten_innodb_io_threads_waiting_in_fil_aio_wait_are_one_stack_after_their_lwps()
    {
        var r = Bt();
        Assert.True(r.ExitCode == 0, r.ToString());
        // The scenario's ten io_handler_threads (LWP 100413-100422) wait alike; every other thread's stack is its own.
        string expected = """

            Threads with identical stacks: 1 stack shared by 10 threads

            10 threads: LWP 100413, 100414, 100415, 100416, 100417, 100418, 100419, 100420, 100421, 100422
            #0   libthr.so.3+0x17da
            #1   libthr.so.3+0x1709
            #2   libthr.so.3+0x16e1
            #3   libthr.so.3+0x16a0
            #4   libthr.so.3+0x1650
            #5   __pthread_cond_wait
            #6   os_event::wait_low(long)
            #7   os_event_wait_low(os_event*, long)
            #8   os_aio_simulated_handle(unsigned long, fil_node_t**, void**, unsigned long*)
            #9   fil_aio_wait(unsigned long)
            #10  io_handler_thread
            #11  libthr.so.3+0x11ee

            """.ReplaceLineEndings("\n");
        Assert.EndsWith(expected, r.Stdout);
        // Each of the ten threads has its own backtrace above, as before.
        for (int lwp = 100413; lwp <= 100422; lwp++) Assert.Contains($" (LWP {lwp}, pthread_t ", r.Stdout);
    }

    [Fact]
    public void One_threads_backtrace_has_no_summary_and_is_its_block_of_the_whole_output()
    {
        var all = Bt();
        var one = Bt("--lwp", "100413");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.DoesNotContain("identical stacks", one.Stdout);
        Assert.StartsWith("Thread ", one.Stdout);
        Assert.Contains(one.Stdout, all.Stdout);
    }
}
