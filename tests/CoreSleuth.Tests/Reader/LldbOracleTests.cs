using System.Diagnostics;
using System.Text.RegularExpressions;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// LLDB 16 run live on every amd64 core of the corpus as an independent reader: thread ids,
/// names, all registers, memory bytes and the argument vector in memory.
/// </summary>
public sealed partial class LldbOracleTests
{
    public static TheoryData<string> Cores() => Corpus.Amd64Cores();

    /// <summary>
    /// One LLDB session per core (LLDB takes a second or more to start): the thread list, the
    /// registers of every thread, 16 bytes at both ends of every PT_LOAD and argv through
    /// ps_strings. The commands are derived from what the reader found; LLDB's answers are not.
    /// </summary>
    private sealed record Session(string[] Output, List<ulong> Probes, int Argc);

    /// <summary>All sessions start together on first use: LLDB mostly waits, so they overlap well.</summary>
    private static readonly Lazy<Dictionary<string, Task<Session>>> Sessions =
        new(() => Corpus.Amd64CoreNames.ToDictionary(n => n, n => Task.Run(() => Start(n))));

    private static Session For(string coreName) => Sessions.Value[coreName].GetAwaiter().GetResult();

    private static Session Start(string name)
    {
        using var core = CoreFile.Open(Corpus.Core(name));
        var commands = new List<string> { "thread list" };
        // One more thread than the reader found: LLDB must refuse it, or the counts differ.
        for (int i = 1; i <= core.Threads.Count + 1; i++) { commands.Add($"thread select {i}"); commands.Add("register read --all"); }
        var probes = core.Memory.Segments.SelectMany(s => new[] { s.Start, s.End - 16 }).ToList();
        commands.AddRange(probes.Select(a => $"memory read -s 8 -f x -c 2 0x{a:x}"));
        int argc = core.Process.ArgumentVector?.Count ?? 0;
        if (core.Process.FreeBsd!.PsStrings is { } ps)
        {
            // struct ps_strings { char **ps_argvstr; u_int ps_nargvstr; … }. A memory read, not an
            // expression: LLDB's expression evaluator reads missing core memory as zeros.
            commands.Add($"memory read -s 4 -f u -c 1 0x{ps + 8:x}");
            for (int i = 0; i <= argc; i++) commands.Add($"memory read -f s `((char**)(*(unsigned long*)0x{ps:x}))[{i}]`");
        }
        return new Session(RunLldb(Corpus.Core(name), commands), probes, argc);
    }

    [LldbTheory]
    [MemberData(nameof(Cores))]
    public void ThreadsNamesAndRegistersMatchLldb(string coreName)
    {
        var session = For(coreName);
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var lldb = LldbReference.Parse(session.Output);

        Assert.NotEmpty(lldb.Threads);
        // On failure, show how LLDB's selections and refusals were interleaved.
        Assert.True(core.Threads.Count == lldb.Registers.Count,
            $"reader: {core.Threads.Count} threads; LLDB registers for threads [{string.Join(", ", lldb.Registers.Keys)}]:\n"
            + string.Join("\n", session.Output.Where(l => l.StartsWith("(lldb) thread select", StringComparison.Ordinal)
                || l.StartsWith("(lldb) register", StringComparison.Ordinal) || l.StartsWith("error: invalid thread", StringComparison.Ordinal))));
        Assert.Contains(session.Output, l => l == $"error: invalid thread #{core.Threads.Count + 1}.");
        ReferenceOutputTests.CompareWithLldb(core, lldb);
    }

    [LldbTheory]
    [MemberData(nameof(Cores))]
    public void MemoryBytesMatchLldb(string coreName)
    {
        var session = For(coreName);
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var words = new Dictionary<ulong, ulong>();
        foreach (var line in session.Output)
            if (MemoryLine().Match(line) is { Success: true } m)
            {
                ulong at = Hex.Parse(m.Groups[1].Value);
                words[at] = Hex.Parse(m.Groups[2].Value);
                words[at + 8] = Hex.Parse(m.Groups[3].Value);
            }

        // Where the core holds the bytes both readers agree; where it does not (stripped cores)
        // both call them unavailable.
        int available = 0;
        foreach (var address in session.Probes)
        {
            var buffer = new byte[16];
            int read = core.Memory.Read(address, buffer);
            if (core.Memory.Check(address) == Unavailability.None)
            {
                Assert.Equal(16, read);
                Assert.True(words.ContainsKey(address) && words.ContainsKey(address + 8), $"LLDB could not read 0x{address:x}");
                Assert.Equal(words[address], BitConverter.ToUInt64(buffer, 0));
                Assert.Equal(words[address + 8], BitConverter.ToUInt64(buffer, 8));
                available++;
            }
            else
            {
                Assert.Equal(0, read);
                Assert.False(words.ContainsKey(address), $"LLDB read 0x{address:x}, which the reader calls unavailable");
                Assert.Contains(session.Output, l => l == $"error: read memory from 0x{address:x} failed");
            }
        }
        if (core.Warnings.Any(w => w.Contains("PT_LOAD", StringComparison.Ordinal))) Assert.Equal(0, available);
        else Assert.Equal(session.Probes.Count, available);
    }

    [LldbTheory]
    [MemberData(nameof(Cores))]
    public void ArgumentVectorMatchesLldbReadingPsStrings(string coreName)
    {
        var session = For(coreName);
        using var core = CoreFile.Open(Corpus.Core(coreName));
        Assert.NotNull(core.Process.FreeBsd!.PsStrings);
        var argc = session.Output.Select(l => Regex.Match(l, $"^0x{core.Process.FreeBsd!.PsStrings + 8:x}: (\\d+)$")).FirstOrDefault(m => m.Success);
        if (argc is null)
        {
            // Memory stripped: LLDB cannot read ps_strings either, and pr_psargs is all there is.
            Assert.Contains(session.Output, l => l.StartsWith("error:", StringComparison.Ordinal) && l.Contains("0x", StringComparison.Ordinal));
            Assert.Null(core.Process.ArgumentVector);
            Assert.Equal("NT_PRPSINFO", core.Process.ArgumentsSource);
            return;
        }
        var strings = session.Output.Select(l => StringLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(int.Parse(argc.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), session.Argc);
        Assert.Equal(strings, core.Process.ArgumentVector);
        Assert.Equal("ps_strings", core.Process.ArgumentsSource);
        Assert.Equal(string.Join(' ', strings), core.Process.Arguments);
    }

    /// <summary>
    /// Runs <c>lldb-16 -b -c CORE</c> on a command file sourced with <c>-e false</c>, so that a
    /// failing command (unreadable memory) does not end the session; stderr is folded into
    /// stdout so errors stay next to their command.
    /// </summary>
    internal static string[] RunLldb(string corePath, IEnumerable<string> commands)
    {
        string script = Path.Combine(Path.GetTempPath(), $"coresleuth-lldb-{Guid.NewGuid():N}.cmds");
        File.WriteAllLines(script, commands);
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in (string[])["-c", "exec \"$0\" \"$@\" 2>&1", Tools.Lldb!, "--no-lldbinit", "-b", "-c", corePath, "-o", $"command source -e false {script}"])
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"lldb-16 did not finish within 120 s on {corePath}");
            }
            return output.Result.Split('\n');
        }
        finally
        {
            File.Delete(script);
        }
    }

    [GeneratedRegex(@"^(0x[0-9a-f]+): (0x[0-9a-f]{16}) (0x[0-9a-f]{16})$")]
    private static partial Regex MemoryLine();


    [GeneratedRegex(@"^0x[0-9a-f]+: ""(.*)""$")]
    private static partial Regex StringLine();
}
