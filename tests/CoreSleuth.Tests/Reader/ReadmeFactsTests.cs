using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.FreeBsd;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// The facts corpus/README.md lists for the real cores (checked there with LLDB 16 and gdb 13.1),
/// parsed from the README text itself so that nothing is retyped here.
/// </summary>
public sealed partial class ReadmeFactsTests
{
    private static string FactsSection()
    {
        string text = File.ReadAllText(Corpus.Readme).Replace("\r\n", "\n", StringComparison.Ordinal);
        int start = text.IndexOf("### Facts the cores must yield", StringComparison.Ordinal);
        int end = text.IndexOf("The `bsi-*` cores:", start, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the README's facts section was not found");
        return text[start..end];
    }

    private static string Paragraph(string section, string startsWith)
    {
        var paragraphs = section.Split("\n\n");
        int i = Array.FindIndex(paragraphs, p => p.StartsWith(startsWith, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no README paragraph starts with {startsWith}");
        return string.Join("\n\n", paragraphs.Skip(i).TakeWhile((p, k) => k == 0 || !p.StartsWith("lldb-", StringComparison.Ordinal)));
    }

    [CorpusFact]
    public void FreeBsd13CoreYieldsTheListedRegistersVectorsAndProcess()
    {
        string facts = Paragraph(FactsSection(), "lldb-x86-64-freebsd13.core");
        var header = Regex.Match(facts, @"^(\S+\.core), LWP (\d+)");
        Assert.True(header.Success);
        using var core = CoreFile.Open(Corpus.Core(header.Groups[1].Value));

        var thread = Assert.Single(core.Threads);
        Assert.Equal(int.Parse(header.Groups[2].Value, CultureInfo.InvariantCulture), thread.Lwp);

        var expected = RegisterPair().Matches(facts).ToDictionary(m => m.Groups[1].Value, m => Hex.Parse(m.Groups[2].Value));
        Assert.Equal(17, expected.Count); // the 16 general registers and rip
        var actual = thread.Registers.General.ToDictionary(r => r.Name, r => r.Value);
        foreach (var (name, value) in expected)
            Assert.True(actual[name] == value, $"{name}: expected 0x{value:x}, read 0x{actual[name]:x}");

        // "xmm8..xmm15: xmmN holds the bytes N, N+1, … N+15 (xmm8 = 08 09 0a … 17)"
        var range = Regex.Match(facts, @"xmm(\d+)\.\.xmm(\d+): xmmN holds the bytes N, N\+1, … N\+15");
        var example = Regex.Match(facts, @"\(xmm(\d+) = ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) … ([0-9a-f]{2})\)");
        Assert.True(range.Success && example.Success);
        Assert.NotNull(thread.FpState);
        var xmm = thread.FpState!.Xmm;
        int n0 = int.Parse(example.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(Hex.Parse(example.Groups[2].Value), xmm[n0][0]);
        Assert.Equal(Hex.Parse(example.Groups[4].Value), xmm[n0][2]);
        Assert.Equal(Hex.Parse(example.Groups[5].Value), xmm[n0][15]);
        for (int n = int.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture); n <= int.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture); n++)
            Assert.Equal(Enumerable.Range(n, 16).Select(b => (byte)b).ToArray(), xmm[n]);

        var process = Regex.Match(facts, @"Process: pid (\d+), ppid (\d+), command `([^`]+)`, args `([^`]+)`");
        Assert.True(process.Success);
        Assert.Equal(int.Parse(process.Groups[1].Value, CultureInfo.InvariantCulture), core.Process.Pid);
        Assert.Equal(int.Parse(process.Groups[2].Value, CultureInfo.InvariantCulture), core.Process.ParentPid);
        Assert.Equal(process.Groups[3].Value, core.Process.Command);
        Assert.Equal(process.Groups[4].Value, core.Process.Arguments);
        Assert.Equal(process.Groups[4].Value, core.Process.PsArgs);
    }

    [CorpusFact]
    public void FreeBsd13CoreCarriesTheAvxUpperHalvesOfTheSamePattern()
    {
        // The README's pattern (xmmN = bytes N…N+15) comes from LLDB's register test program,
        // which fills the whole ymmN with bytes N…N+31; LLDB 16 does not show ymm for FreeBSD
        // cores, so the upper halves are checked against the continuation of that pattern and
        // the XSAVE header against the XCR0 the kernel stored at byte 464 (spec §3.8).
        using var core = CoreFile.Open(Corpus.Core("lldb-x86-64-freebsd13.core"));
        var thread = Assert.Single(core.Threads);
        Assert.NotNull(thread.XState);
        Assert.Equal(0x7UL, thread.XState!.Xcr0 & 0x7); // x87 | SSE | AVX
        Assert.NotNull(thread.FpState?.YmmHigh);
        for (int n = 0; n < 16; n++)
            Assert.Equal(Enumerable.Range(n + 16, 16).Select(b => (byte)b).ToArray(), thread.FpState!.YmmHigh![n]);
    }

    [CorpusFact]
    public void MultithreadCoreYieldsTheListedThreadsInNoteOrder()
    {
        string facts = Paragraph(FactsSection(), "lldb-x86-64-freebsd14-multithread.core");
        var name = Regex.Match(facts, @"^(\S+\.core)");
        using var core = CoreFile.Open(Corpus.Core(name.Groups[1].Value));

        var rows = facts.Split('\n').Where(l => l.StartsWith('|')).Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray()).ToList();
        var columns = rows[0];
        var data = rows.Skip(1).Where(r => !r[0].StartsWith("---", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, data.Count);
        Assert.Equal(data.Count, core.Threads.Count);
        int checkedCells = 0;
        foreach (var row in data)
        {
            int index = int.Parse(row[Array.IndexOf(columns, "#")], CultureInfo.InvariantCulture);
            var thread = core.Threads[index - 1];
            Assert.Equal(index, thread.Index);
            Assert.Equal(int.Parse(row[Array.IndexOf(columns, "LWP")], CultureInfo.InvariantCulture), thread.Lwp);
            var regs = thread.Registers.General.ToDictionary(r => r.Name, r => r.Value);
            for (int c = 0; c < columns.Length; c++)
            {
                if (columns[c] is "#" or "LWP" || row[c].Length == 0) continue;
                ulong expected = Hex.Parse(row[c]);
                // ecx, edx, edi, esi are the low 32 bits of rcx, rdx, rdi, rsi.
                ulong value = columns[c].StartsWith('e') ? regs["r" + columns[c][1..]] & 0xFFFF_FFFF : regs[columns[c]];
                Assert.True(expected == value, $"thread {index} {columns[c]}: expected 0x{expected:x}, read 0x{value:x}");
                checkedCells++;
            }
        }
        Assert.Equal(4 + 3 * 4, checkedCells);

        var doubles = Regex.Match(facts, @"xmm(\d+)\.\.xmm(\d+) low 8 bytes, as doubles: (.*?)\. All", RegexOptions.Singleline);
        Assert.True(doubles.Success);
        int first = int.Parse(doubles.Groups[1].Value, CultureInfo.InvariantCulture), last = int.Parse(doubles.Groups[2].Value, CultureInfo.InvariantCulture);
        var perThread = Regex.Matches(doubles.Groups[3].Value, @"thread (\d+) = ([0-9.,\s]+?)(?:;|$)");
        Assert.Equal(3, perThread.Count);
        foreach (Match m in perThread)
        {
            var thread = core.Threads[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1];
            var values = m.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(last - first + 1, values.Length);
            for (int x = first; x <= last; x++)
                Assert.Equal(values[x - first], BinaryPrimitives.ReadDoubleLittleEndian(thread.FpState!.Xmm[x]));
        }

        var named = Regex.Match(facts, @"All threads are named `([^`]+)`");
        Assert.True(named.Success);
        Assert.All(core.Threads, t => Assert.Equal(named.Groups[1].Value, t.Name));
    }

    /// <summary>The README's table of cores, one row per amd64 core.</summary>
    public static TheoryData<string> Amd64Rows() => Corpus.Amd64Cores();

    [CorpusTheory]
    [MemberData(nameof(Amd64Rows))]
    public void CoreTableRowHolds(string coreName)
    {
        var row = CoreTableRow(coreName);
        using var core = CoreFile.Open(Corpus.Core(coreName));
        string madeBy = row["made by"], freebsd = row["FreeBSD"], threads = row["threads"], memory = row["memory in file"], notes = row["notes"];

        var producer = Regex.Match(madeBy, @"^(kernel|gcore|gdb)(?: \((SIG\w+)\))?");
        Assert.True(producer.Success, $"made by: {madeBy}");
        Assert.Equal(producer.Groups[1].Value switch { "kernel" => CoreProducer.Kernel, "gcore" => CoreProducer.Gcore, _ => CoreProducer.Gdb }, core.Producer);
        if (producer.Groups[2].Success)
        {
            Assert.Equal(SignalNumber(producer.Groups[2].Value), core.Process.Signal);
            Assert.All(core.Threads, t => Assert.Equal(SignalNumber(producer.Groups[2].Value), t.FreeBsd!.Status.CurrentSignal));
        }

        var osrel = Regex.Match(freebsd, @"\((pr_osreldate )?(\d{7})\)");
        Assert.True(osrel.Success, $"FreeBSD: {freebsd}");
        Assert.Equal(int.Parse(osrel.Groups[2].Value, CultureInfo.InvariantCulture), core.Process.FreeBsd!.OsRelDate);
        if (osrel.Groups[1].Success)
            Assert.Equal(int.Parse(osrel.Groups[2].Value, CultureInfo.InvariantCulture), core.Threads[0].FreeBsd!.Status.OsRelDate);

        var count = Regex.Match(threads, @"^(\d+)(?: \(LWP (\d+)\))?");
        Assert.Equal(int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture), core.Threads.Count);
        if (count.Groups[2].Success) Assert.Equal(int.Parse(count.Groups[2].Value, CultureInfo.InvariantCulture), core.Threads[0].Lwp);
        if (threads.Contains("libthr", StringComparison.Ordinal))
            Assert.Contains(core.Process.Mappings, m => m.Path.EndsWith("/libthr.so.3", StringComparison.Ordinal));

        var segments = core.Memory.Segments;
        Assert.NotEmpty(segments);
        if (memory.TrimStart('*').StartsWith("no", StringComparison.Ordinal))
        {
            Assert.All(segments, s => Assert.Equal(Unavailability.PastEndOfFile, core.Memory.Check(s.Start)));
            Assert.All(segments, s => Assert.Equal(0, core.Memory.Read(s.Start, new byte[16])));
        }
        else
        {
            var loads = Regex.Match(memory, @"\((\d+) PT_LOADs\)");
            if (loads.Success) Assert.Equal(int.Parse(loads.Groups[1].Value, CultureInfo.InvariantCulture), segments.Count);
            Assert.All(segments, s => Assert.Equal(Unavailability.None, core.Memory.Check(s.Start)));
            Assert.All(segments, s => Assert.Equal(Unavailability.None, core.Memory.Check(s.End - 1)));
        }

        if (Regex.Match(notes, @"pid (\d+)") is { Success: true } pid)
            Assert.Equal(int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture), core.Process.Pid);
        if (Regex.Match(notes, @"`([^`]+)`, pid") is { Success: true } args)
            Assert.Equal(args.Groups[1].Value, core.Process.Arguments);
        foreach (Match absent in Regex.Matches(notes, @"no (NT_\w+)"))
            Assert.DoesNotContain(core.Elf.Notes, n => NoteType.Name(n.Type) == absent.Groups[1].Value);
        if (Regex.Match(notes, @"`pr_pid` in NT_PRPSINFO is \*\*0\*\*; the pid \((\d+)\) is only in kinfo_proc") is { Success: true } zero)
        {
            var psinfo = core.Elf.Notes.Single(n => n.Type == NoteType.PrPsInfo).Descriptor.Span;
            Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(psinfo[116..])); // pr_pid, spec §3.4
            Assert.Equal(int.Parse(zero.Groups[1].Value, CultureInfo.InvariantCulture), core.Process.Pid);
            Assert.Equal("kinfo_proc", core.Process.PidSource);
            Assert.All(core.Process.FreeBsd!.KinfoProcs, k => Assert.Equal(core.Process.Pid, k.Pid));
        }
    }

    private static Dictionary<string, string> CoreTableRow(string coreName)
    {
        var lines = File.ReadAllLines(Corpus.Readme);
        int header = Array.FindIndex(lines, l => l.StartsWith("| file | made by |", StringComparison.Ordinal));
        Assert.True(header >= 0, "the README's table of cores was not found");
        var columns = lines[header].Trim('|').Split('|').Select(c => c.Trim()).ToArray();
        foreach (var line in lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[0] == coreName) return columns.Zip(cells).ToDictionary(p => p.First, p => p.Second);
        }
        throw new Xunit.Sdk.XunitException($"{coreName} is not in the README's table of cores");
    }

    internal static int SignalNumber(string name) => name switch
    {
        // FreeBSD signal numbers (sys/sys/signal.h)
        "SIGHUP" => 1, "SIGINT" => 2, "SIGQUIT" => 3, "SIGILL" => 4, "SIGTRAP" => 5, "SIGABRT" => 6, "SIGEMT" => 7,
        "SIGFPE" => 8, "SIGKILL" => 9, "SIGBUS" => 10, "SIGSEGV" => 11, "SIGSYS" => 12, "SIGPIPE" => 13, "SIGALRM" => 14,
        "SIGTERM" => 15, "SIGSTOP" => 17,
        _ => throw new ArgumentException($"unknown signal {name}"),
    };

    [GeneratedRegex(@"\b(r(?:[a-d]x|[sd]i|[bs]p|\d+|ip)) (0x[0-9a-f]+)")]
    private static partial Regex RegisterPair();
}
