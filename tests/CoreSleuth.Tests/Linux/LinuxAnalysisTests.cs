using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.Diagnosis;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Analysis.Modules;
using CoreSleuth.Elf;
using CoreSleuth.Model;
using CoreSleuth.Report;
using CoreSleuth.Tests.Reader;

namespace CoreSleuth.Tests.Linux;

/// <summary>glibc's pthread_t ↔ LWP, the wait-channel input and the confidence of the Linux FIFO finding, on hand-built Linux cores.</summary>
public sealed class LinuxAnalysisTests
{
    private const ulong Heap = 0x7f00_0000_0000, PathAt = Heap + 0x3000;
    private const int TidOffset = 720, OpenAt = 257, RestartSys = 512;

    /// <summary>A 336-byte NT_PRSTATUS with the registers given by their user_regs_struct offsets.</summary>
    private static byte[] PrStatus(int lwp, ulong fsBase, long origRax = -1, long rax = 0, ulong rsi = 0, ulong rdx = 0)
    {
        var d = new byte[336];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(32), lwp);
        void Reg(int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(112 + offset), value);
        Reg(80, unchecked((ulong)rax));
        Reg(96, rdx);
        Reg(104, rsi);
        Reg(112, unchecked((ulong)-100L)); // rdi AT_FDCWD
        Reg(120, unchecked((ulong)origRax));
        Reg(128, 0x40_1000);
        Reg(168, fsBase);
        return d;
    }

    /// <summary>Two threads whose struct pthread (at their fs_base) holds header.self at +16 and the tid at <paramref name="secondTidOffset"/> for the second.</summary>
    private static CoreImage TwoThreads(int secondTidOffset = TidOffset, long origRax = -1, long rax = 0, uint flags = 0, string path = "/tmp/ghost.fifo")
    {
        var memory = new byte[0x4000];
        void Pthread(int at, int lwp, int tidOffset)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(memory.AsSpan(at + 16), Heap + (ulong)at);
            BinaryPrimitives.WriteInt32LittleEndian(memory.AsSpan(at + tidOffset), lwp);
        }
        Pthread(0, 4242, TidOffset);
        Pthread(0x1000, 4243, secondTidOffset);
        Encoding.ASCII.GetBytes(path).CopyTo(memory, 0x3000);
        return new CoreImage { OsAbi = 0 }
            .Note(1, PrStatus(4242, Heap), name: "CORE")
            .Note(1, PrStatus(4243, Heap + 0x1000, origRax, rax, PathAt, flags), name: "CORE")
            .Note(3, new byte[136], name: "CORE")
            .Load(new CoreImage.Segment(Heap, memory));
    }

    private static CoreFile Open(CoreImage image) => CoreFile.Load(ByteSource.FromBytes(image.Build(), "linux.core"));

    [Fact]
    public void WithoutLibcTheSignatureFindsTheOneTidOffsetOfEveryThread()
    {
        using var core = Open(TwoThreads());
        using var modules = ModuleMap.Discover(core, null);
        var identity = ThreadIdentity.Resolve(core, modules);
        Assert.Equal(TidOffset, identity.Layout!.TidOffset);
        Assert.Equal([PthreadStrategy.GlibcSignature], identity.StrategiesUsed);
        Assert.Equal(Heap, identity.PthreadOf(4242));
        Assert.Equal(Heap + 0x1000, identity.PthreadOf(4243));
        Assert.Equal(4243, identity.ResolveHandle(Heap + 0x1000).Lwp);
    }

    [Fact]
    public void NoOffsetSharedByEveryThreadMeansNoPthread()
    {
        using var core = Open(TwoThreads(secondTidOffset: TidOffset + 8));
        using var modules = ModuleMap.Discover(core, null);
        var identity = ThreadIdentity.Resolve(core, modules);
        Assert.Null(identity.Layout);
        Assert.Null(identity.PthreadOf(4242));
        Assert.Contains(identity.Notes, n => n.Contains("no offset", StringComparison.Ordinal));
    }

    [Fact]
    public void AHandleThatIsNoStructPthreadIsInvalid()
    {
        using var core = Open(TwoThreads());
        using var modules = ModuleMap.Discover(core, null);
        var identity = ThreadIdentity.Resolve(core, modules);
        var r = identity.ResolveHandle(Heap + 0x2000);
        Assert.Equal(HandleStatus.Invalid, r.Status);
        Assert.Contains("header.self", r.Reason);
    }

    [Fact]
    public void WaitChannelLinesAreReadByThread()
    {
        var text = WaitChannels.Parse("/proc/18418/task/18418/wchan:poll_schedule_timeout.constprop.0\n/proc/18418/task/18437/wchan:wait_for_partner\nnot a wchan line\n\n/proc/18418/task/18441/wchan:0\n");
        Assert.Equal("wait_for_partner", text.ByLwp[18437]);
        Assert.Equal("poll_schedule_timeout.constprop.0", text.ByLwp[18418]);
        Assert.Equal("0", text.ByLwp[18441]);
        Assert.Equal([18418], text.Pids);
        Assert.Equal([3], text.UnreadLines);
        Assert.NotNull(WaitChannels.Meaning("poll_schedule_timeout.constprop.0"));
    }

    [Theory]
    [InlineData("/proc/1/task/2/wchan:bad name")]
    [InlineData("/proc/x/task/2/wchan:fifo_open")]
    [InlineData("wchan:fifo_open")]
    public void OtherLinesAreNotWaitChannels(string line) => Assert.Equal([1], WaitChannels.Parse(line).UnreadLines);

    private static IReadOnlyList<BlockedFifoOpen> Findings(CoreImage image, string? wchan = null)
    {
        using var core = Open(image);
        using var analysis = CoreAnalysis.Run(core, new AnalysisOptions
        {
            WaitChannels = wchan is null ? null : WaitChannels.Parse($"/proc/1/task/4243/wchan:{wchan}\n"),
        });
        return analysis.Findings;
    }

    [Fact]
    public void AReadOnlyOpenatAsleepIsALikelyFifoOpenFromTheCoreAlone()
    {
        var finding = Assert.Single(Findings(TwoThreads(origRax: OpenAt, rax: -RestartSys, flags: 0x80000)));
        Assert.Equal(4243, finding.Lwp);
        Assert.Equal("/tmp/ghost.fifo", finding.Path);
        Assert.Equal(Confidence.Likely, finding.Confidence);
        Assert.Equal("O_RDONLY|O_CLOEXEC", finding.FlagsText);
        Assert.Equal(Heap + 0x1000, finding.Pthread);
    }

    [Theory]
    [InlineData("wait_for_partner")]
    [InlineData("fifo_open")]
    public void TheFifoWaitChannelMakesItCertain(string wchan) =>
        Assert.Equal(Confidence.Certain, Assert.Single(Findings(TwoThreads(origRax: OpenAt, rax: -RestartSys), wchan)).Confidence);

    [Fact]
    public void AnotherWaitChannelRulesItOut() =>
        Assert.Empty(Findings(TwoThreads(origRax: OpenAt, rax: -RestartSys), "nfs_wait_bit_killable"));

    [Theory]
    [InlineData(2u)]       // O_RDWR never waits for a peer
    [InlineData(0x800u)]   // O_NONBLOCK
    public void OpensThatNeverWaitForAPeerAreNoFinding(uint flags) =>
        Assert.Empty(Findings(TwoThreads(origRax: OpenAt, rax: -RestartSys, flags: flags)));

    [Fact]
    public void AnOpenatThatReturnedIsNoFinding() =>
        Assert.Empty(Findings(TwoThreads(origRax: OpenAt, rax: 5)));

    [Fact]
    public void ReadIsNotFreeBsdsIndirectSyscall()
    {
        // Linux's call 0 is read; FreeBSD's 0 is syscall(2), whose real number is in rdi.
        using var core = Open(TwoThreads(origRax: 0, rax: -RestartSys));
        using var analysis = CoreAnalysis.Run(core, new AnalysisOptions());
        var site = analysis.ThreadOf(4243)!.Site!;
        Assert.False(site.Indirect);
        Assert.Equal("read", analysis.ThreadOf(4243)!.Syscall!.Name);
    }

    /// <summary>A kernel core of one thread: pr_cursig and the NT_SIGINFO after its NT_PRSTATUS (fs/binfmt_elf.c), no "GDB" note.</summary>
    private static CoreAnalysis KernelCore(int signal, int code, ulong word16, uint word20 = 0)
    {
        var status = PrStatus(4242, Heap);
        BinaryPrimitives.WriteInt16LittleEndian(status.AsSpan(12), (short)signal);
        var siginfo = new byte[128];
        BinaryPrimitives.WriteInt32LittleEndian(siginfo, signal);
        BinaryPrimitives.WriteInt32LittleEndian(siginfo.AsSpan(8), code);
        BinaryPrimitives.WriteUInt64LittleEndian(siginfo.AsSpan(16), word16);
        if (word20 != 0) BinaryPrimitives.WriteUInt32LittleEndian(siginfo.AsSpan(20), word20);
        var psinfo = new byte[136];
        BinaryPrimitives.WriteInt32LittleEndian(psinfo.AsSpan(24), 4242);
        var image = new CoreImage { OsAbi = 0 }.Note(1, status, name: "CORE").Note(3, psinfo, name: "CORE").Note(0x53494749, siginfo, name: "CORE")
            .Load(new CoreImage.Segment(Heap, new byte[0x1000]));
        return CoreAnalysis.Run(CoreFile.Load(ByteSource.FromBytes(image.Build(), "kernel.core")), new AnalysisOptions());
    }

    [Fact]
    public void ALinuxSegfaultIsReadFromNtSigInfoWithLinuxNumbers()
    {
        using var analysis = KernelCore(signal: 11, code: 1, word16: 0x8);
        Assert.Equal(CoreProducer.Kernel, analysis.Core.Producer);
        var crash = analysis.Crash!;
        Assert.Equal("SIGSEGV", crash.SignalName);
        Assert.Equal("SEGV_MAPERR", crash.CodeName.Name);
        Assert.Equal(0x8UL, crash.Address);
        Assert.Contains("first page", crash.Summary);
    }

    [Fact]
    public void ALinuxThreadHasItsRegistersAndSignalButNoFreeBsdPrStatus()
    {
        using var analysis = KernelCore(signal: 11, code: 1, word16: 0x8);
        var thread = analysis.Core.Threads.Single();
        Assert.Null(thread.FreeBsd); // FreeBSD's prstatus_t, kinfo_proc…; Linux's elf_prstatus is under Linux
        Assert.Equal(11, thread.CurrentSignal);
        Assert.Equal(11, thread.Linux!.Status.CurrentSignal);
        Assert.Equal(thread.Linux.Status.Registers.Rip, thread.Registers.Rip);
        Assert.Equal(thread.Linux.Status.Registers.Rsp, thread.Registers.Rsp);
    }

    [Fact]
    public void TheInfoTextNamesTheSignalWithLinuxNumbers()
    {
        // 7 is SIGBUS on Linux (arch/x86/include/uapi/asm/signal.h) and SIGEMT on FreeBSD.
        using var analysis = KernelCore(signal: 7, code: 2, word16: 0x7000);
        var text = new StringWriter();
        TextReport.Write(InfoReport.Build(analysis.Core, "kernel.core"), text);
        string line = text.ToString().Split('\n').Single(l => l.TrimStart().StartsWith("signal ", StringComparison.Ordinal));
        Assert.Matches(@"signal\s+7 \(SIGBUS\)$", line);
    }

    [Fact]
    public void ASignalSentByAnotherProcessIsNoCrash()
    {
        // si_code 0 is SI_USER: a process sent it, its pid at 16.
        using var analysis = KernelCore(signal: 6, code: 0, word16: 999);
        var crash = analysis.Crash!;
        Assert.Equal("SIGABRT", crash.SignalName);
        Assert.Equal(999, crash.SenderPid);
        Assert.Contains("did not crash", crash.Summary);
        Assert.Null(crash.Address);
    }
}
