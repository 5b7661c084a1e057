using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Crash;
using CoreSleuth.Tests.Samples;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Crash;

/// <summary>
/// The fatal signal of real kernel cores against what gdb and LLDB print for them and what
/// readelf shows in their NT_PTLWPINFO notes; and of the samples: the kernel one has a crash,
/// the gcore and gdb ones none (their attach SIGSTOP is no crash).
/// </summary>
public sealed partial class CrashTests
{
    public static TheoryData<string> CoresWithReferences()
    {
        var data = new TheoryData<string>();
        foreach (var name in Corpus.Amd64CoreNames)
            if (File.Exists(Corpus.Reference(Path.ChangeExtension(name, ".gdb.txt")))) data.Add(name);
        if (data.Count == 0) data.Add("(corpus absent)");
        return data;
    }

    private static FatalSignal? CrashOf(string core, string? sysroot = null)
    {
        using var analysis = CoreAnalysis.Run(core, new AnalysisOptions { Sysroot = sysroot, SearchStatements = false });
        return analysis.Crash;
    }

    [CorpusTheory]
    [MemberData(nameof(CoresWithReferences))]
    public void The_crashed_thread_and_signal_are_gdbs_and_lldbs(string name)
    {
        var gdb = File.ReadAllLines(Corpus.Reference(Path.ChangeExtension(name, ".gdb.txt")));
        string gdbSignal = gdb.Select(l => GdbSignal().Match(l)).Single(m => m.Success).Groups[1].Value;
        // gdb selects the thread that took the signal: "* 1    LWP 100744 …" in info threads.
        int gdbLwp = int.Parse(gdb.Select(l => GdbCurrentThread().Match(l)).First(m => m.Success).Groups[1].Value, CultureInfo.InvariantCulture);
        var lldb = File.ReadAllLines(Corpus.Reference(Path.ChangeExtension(name, ".lldb.txt")));
        var selected = lldb.Select(l => LldbSelectedThread().Match(l)).First(m => m.Success);

        var crash = CrashOf(Corpus.Core(name));
        Assert.NotNull(crash);
        Assert.Equal(gdbLwp, crash.Lwp);
        Assert.Equal(gdbSignal, crash.SignalName);
        Assert.Equal(int.Parse(selected.Groups[1].Value, CultureInfo.InvariantCulture), crash.Lwp);
        Assert.Equal(selected.Groups[2].Value, crash.SignalName);
        Assert.StartsWith($"LWP {crash.Lwp} crashed with {crash.SignalName}", crash.Summary);
    }

    [CorpusTheory]
    [MemberData(nameof(CoresWithReferences))]
    public void The_code_address_and_trap_are_the_siginfo_readelf_shows(string name)
    {
        // readelf -W -n prints each note's descriptor as hex bytes: int32 structsize, then struct
        // ptrace_lwpinfo (spec §3.6): pl_lwpid 0, pl_event 4, pl_flags 8, pl_siginfo 48 (si_signo 0,
        // si_code 8, si_pid 12, si_addr 24, _reason._fault._trapno 40).
        var notes = File.ReadLines(Corpus.Reference(Path.ChangeExtension(name, ".readelf-notes.txt")))
            .Where(l => l.Contains("NT_PTLWPINFO", StringComparison.Ordinal))
            .Select(l => Convert.FromHexString(l[(l.IndexOf("description data: ", StringComparison.Ordinal) + "description data: ".Length)..].Replace(" ", "", StringComparison.Ordinal)))
            .ToList();
        var crash = CrashOf(Corpus.Core(name));
        Assert.NotNull(crash);
        var signalled = notes.Select(d => d.AsSpan(4).ToArray()).Where(s => I32(s, 4) == 1 && (I32(s, 8) & 0x20) != 0).ToList();
        if (notes.Count == 0)
        {
            Assert.Null(crash.Code);
            Assert.Null(crash.Address);
            Assert.Null(crash.TrapNo);
            Assert.Contains("no NT_PTLWPINFO", crash.Summary);
            return;
        }
        var s = Assert.Single(signalled);
        Assert.Equal(I32(s, 0), crash.Lwp);
        Assert.Equal(I32(s, 48), crash.Signal);
        Assert.Equal(I32(s, 48 + 8), crash.Code);
        Assert.Equal(BitConverter.ToUInt64(s, 48 + 24), crash.Address);
        Assert.Equal(I32(s, 48 + 40), crash.TrapNo);
        Assert.Equal(SignalCodes.Code(crash.Signal, I32(s, 48 + 8)).Name, crash.CodeName.Name);
    }

    private static int I32(byte[] b, int offset) => BitConverter.ToInt32(b, offset);

    [Fact]
    public void The_kernel_sample_took_sigabrt_in_the_thread_its_scenario_names_and_has_no_siginfo()
    {
        const string sample = "mysqld-ghost-fifo-kernel";
        var scenario = SampleSet.Build(sample).Scenario;
        var crash = CrashOf(SampleSet.CorePath(sample), SampleSet.Sysroot(sample));
        Assert.NotNull(crash);
        Assert.Equal(scenario.Signal!.Lwp, crash.Lwp);
        Assert.Equal(scenario.Signal.Signo, crash.Signal);
        Assert.Equal("SIGABRT", crash.SignalName);
        // FreeBSD 10.1 writes no NT_PTLWPINFO: who sent the signal is unknown, and SIGABRT is no fault.
        Assert.Null(crash.Code);
        Assert.Null(crash.SenderPid);
        Assert.Null(crash.Address);
        Assert.Null(crash.Instruction);
        Assert.Contains("who sent it is unknown", crash.Summary);
    }

    [Theory]
    [InlineData("mysqld-ghost-fifo")]
    [InlineData("mysqld-ghost-fifo-gdb")]
    [InlineData("mysqld-fifo-openat-14")]
    [InlineData("mysqld-healthy")]
    public void Gcore_and_gdb_samples_have_no_crash(string sample) =>
        Assert.Null(CrashOf(SampleSet.CorePath(sample), SampleSet.Sysroot(sample)));

    /// <summary>A kernel core of FreeBSD 13.5, which writes NT_PTLWPINFO, made from the kernel sample's scenario with another si_code and sender.</summary>
    private static FatalSignal? CrashOfVariant(int code, int senderPid)
    {
        string folder = Directory.CreateTempSubdirectory("coresleuth-crash-").FullName;
        try
        {
            string scenario = Path.Combine(folder, "variant.json");
            File.WriteAllText(scenario, $$"""
                { "base": "{{SampleSet.ScenarioPath("mysqld-ghost-fifo-kernel").Replace("\\", "/", StringComparison.Ordinal)}}",
                  "freebsd": "13.5", "text": "core",
                  "signal": { "lwp": 100411, "signo": 6, "code": {{code}}, "senderPid": {{senderPid}} } }
                """);
            var build = Testing.Scenarios.SampleBuild.FromFile(scenario);
            string core = Path.Combine(folder, "variant.core");
            File.WriteAllBytes(core, build.CoreBytes);
            return CrashOf(core);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_sigabrt_sent_by_another_process_is_no_crash_and_names_the_sender()
    {
        var crash = CrashOfVariant(SignalCodes.SiUser, 2401);
        Assert.NotNull(crash);
        Assert.Equal(0x10001, crash.Code);
        Assert.Equal("SI_USER", crash.CodeName.Name);
        Assert.Equal(2401, crash.SenderPid);
        Assert.Null(crash.Address);
        Assert.StartsWith("The process did not crash: it was killed by SIGABRT, sent with kill() by process 2401; LWP 100411 received it", crash.Summary);
    }

    [Fact]
    public void A_sigabrt_the_process_sent_itself_says_so()
    {
        int own = SampleSet.Build("mysqld-ghost-fifo-kernel").Scenario.Process.Pid;
        var crash = CrashOfVariant(SignalCodes.SiLwp, own);
        Assert.NotNull(crash);
        Assert.Equal("SI_LWP", crash.CodeName.Name);
        Assert.StartsWith($"The process sent itself SIGABRT with thr_kill() (si_pid {own} is its own pid)", crash.Summary);
    }

    [GeneratedRegex(@"^Program terminated with signal (\w+), ")]
    private static partial Regex GdbSignal();

    [GeneratedRegex(@"^\* \d+\s+LWP (\d+)\s")]
    private static partial Regex GdbCurrentThread();

    [GeneratedRegex(@"^\* thread #\d+: tid = (\d+), .*stop reason = signal (\w+)")]
    private static partial Regex LldbSelectedThread();
}
