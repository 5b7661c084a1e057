using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Symbols;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Linux;

/// <summary>Skipped, with the reason, when the real Linux core is neither given nor can be made.</summary>
public sealed class RealLinuxCoreFactAttribute : FactAttribute
{
    public RealLinuxCoreFactAttribute()
    {
        if (RealLinuxCore.Dir is null) Skip = RealLinuxCore.MissingReason;
    }
}

/// <summary>One analysis of the real core with every input the script wrote, shared by the tests (opening it takes a second).</summary>
public sealed class RealMariaDbCoreFixture : IDisposable
{
    private readonly Lazy<CoreAnalysis> withInputs = new(() => Analyse(wchan: true));
    private readonly Lazy<CoreAnalysis> coreOnly = new(() => Analyse(wchan: false));

    /// <summary>With InnoDB status, processlist and the wait channels.</summary>
    public CoreAnalysis WithInputs => withInputs.Value;

    /// <summary>With InnoDB status and processlist, but no wait channels: what the core alone says.</summary>
    public CoreAnalysis CoreOnly => coreOnly.Value;

    private static CoreAnalysis Analyse(bool wchan) => CoreAnalysis.Run(RealLinuxCore.File(RealLinuxCore.CoreName), new AnalysisOptions
    {
        InnodbStatus = File.ReadAllText(RealLinuxCore.File("mariadbd.innodb.txt")),
        Processlist = File.ReadAllText(RealLinuxCore.File("mariadbd.processlist.txt")),
        WaitChannels = wchan ? WaitChannels.Parse(File.ReadAllText(RealLinuxCore.File("mariadbd.wchan.txt"))) : null,
    });

    public void Dispose()
    {
        if (withInputs.IsValueCreated) withInputs.Value.Dispose();
        if (coreOnly.IsValueCreated) coreOnly.Value.Dispose();
    }
}

/// <summary>
/// The real gcore of a hung MariaDB 10.11 against sources independent of CoreSleuth: the facts the
/// script read from /proc while the server hung (blocked tid, its wchan, its fs_base), the
/// server's own SHOW ENGINE INNODB STATUS, and gdb's backtraces of the same core.
/// </summary>
public sealed class RealMariaDbCoreTests(RealMariaDbCoreFixture fixture) : IClassFixture<RealMariaDbCoreFixture>
{
    private static int BlockedLwp => RealLinuxCore.Int("blocked_tid");

    [RealLinuxCoreFact]
    public void TheCoreIsReadAsLinuxWithTheThreadsGdbSaw()
    {
        var a = fixture.WithInputs;
        Assert.Equal(CoreOs.Linux, a.Core.Os);
        Assert.Equal(RealLinuxCore.Int("pid"), a.Core.Process.Pid);
        Assert.Equal(RealLinuxCore.Int("threads"), a.Core.Threads.Count);
        var gdb = RealLinuxCore.GdbBacktraces(File.ReadAllText(RealLinuxCore.File("mariadbd.gdb-bt.txt")));
        Assert.Equal(gdb.Keys.Order(), a.Core.Threads.Select(t => t.Lwp).Order());
        Assert.Equal((ulong)RealLinuxCore.Int("blocked_orig_rax"), a.ThreadOf(BlockedLwp)!.Thread.Linux!.Registers.OrigRax);
    }

    [RealLinuxCoreFact]
    public void FromTheCoreAloneTheBlockedFifoOpenIsLikely()
    {
        var finding = Assert.Single(fixture.CoreOnly.Findings);
        Assert.Equal(BlockedLwp, finding.Lwp);
        Assert.Equal(RealLinuxCore.Facts["fifo"], finding.Path);
        Assert.Equal("O_RDONLY|O_CLOEXEC", finding.FlagsText);
        Assert.Equal(OpenDirection.Read, finding.Direction);
        Assert.Equal(Confidence.Likely, finding.Confidence);
        Assert.Contains(finding.Advice, a => a.Contains($"/proc/{RealLinuxCore.Facts["pid"]}/task/{BlockedLwp}/wchan", StringComparison.Ordinal));
    }

    [RealLinuxCoreFact]
    public void TheWaitChannelFromProcMakesItCertain()
    {
        var finding = Assert.Single(fixture.WithInputs.Findings);
        Assert.Equal(BlockedLwp, finding.Lwp);
        Assert.Equal(Confidence.Certain, finding.Confidence);
        Assert.Equal(RealLinuxCore.Facts["blocked_wchan"], fixture.WithInputs.ThreadOf(BlockedLwp)!.WaitChannel);
        // The statement the session runs is in the server's memory, and the session is joined by its handle.
        Assert.Contains(finding.StatementsInMemory, h => h.Text.Contains("LOAD DATA INFILE", StringComparison.Ordinal));
        Assert.Equal(RealLinuxCore.Int("blocked_session"), finding.Session?.ThreadId);
    }

    [RealLinuxCoreFact]
    public void TheRowLockWaiterWaitsBehindTheBlockedSessionAsTheLiveServersLockTablesSay()
    {
        // The referee: information_schema.INNODB_LOCK_WAITS on the live server, read just before gcore.
        var a = fixture.WithInputs;
        int waiter = RealLinuxCore.Int("row_waiter_session"), blocker = RealLinuxCore.Int("row_blocker_session");
        Assert.Equal(RealLinuxCore.Int("blocked_session"), blocker);
        var waiting = Assert.Single(a.Threads, t => t.Session?.ThreadId == waiter);
        var edge = Assert.Single(waiting.WaitsFor);
        Assert.Equal(("innodb-row-lock", (int?)BlockedLwp), (edge.Kind, edge.Holder));
        // The whole hang: one root, the thread blocked opening the FIFO, with the row lock's waiter behind it.
        var root = Assert.Single(a.Roots);
        Assert.Equal(BlockedLwp, root.Root);
        Assert.Contains(waiting.Thread.Lwp, root.Waiters);
        Assert.Contains(root.Advice, line => line.Contains("blocked opening a FIFO", StringComparison.Ordinal));
    }

    [RealLinuxCoreFact]
    public void TheInnodbHandleOfTheBlockedSessionIsTheBlockedThread()
    {
        var a = fixture.WithInputs;
        ulong handle = ulong.Parse(RealLinuxCore.Facts["blocked_innodb_os_thread_handle"]);
        var session = Assert.Single(a.Sessions, s => s.Source == Analysis.MySql.SessionSource.InnodbStatus && s.ThreadId == RealLinuxCore.Int("blocked_session"));
        Assert.Equal(handle, session.OsThreadHandle);
        var resolved = a.Identity.ResolveHandle(handle);
        Assert.Equal(Analysis.Libthr.HandleStatus.Live, resolved.Status);
        Assert.Equal(BlockedLwp, resolved.Lwp);
        Assert.Equal(Convert.ToUInt64(RealLinuxCore.Facts["blocked_fs_base"], 16), handle);
        Assert.Equal(RealLinuxCore.Int("pthread_tid_offset"), a.Identity.Layout!.TidOffset);
        Assert.Equal([Analysis.Libthr.PthreadStrategy.GlibcThreadDb], a.Identity.StrategiesUsed);
    }

    /// <summary>
    /// The blocked thread's stack, frame for frame against gdb: the same pcs, and each function
    /// named alike or by another name of the same function (gdb takes its name from the debug
    /// information: __libc_open64 and clone3 where the symbol table also has open and __GI___clone3).
    /// </summary>
    [RealLinuxCoreFact]
    public void TheBlockedThreadsBacktraceIsGdbs()
    {
        var ours = fixture.WithInputs.ThreadOf(BlockedLwp)!.Frames;
        var gdb = RealLinuxCore.GdbBacktraces(File.ReadAllText(RealLinuxCore.File("mariadbd.gdb-bt.txt")))[BlockedLwp];
        Assert.Equal(gdb.Count, ours.Count);
        for (int i = 0; i < gdb.Count; i++)
        {
            Assert.Equal(gdb[i].Pc ?? ours[i].Frame.Pc, ours[i].Frame.Pc);
            Assert.True(SameFunction(gdb[i].Function, ours[i].Symbol),
                $"frame #{i}: gdb names {gdb[i].Function}, CoreSleuth {ours[i].Symbol.DisplayName ?? "nothing"} at 0x{ours[i].Frame.Pc:x}");
        }
    }

    /// <summary>
    /// Every thread against gdb: our frames are gdb's frames that have a pc, in order; gdb's extra
    /// ones are its inline frames (no pc of their own) and the tail-call frames it builds from the
    /// debug information's call sites — a pc just after a <c>jmp</c>, which no return address on the
    /// stack holds (e.g. __GI___futex_abstimed_wait_cancelable64 jumps to __futex_abstimed_wait_common).
    /// </summary>
    [RealLinuxCoreFact]
    public void EveryThreadsStackAgreesWithGdbs()
    {
        var a = fixture.WithInputs;
        var gdb = RealLinuxCore.GdbBacktraces(File.ReadAllText(RealLinuxCore.File("mariadbd.gdb-bt.txt")));
        foreach (var t in a.Threads)
        {
            var ours = t.Frames.Select(f => f.Frame.Pc).ToList();
            Assert.True(ours.Count > 1, $"LWP {t.Thread.Lwp}: no stack walked");
            Assert.Equal(t.Thread.Registers.Rip, ours[0]);
            var theirs = gdb[t.Thread.Lwp].Where(f => f.Number > 0 && f.Pc is not null).Select(f => f.Pc!.Value).ToList();
            int at = 0;
            foreach (ulong pc in theirs)
            {
                if (at + 1 < ours.Count && ours[at + 1] == pc) { at++; continue; }
                Assert.True(AfterJump(a, pc), $"LWP {t.Thread.Lwp}: gdb has a frame at 0x{pc:x} that CoreSleuth has not, and no jmp ends there");
            }
            Assert.Equal(ours.Count - 1, at);
        }
    }

    /// <summary>The instruction before <paramref name="pc"/> is a jmp (e9 rel32 or eb rel8), read from the module's file.</summary>
    private static bool AfterJump(CoreAnalysis a, ulong pc)
    {
        if (a.Modules.FindByAddress(pc) is not { } m || (m.DiskImage ?? m.Image) is not { } image) return false;
        Span<byte> b = stackalloc byte[5];
        if (image.View.Read(pc - 5 - m.LoadBias, b) != 5) return false;
        return b[0] == 0xE9 || b[3] == 0xEB;
    }

    private static bool SameFunction(string gdbName, SymbolizedAddress ours)
    {
        if (gdbName == "??") return ours.Symbol is null;
        if (ours.DisplayName == gdbName) return true;
        // Another symbol of the same function: gdb's name at the address our function starts at.
        if (ours.Module is not { Image: { } image } m) return false;
        ulong start = ours.Address - ours.Offset - m.LoadBias;
        return Symbolizer.SymbolsOf(image, m.DiskImage, m.DebugElf).Any(s => s.Value == start && s.Name == gdbName);
    }
}

/// <summary>A theory on the real Linux core; skipped, with the reason, when it is neither given nor can be made.</summary>
public sealed class RealLinuxCoreTheoryAttribute : TheoryAttribute
{
    public RealLinuxCoreTheoryAttribute()
    {
        if (RealLinuxCore.Dir is null) Skip = RealLinuxCore.MissingReason;
    }
}
