using System.IO.Compression;
using CoreSleuth.Analysis;
using CoreSleuth.Cli;
using CoreSleuth.Diagnostics;
using CoreSleuth.Tests.Samples;

namespace CoreSleuth.Tests.Cli;

/// <summary>
/// Progress of long steps: the library tells an <see cref="IProgress{T}"/> how far decompression,
/// the pthread signature scan and the statement search have come; the CLI draws it as one line on
/// a terminal's standard error, and writes nothing when standard error is not a terminal.
/// </summary>
public sealed class ProgressTests : IDisposable
{
    private const string Incident = "mysqld-ghost-fifo";

    private readonly string folder = Directory.CreateTempSubdirectory("coresleuth-progress-test-").FullName;

    public void Dispose()
    {
        ProgressLine.TimingForTests.Value = null;
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Keeps every report, from whichever thread it comes.</summary>
    private sealed class Recorder : IProgress<WorkProgress>
    {
        private readonly List<WorkProgress> reports = [];

        public void Report(WorkProgress value)
        {
            lock (reports) reports.Add(value);
        }

        public IReadOnlyList<WorkProgress> Of(string step)
        {
            lock (reports) return reports.Where(r => r.Step == step).ToList();
        }
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class FakeTime : TimeProvider
    {
        private long ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => ticks;
        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }

    private string GzipSample()
    {
        string path = Path.Combine(folder, Incident + ".core.gz");
        using var input = File.OpenRead(SampleSet.CorePath(Incident));
        using var output = File.Create(path);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        input.CopyTo(gzip);
        return path;
    }

    private static void AssertMonotonicToTheEnd(IReadOnlyList<WorkProgress> reports, long total)
    {
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(total, r.Total));
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i].Done >= reports[i - 1].Done, $"report {i}: {reports[i].Done} after {reports[i - 1].Done}");
        Assert.Equal(total, reports[^1].Done);
        Assert.Equal(1.0, reports[^1].Fraction);
    }

    [Fact]
    public void The_library_reports_decompression_signature_scan_and_statement_search_monotonically_ending_at_100_percent()
    {
        string compressed = GzipSample();
        var recorder = new Recorder();
        var options = new AnalysisOptions { InnodbStatus = Path.Combine(SampleSet.Folder, Incident + ".innodb.txt"), Progress = recorder };
        using (var analysis = CoreAnalysis.Run(compressed, options))
            Assert.NotEmpty(analysis.Findings); // the search ran: it looks for the statement of the blocked open

        // Decompression: compressed bytes read of the file's length.
        var decompression = recorder.Of("decompressing gzip");
        AssertMonotonicToTheEnd(decompression, new FileInfo(compressed).Length);
        Assert.True(decompression.Count >= 2, $"{decompression.Count} reports"); // 1.7 MB out, a report per MiB and the last
        // The sample's libthr has no symbols here (no --sysroot): its pthread_t are found by the scan.
        var scan = recorder.Of("pthread signature scan");
        AssertMonotonicToTheEnd(scan, scan[^1].Total);
        Assert.True(scan[^1].Total > 0);
        var search = recorder.Of("statement search");
        AssertMonotonicToTheEnd(search, search[^1].Total);
    }

    [Fact]
    public void Nothing_is_drawn_before_a_second_and_then_at_most_ten_times_a_second_and_clearing_erases_the_line()
    {
        var time = new FakeTime();
        var terminal = new StringWriter();
        var line = ProgressLine.For(terminal, stderrIsTerminal: true, time)!;
        line.Report(new WorkProgress("decompressing zstd", 1L << 20, 4L << 20));
        time.Advance(TimeSpan.FromMilliseconds(900));
        line.Report(new WorkProgress("decompressing zstd", 2L << 20, 4L << 20));
        Assert.Empty(terminal.ToString());

        time.Advance(TimeSpan.FromMilliseconds(100));
        line.Report(new WorkProgress("decompressing zstd", 2L << 20, 4L << 20));
        Assert.Equal("\rcoresleuth: decompressing zstd 50% (2 of 4 MiB)", terminal.ToString());
        time.Advance(TimeSpan.FromMilliseconds(50));
        line.Report(new WorkProgress("decompressing zstd", 3L << 20, 4L << 20)); // too soon after the last
        Assert.DoesNotContain("75%", terminal.ToString());
        time.Advance(TimeSpan.FromMilliseconds(50));
        line.Report(new WorkProgress("statement search", 4L << 20, 4L << 20));

        string drawn = "coresleuth: decompressing zstd 50% (2 of 4 MiB)";
        string next = "coresleuth: statement search 100% (4 of 4 MiB)";
        // The shorter line is padded with spaces over the end of the longer one.
        Assert.Equal($"\r{drawn}\r{next} ", terminal.ToString());
        line.Clear();
        Assert.Equal($"\r{drawn}\r{next} \r{new string(' ', next.Length)}\r", terminal.ToString());
        // A report after the line was cleared (a search still running on another thread) draws nothing.
        time.Advance(TimeSpan.FromSeconds(1));
        line.Report(new WorkProgress("statement search", 4L << 20, 4L << 20));
        Assert.EndsWith($"{new string(' ', next.Length)}\r", terminal.ToString());
        Assert.Null(ProgressLine.For(terminal, stderrIsTerminal: false, time));
    }

    [Theory]
    [InlineData(150_000L, 296_198L, "(146 of 289 KiB)")]
    [InlineData(3L << 20, 4L << 30, "(3 of 4,096 MiB)")]
    [InlineData(12L << 30, 64L << 30, "(12 of 64 GiB)")]
    public void Sizes_are_in_the_unit_of_the_total(long done, long total, string sizes)
    {
        Assert.EndsWith($"% {sizes}", ProgressLine.Text(new WorkProgress("statement search", done, total)));
    }

    [Fact]
    public void The_cli_draws_progress_on_a_terminal_only_and_never_on_standard_output()
    {
        string compressed = GzipSample();
        ProgressLine.TimingForTests.Value = TimeSpan.Zero; // every report is drawn
        string[] args = ["analyze", compressed, "--innodb-status", Path.Combine(SampleSet.Folder, Incident + ".innodb.txt")];

        var (quiet, quietOut) = (new StringWriter(), new StringWriter());
        Assert.Equal(Program.ExitSuccess, Program.Run(args, quietOut, quiet, stderrIsTerminal: false));
        Assert.Empty(quiet.ToString());

        var (terminal, terminalOut) = (new StringWriter(), new StringWriter());
        Assert.Equal(Program.ExitSuccess, Program.Run(args, terminalOut, terminal, stderrIsTerminal: true));
        string drawn = terminal.ToString();
        Assert.StartsWith("\rcoresleuth: decompressing gzip ", drawn);
        Assert.Contains("\rcoresleuth: pthread signature scan ", drawn);
        Assert.Contains("\rcoresleuth: statement search ", drawn);
        // Erased at the end: nothing but spaces after the last carriage return but one.
        Assert.EndsWith("\r", drawn);
        Assert.Matches(@"\r +\r$", drawn);
        Assert.Equal(quietOut.ToString(), terminalOut.ToString());
        Assert.DoesNotContain('\r', terminalOut.ToString());
    }

    [Fact]
    public void Standard_error_redirected_as_under_the_test_runner_shows_no_progress()
    {
        // The decision made for the console's own standard error, as Main makes it.
        if (!Console.IsErrorRedirected) return; // a test run on a terminal: nothing to check here
        string compressed = GzipSample();
        ProgressLine.TimingForTests.Value = TimeSpan.Zero;
        var original = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            Assert.Equal(Program.ExitSuccess, Program.Run(["info", compressed], new StringWriter(), Console.Error));
        }
        finally { Console.SetError(original); }
        Assert.Empty(captured.ToString());
    }
}
