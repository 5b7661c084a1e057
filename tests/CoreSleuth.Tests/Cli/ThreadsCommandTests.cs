using System.Globalization;
using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Cli;

public class ThreadsCommandTests
{
    private const string Multithread = "lldb-x86-64-freebsd14-multithread.core";

    /// <summary>The corpus README's table "threads in note order" of the multithread core: (#, LWP, rip).</summary>
    private static List<(int Index, int Lwp, string Rip)> ReadMeThreads()
    {
        var rows = new List<(int, int, string)>();
        bool inTable = false;
        foreach (string line in File.ReadLines(Corpus.ReadMe))
        {
            if (line.StartsWith(Multithread, StringComparison.Ordinal) && line.Contains("threads in note order")) inTable = true;
            else if (inTable && Regex.Match(line, @"^\| (\d+) \| (\d+) \| (0x[0-9a-f]+) \|") is { Success: true } m)
                rows.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Value));
            else if (inTable && rows.Count > 0 && !line.StartsWith('|')) break;
        }
        return rows;
    }

    /// <summary>The data rows of the text table, split on runs of two or more spaces.</summary>
    private static List<string[]> Rows(CliResult r)
    {
        var lines = r.Stdout.Split('\n');
        Assert.Matches(@"^\s*#\s+LWP\s+NAME\s+RIP\s+RSP\s+WAIT\s+STATE$", lines[0]);
        return lines.Skip(1).TakeWhile(l => l.Length > 0).Select(l => Regex.Split(l.Trim(), @"\s{2,}")).ToList();
    }

    [CorpusFact]
    public void Lists_the_threads_of_the_multithread_core_in_note_order_with_the_rips_of_the_corpus_README()
    {
        var expected = ReadMeThreads();
        Assert.Equal([100744, 100720, 100745, 100746], expected.Select(e => e.Lwp)); // the table itself was read correctly

        var r = Coresleuth.Run("threads", Corpus.Core(Multithread));
        Assert.True(r.ExitCode == 0, r.ToString());
        var rows = Rows(r);
        Assert.Equal(expected.Count, rows.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Index.ToString(CultureInfo.InvariantCulture), rows[i][0]);
            Assert.Equal(expected[i].Lwp.ToString(CultureInfo.InvariantCulture), rows[i][1]);
            Assert.Equal("a.out", rows[i][2]); // README: all threads are named a.out
            Assert.Equal(expected[i].Rip, rows[i][3]);
            Assert.Equal("-", rows[i][5]); // a kernel core: no thread keeps a wait message (README)
        }
    }

    [CorpusTheory]
    [InlineData("bsi-01c3190a.core", "bsi-01c3190a.gdb.txt")]
    [InlineData("bsi-08c8232b.core", "bsi-08c8232b.gdb.txt")]
    [InlineData("bsi-26432659.core", "bsi-26432659.gdb.txt")]
    [InlineData("lldb-x86-64-freebsd13.core", "lldb-x86-64-freebsd13.gdb.txt")]
    [InlineData(Multithread, "lldb-x86-64-freebsd14-multithread.gdb.txt")]
    public void Index_LWP_rip_and_rsp_agree_with_gdb(string core, string gdb)
    {
        var reference = GdbReference.Load(Corpus.Reference(gdb));
        var rows = Rows(Coresleuth.Run("threads", Corpus.Core(core)));
        Assert.Equal(reference.Threads.Count, rows.Count);
        foreach (var (id, lwp, pc) in reference.Threads)
        {
            var row = rows.Single(x => x[1] == lwp.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(id.ToString(CultureInfo.InvariantCulture), row[0]); // gdb numbers threads in note order too
            Assert.Equal(GdbReference.Hex(row[3]), pc);
            var rsp = reference.Registers[lwp].Single(x => x.Name == "rsp");
            Assert.Equal(rsp.Value, row[4]);
        }
    }

    [CorpusFact]
    public void States_come_from_kinfo_proc_the_signalled_thread_running_and_the_others_stopped()
    {
        // In a kernel core the dumping thread is the one running (SRUN); the kernel has stopped
        // the others (SSTOP) before dumping (spec §4.1, §7.3), and none sleeps with a wait message.
        // ki_stat (kinfo_proc offset 388, spec §4) checked in the note bytes by a separate script:
        // 2 for LWP 100744, 4 for 100720, 100745 and 100746; ki_tdflags (offset 1080) of the stopped
        // ones is 0x444, which has TDF_BOUNDARY (0x400): suspended at the user boundary (spec §7.3).
        var rows = Rows(Coresleuth.Run("threads", Corpus.Core(Multithread)));
        Assert.Equal(["running", "stopped at user boundary", "stopped at user boundary", "stopped at user boundary"], rows.Select(r => r[6]));
    }
}
