using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary><c>analyze --search-limit</c> and <c>--timings</c> on the incident sample.</summary>
public sealed class AnalyzeOptionsTests
{
    private static readonly string Ghost = SampleSet.CorePath("mysqld-ghost-fifo");

    private const string HeapStatement = "mentions the path: LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t";

    [Fact]
    public void The_whole_memory_of_a_small_core_is_searched_by_default()
    {
        var run = Coresleuth.Run("analyze", Ghost);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains(HeapStatement, run.Stdout);
        Assert.DoesNotContain("stopped after", run.Stdout);
    }

    [Fact]
    public void A_search_limit_below_the_heap_misses_its_statement_and_says_where_it_stopped()
    {
        // Smallest mappings first: the 32 KiB thread stacks (one holds the path) come before the heaps.
        var run = Coresleuth.Run("analyze", Ghost, "--search-limit", "64K");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(HeapStatement, run.Stdout);
        Assert.Matches(@"the search of memory for the path stopped after 64 KiB of \d+ (KiB|MiB) of writable memory \(smallest mappings first; --search-limit raises the limit of 64 KiB\)", run.Stdout);
        Assert.Contains(HeapStatement, Coresleuth.Run("analyze", Ghost, "--search-limit", "all").Stdout);
    }

    [Theory]
    [InlineData("12x")]
    [InlineData("-1")]
    [InlineData("99999999999T")]
    public void A_bad_search_limit_is_a_usage_error(string size)
    {
        var run = Coresleuth.Run("analyze", Ghost, "--search-limit", size);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"invalid size '{size}'", run.Stderr);
    }

    [Fact]
    public void Timings_go_to_stderr_stage_by_stage_and_leave_the_report_unchanged()
    {
        var plain = Coresleuth.Run("analyze", Ghost, "--format", "json");
        var timed = Coresleuth.Run("analyze", Ghost, "--format", "json", "--timings");
        Assert.Equal((0, plain.Stdout), (timed.ExitCode, timed.Stdout));
        Assert.Equal("", plain.Stderr);
        var stages = timed.Stderr.Split('\n').Skip(1).Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  .{20} +\d+\.\d ms"))
            .Select(l => l.Trim()[..20].TrimEnd()).ToList();
        Assert.Equal(["open and notes", "modules", "syscalls", "pthread_t", "unwind", "symbols", "my_open arguments", "helping the search", "waiting for search", "wait-for graph", "statement search", "report", "render json", "total", "command so far"], stages);
        // The search runs alongside the stack walks: its time is shown but not added to the total.
        Assert.Matches(@"\n  statement search +\d+\.\d ms +\d+\.\d MiB allocated  \(on another thread, alongside the stages above\)\n", timed.Stderr);
        Assert.Matches(@"\n  garbage collections: \d+ \(generation 1: \d+, generation 2: \d+\), \d+\.\d ms paused\n", timed.Stderr);
        Assert.Contains("(23 times)", timed.Stderr); // per-thread stages add up over the sample's 23 threads
        Assert.Matches(@"\n  unwind +\d+\.\d ms +\d+\.\d MiB allocated  \(23 times\)\n", timed.Stderr);
    }

    /// <summary>threads and handle, which walk no stack, time their stages too: opening, pthread_t resolution, the report.</summary>
    [Theory]
    [InlineData("threads")]
    [InlineData("handle", "0x1234")]
    public void Timings_of_the_commands_without_stacks_leave_their_report_unchanged(string command, params string[] arguments)
    {
        string[] args = [command, Ghost, .. arguments, "--format", "json"];
        var plain = Coresleuth.Run(args);
        var timed = Coresleuth.Run([.. args, "--timings"]);
        Assert.Equal((0, plain.Stdout), (timed.ExitCode, timed.Stdout));
        Assert.Equal("", plain.Stderr);
        var stages = timed.Stderr.Split('\n').Skip(1).Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  .{20} +\d+\.\d ms"))
            .Select(l => l.Trim()[..20].TrimEnd()).ToList();
        Assert.Equal("open and notes", stages[0]);
        Assert.Contains("pthread_t", stages);
        Assert.DoesNotContain("unwind", stages);
        Assert.Equal(["report", "render json", "total", "command so far"], stages[^4..]);
    }
}
