using CoreSleuth.FreeBsd.WaitMessages;
using CoreSleuth.Model;

namespace CoreSleuth.Tests.Syscalls;

public class ThreadStateInterpreterTests
{
    // ki_stat and TDF_* values from spec §4.
    private const byte SIDL = 1, SRUN = 2, SSLEEP = 3, SSTOP = 4, SZOMB = 5, SWAIT = 6, SLOCK = 7;
    private const ulong TDF_SINTR = 0x8, TDF_TIMEOUT = 0x10, TDF_BOUNDARY = 0x400;

    [Fact]
    public void GcoreSleeperShowsSstopButIsSleeping()
    {
        // spec §7.3: under gcore the other threads stay asleep: ki_wmesg "fifoor", TDF_SINTR, ki_stat SSTOP.
        var s = ThreadStateInterpreter.Interpret(SSTOP, "fifoor", TDF_SINTR, CoreProducer.Gcore);
        Assert.Equal(ThreadRunState.Sleeping, s.State);
        Assert.Equal("sleeping (interruptible)", s.Text);
        Assert.Equal("fifoor", s.WaitMessage);
        Assert.True(s.Interruptible);
        Assert.Contains("gcore", s.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelCoreThreadWhoseSleepWasAbortedIsAtTheUserBoundary()
    {
        // spec §7.3: the kernel aborts interruptible sleeps; ki_stat SSTOP, TDF_BOUNDARY, empty ki_wmesg.
        var s = ThreadStateInterpreter.Interpret(SSTOP, "", TDF_BOUNDARY, CoreProducer.Kernel);
        Assert.Equal(ThreadRunState.StoppedAtBoundary, s.State);
        Assert.Equal("stopped at user boundary", s.Text);
        Assert.Null(s.WaitMessage);
        Assert.Contains("restart", s.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelCoreKeepsUninterruptibleSleepers()
    {
        // spec §7.3: only sleepers without TDF_SINTR (e.g. "biord") keep their wmesg.
        var s = ThreadStateInterpreter.Interpret(SSTOP, "biord", 0, CoreProducer.Kernel);
        Assert.Equal(ThreadRunState.Sleeping, s.State);
        Assert.Equal("sleeping (uninterruptible)", s.Text);
        Assert.False(s.Interruptible);
    }

    [Fact]
    public void GdbCoresHaveNoThreadState()
    {
        // spec §4.1 / §7.3: gdb cores have no NT_PROCSTAT_PROC.
        var s = ThreadStateInterpreter.Interpret(null, null, 0, CoreProducer.Gdb);
        Assert.Equal(ThreadRunState.Unknown, s.State);
        Assert.Contains("gdb", s.Note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SSLEEP, "nanslp", TDF_SINTR | TDF_TIMEOUT, ThreadRunState.Sleeping, "sleeping (interruptible, timed)")]
    [InlineData(SSLEEP, "ufs", 0UL, ThreadRunState.Sleeping, "sleeping (uninterruptible)")]
    [InlineData(SSTOP, "", 0UL, ThreadRunState.Stopped, "stopped")]
    [InlineData(SZOMB, "", 0UL, ThreadRunState.Zombie, "zombie")]
    [InlineData(SWAIT, "", 0UL, ThreadRunState.Waiting, "waiting")]
    [InlineData(SIDL, "", 0UL, ThreadRunState.Creating, "being created")]
    [InlineData(SRUN, "", 0UL, ThreadRunState.RunningOrRunnable, "running or runnable")]
    [InlineData(9, "", 0UL, ThreadRunState.Unknown, "unknown")]
    public void StatesFromKiStat(byte stat, string wmesg, ulong flags, ThreadRunState state, string text)
    {
        var s = ThreadStateInterpreter.Interpret(stat, wmesg, flags, CoreProducer.Unknown);
        Assert.Equal(state, s.State);
        Assert.Equal(text, s.Text);
    }

    [Fact]
    public void RunningAndRunnableNeedOnCpu()
    {
        Assert.Equal("running", ThreadStateInterpreter.Interpret(SRUN, "", 0, CoreProducer.Kernel, onCpu: true).Text);
        Assert.Equal("runnable", ThreadStateInterpreter.Interpret(SRUN, "", 0, CoreProducer.Kernel, onCpu: false).Text);
    }

    [Fact]
    public void LockBlockedThreadNamesTheLock()
    {
        Assert.Equal("blocked on lock ufs", ThreadStateInterpreter.Interpret(SLOCK, "", 0, CoreProducer.Gcore, lockName: "ufs").Text);
        Assert.Equal("blocked on a kernel lock", ThreadStateInterpreter.Interpret(SLOCK, "", 0, CoreProducer.Gcore).Text);
    }
}
