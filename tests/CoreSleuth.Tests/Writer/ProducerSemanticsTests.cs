using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>
/// A thread blocked in open() on a FIFO, as gcore and as the kernel capture it (spec §7.2,
/// §7.3, §10), checked on the written bytes and with LLDB where available.
/// </summary>
public class ProducerSemanticsTests
{
    private const ulong SyscallReturn = 0x8_0123_4567; // instruction after the 0F 05 of __sys_openat

    /// <summary>The process as it is: main thread in kevent, the LOAD DATA thread asleep in fifo_open.</summary>
    private static CoreSpec Blocked()
    {
        var main = Scenarios.Thread(100100, "mysqld", 1) with
        {
            Kinfo = new ThreadKinfo { WaitMessage = "kqread", WaitChannel = 0xfffff800_0000_1000, TdFlags = TdFlags.InMem | TdFlags.SIntr },
        };
        var loader = Scenarios.Thread(100123, "connection", 2) with
        {
            Registers = Scenarios.DistinctRegisters(2) with
            {
                Rax = 499, Rdi = unchecked((ulong)-100), Rsi = 0x8_0200_0000, Rdx = 0x100000, Rcx = 0x1b6, R10 = 0xdead, Rip = SyscallReturn, Err = 2,
            },
            Kinfo = new ThreadKinfo { WaitMessage = "fifoor", WaitChannel = 0xfffff800_1234_5678, TdFlags = TdFlags.InMem | TdFlags.SIntr },
        };
        var disk = Scenarios.Thread(100124, "ib_io_rd", 3) with
        {
            Kinfo = new ThreadKinfo { WaitMessage = "biord", WaitChannel = 0xfffff800_2222_0000, TdFlags = TdFlags.InMem }, // uninterruptible
        };
        return new CoreSpec { OsRelDate = 1400097, Process = new ProcessSpec { Command = "mysqld" }, Threads = [main, loader, disk] };
    }

    private static ReadelfNote Prstatus(WrittenCore core, int lwp) => core.NotesOfType("NT_PRSTATUS").Single(n => n.I32(40) == lwp);

    private static int Kinfo(WrittenCore core, int lwp)
    {
        var proc = core.Single("NT_PROCSTAT_PROC");
        for (int off = 4; off < proc.DataSize; off += 1088)
            if (proc.I32(off + 600) == lwp) return off;
        throw new InvalidOperationException($"no kinfo_proc for {lwp}");
    }

    [ReadelfFact]
    public void GcoreKeepsTheSleepOfThreadsThatDidNotTakeTheStop()
    {
        using var core = new WrittenCore(ProducerSemantics.AsGcoreAttach(Blocked()));
        var proc = core.Single("NT_PROCSTAT_PROC");

        int k = Kinfo(core, 100123);
        Assert.Equal("fifoor", proc.CString(k + 411, 9));      // ki_wmesg kept
        Assert.Equal(4, proc.Bytes[k + 388]);                  // SSTOP, not SSLEEP (spec §4.1)
        Assert.Equal(0x8UL, proc.U64(k + 1080) & 0x8);         // TDF_SINTR
        Assert.Equal(0xfffff800_1234_5678UL, proc.U64(k + 64));
        var pr = Prstatus(core, 100123);
        Assert.Equal(SyscallReturn, pr.U64(184));              // rip after the syscall
        Assert.Equal(499UL, pr.U64(160));                      // rax = openat
        Assert.Equal(0xdeadUL, pr.U64(48 + 40));               // r10 untouched

        // The SIGSTOP receiver (main thread) left its kqread sleep and reports the signal in PTLWPINFO.
        int m = Kinfo(core, 100100);
        Assert.Equal("", proc.CString(m + 411, 9));
        var li = core.NotesOfType("NT_PTLWPINFO").Single(n => n.I32(4) == 100100);
        Assert.Equal((1, 0x20, 17), (li.I32(4 + 4), li.I32(4 + 8) & 0x20, li.I32(4 + 48)));
        Assert.All(core.NotesOfType("NT_PRSTATUS"), n => Assert.Equal(0, n.I32(36)));
    }

    [ReadelfFact]
    public void KernelDumpRestartsInterruptibleSleeps()
    {
        using var core = new WrittenCore(ProducerSemantics.AsKernelDump(Blocked(), signalledLwp: 100100, signal: 6));
        var proc = core.Single("NT_PROCSTAT_PROC");

        // The dumping thread comes first and is SRUN; pr_cursig = SIGABRT in every PRSTATUS.
        Assert.Equal(100100, core.NotesOfType("NT_PRSTATUS")[0].I32(40));
        Assert.All(core.NotesOfType("NT_PRSTATUS"), n => Assert.Equal(6, n.I32(36)));
        Assert.Equal(2, proc.Bytes[Kinfo(core, 100100) + 388]);

        // The FIFO reader: rip back at the 0F 05, r10 = rcx, rax still the syscall number, no wait message,
        // TDF_BOUNDARY set, TDF_SINTR gone, SSTOP (spec §7.3).
        var pr = Prstatus(core, 100123);
        Assert.Equal(SyscallReturn - 2, pr.U64(184));
        Assert.Equal(0x1b6UL, pr.U64(48 + 40));
        Assert.Equal(499UL, pr.U64(160));
        int k = Kinfo(core, 100123);
        Assert.Equal("", proc.CString(k + 411, 9));
        Assert.Equal(0UL, proc.U64(k + 64));
        Assert.Equal(0x400UL, proc.U64(k + 1080) & 0x408);
        Assert.Equal(4, proc.Bytes[k + 388]);

        // The uninterruptible disk sleeper keeps its wait message.
        int d = Kinfo(core, 100124);
        Assert.Equal("biord", proc.CString(d + 411, 9));
        Assert.Equal(4, proc.Bytes[d + 388]);
    }

    [LldbFact]
    public void LldbSeesTheRestartedSyscall()
    {
        var spec = ProducerSemantics.AsKernelDump(Blocked(), signalledLwp: 100100, signal: 11);
        using var core = new WrittenCore(spec);
        var r = ExternalTools.Run(ExternalTools.Lldb, ["-b", "-c", core.Path, "-o", "thread list", "-o", "thread select 2", "-o", "register read rip r10 rax rsi"]);
        Assert.Contains("tid = 100123, 0x0000000801234565, name = 'connection'", r.StdOut);
        Assert.Contains("rip = 0x0000000801234565", r.StdOut);
        Assert.Contains("r10 = 0x00000000000001b6", r.StdOut);
        Assert.Contains("rax = 0x00000000000001f3", r.StdOut);
        Assert.Contains("rsi = 0x0000000802000000", r.StdOut);
    }
}
