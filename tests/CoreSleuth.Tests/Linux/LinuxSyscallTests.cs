using System.Text;
using System.Text.RegularExpressions;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Linux;
using CoreSleuth.Linux.Syscalls;

namespace CoreSleuth.Tests.Linux;

/// <summary>A fact that reads a kernel uapi header installed on this machine (linux-libc-dev); skipped when it is absent.</summary>
public sealed class UapiHeaderFactAttribute : FactAttribute
{
    public UapiHeaderFactAttribute(string path)
    {
        if (!File.Exists(path)) Skip = $"{path} is not installed (the linux-libc-dev package provides it)";
    }
}

public class LinuxSyscallTests
{
    private const string UnistdHeader = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
    private const string ErrnoBase = "/usr/include/asm-generic/errno-base.h";
    private const string ErrnoMore = "/usr/include/asm-generic/errno.h";

    [Theory]
    // Rows of arch/x86/entry/syscalls/syscall_64.tbl.
    [InlineData(0, "read")]
    [InlineData(2, "open")]
    [InlineData(7, "poll")]
    [InlineData(23, "select")]
    [InlineData(34, "pause")]
    [InlineData(35, "nanosleep")]
    [InlineData(61, "wait4")]
    [InlineData(202, "futex")]
    [InlineData(208, "io_getevents")]
    [InlineData(230, "clock_nanosleep")]
    [InlineData(232, "epoll_wait")]
    [InlineData(257, "openat")]
    [InlineData(270, "pselect6")]
    [InlineData(281, "epoll_pwait")]
    [InlineData(288, "accept4")]
    [InlineData(426, "io_uring_enter")]
    [InlineData(437, "openat2")]
    [InlineData(449, "futex_waitv")]
    [InlineData(455, "futex_wait")]
    [InlineData(462, "mseal")]
    [InlineData(470, "listns")]
    public void TableNamesTheNumbersOfSyscall64Tbl(int number, string name)
    {
        Assert.Equal(name, LinuxSyscallTable.Name(number));
        Assert.True(LinuxSyscallTable.Lookup(number)!.Implemented);
    }

    [Fact]
    public void UnassignedAndRetiredNumbersAreMarked()
    {
        Assert.Null(LinuxSyscallTable.Lookup(400)); // 387–423 are never used
        Assert.Equal("#400", LinuxSyscallTable.Name(400));
        Assert.Null(LinuxSyscallTable.Lookup(-1));
        Assert.Null(LinuxSyscallTable.Lookup(512)); // x32 rt_sigaction: not an x86-64 call
        Assert.False(LinuxSyscallTable.Lookup(134)!.Implemented); // uselib: no entry point
        Assert.False(LinuxSyscallTable.Lookup(184)!.Implemented); // tuxcall
        Assert.True(LinuxSyscallTable.MaxNumber >= 460);
    }

    [UapiHeaderFact(UnistdHeader)]
    public void TableAgreesWithTheInstalledUapiHeader()
    {
        int checkedRows = 0;
        foreach (var line in File.ReadLines(UnistdHeader))
        {
            var m = Regex.Match(line, @"^#define __NR_(\w+)\s+(\d+)\s*$");
            if (!m.Success) continue;
            Assert.Equal(m.Groups[1].Value, LinuxSyscallTable.Name(int.Parse(m.Groups[2].Value)));
            checkedRows++;
        }
        Assert.True(checkedRows > 300, $"only {checkedRows} rows in {UnistdHeader}");
    }

    [Fact]
    public void EverySignatureNamesItsTableRow()
    {
        foreach (var s in LinuxSyscallSignatures.All)
        {
            Assert.Equal(s.Name, LinuxSyscallTable.Name(s.Number));
            Assert.InRange(s.Parameters.Length, 0, 6);
        }
    }

    [Theory]
    [InlineData(4, "EINTR")]
    [InlineData(11, "EAGAIN")]
    [InlineData(38, "ENOSYS")]
    [InlineData(110, "ETIMEDOUT")]
    [InlineData(133, "EHWPOISON")]
    [InlineData(41, "errno 41")] // unassigned
    [InlineData(134, "errno 134")]
    [InlineData(512, "ERESTARTSYS")]
    [InlineData(513, "ERESTARTNOINTR")]
    [InlineData(514, "ERESTARTNOHAND")]
    [InlineData(515, "ENOIOCTLCMD")]
    [InlineData(516, "ERESTART_RESTARTBLOCK")]
    public void ErrnoNames(int value, string name) => Assert.Equal(name, LinuxErrno.Name(value));

    [UapiHeaderFact(ErrnoMore)]
    public void ErrnoNamesAgreeWithTheInstalledUapiHeaders()
    {
        var seen = new HashSet<int>();
        foreach (var line in File.ReadLines(ErrnoBase).Concat(File.ReadLines(ErrnoMore)))
        {
            var m = Regex.Match(line, @"^#define\s+(E\w+)\s+(\d+)\b");
            if (!m.Success || !seen.Add(int.Parse(m.Groups[2].Value))) continue; // the first name of a number; later ones are aliases
            Assert.Equal(m.Groups[1].Value, LinuxErrno.Name(int.Parse(m.Groups[2].Value)));
        }
        Assert.Contains(133, seen);
    }

    [Theory]
    // include/uapi/asm-generic/fcntl.h, octal there.
    [InlineData(0, "O_RDONLY")]
    [InlineData(0x80000, "O_RDONLY|O_CLOEXEC")]             // 02000000
    [InlineData(0x241, "O_WRONLY|O_CREAT|O_TRUNC")]          // 01101
    [InlineData(0x80842, "O_RDWR|O_CREAT|O_NONBLOCK|O_CLOEXEC")]
    [InlineData(0x101001, "O_WRONLY|O_SYNC")]                // __O_SYNC|O_DSYNC
    [InlineData(0x1001, "O_WRONLY|O_DSYNC")]
    [InlineData(0x100001, "O_WRONLY|__O_SYNC")]              // the bit alone, as no libc writes it
    [InlineData(0x410002, "O_RDWR|O_TMPFILE")]               // __O_TMPFILE|O_DIRECTORY
    [InlineData(0x4000, "O_RDONLY|O_DIRECT")]
    [InlineData(0x200000, "O_RDONLY|O_PATH")]
    [InlineData(0x8000, "O_RDONLY|O_LARGEFILE")]
    [InlineData(0x3, "O_ACCMODE")]
    [InlineData(0x80000000, "O_RDONLY|0x80000000")]
    public void OpenFlagsAreNamedLikeTheFreeBsdDecoderNamesItsOwn(uint flags, string text) =>
        Assert.Equal(text, LinuxOpenFlags.Format(flags));

    [Fact]
    public void FifoOpensThatWaitForAPeer()
    {
        Assert.True(LinuxOpenFlags.WaitsForFifoPeer(0));               // O_RDONLY: waits for a writer
        Assert.True(LinuxOpenFlags.WaitsForFifoPeer(0x80001));         // O_WRONLY|O_CLOEXEC: waits for a reader
        Assert.False(LinuxOpenFlags.WaitsForFifoPeer(2));              // O_RDWR
        Assert.False(LinuxOpenFlags.WaitsForFifoPeer(0x800));          // O_RDONLY|O_NONBLOCK
        Assert.False(LinuxOpenFlags.WaitsForFifoPeer(0x200000));       // O_PATH
        Assert.Equal(OpenDirection.Write, LinuxOpenFlags.Direction(1));
    }

    [Theory]
    [InlineData(0, "FUTEX_WAIT")]
    [InlineData(128, "FUTEX_WAIT_PRIVATE")]
    [InlineData(129, "FUTEX_WAKE_PRIVATE")]
    [InlineData(0x189, "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME")] // glibc's pthread_cond/sem wait
    [InlineData(0x86, "FUTEX_LOCK_PI_PRIVATE")]
    [InlineData(13, "FUTEX_LOCK_PI2")]
    [InlineData(14, "0xe")]
    public void FutexOps(int op, string text) => Assert.Equal(text, LinuxFutex.Format(op));

    [Fact]
    public void FutexWaitCommands()
    {
        Assert.True(LinuxFutex.IsWait(0x189));
        Assert.True(LinuxFutex.IsWait(0x80));
        Assert.False(LinuxFutex.IsWait(0x81));
    }

    private const ulong Minus1 = ulong.MaxValue;
    private static ulong Neg(long v) => unchecked((ulong)(-v));

    [Theory]
    [InlineData(257, 512, LinuxSyscallPhase.BlockedWillRestart)]  // FIFO open asleep in fifo_open
    [InlineData(202, 516, LinuxSyscallPhase.BlockedWillRestart)]  // futex wait with a timeout
    [InlineData(34, 514, LinuxSyscallPhase.BlockedWillRestart)]   // pause
    [InlineData(61, 513, LinuxSyscallPhase.BlockedWillRestart)]
    [InlineData(232, 4, LinuxSyscallPhase.Interrupted)]           // epoll_wait is never restarted
    [InlineData(0, 38, LinuxSyscallPhase.AtEntryOrNoSys)]
    [InlineData(257, 2, LinuxSyscallPhase.ReturnedError)]         // ENOENT
    [InlineData(16, 515, LinuxSyscallPhase.ReturnedError)]        // ENOIOCTLCMD is no restart code
    [InlineData(257, 4095, LinuxSyscallPhase.ReturnedError)]
    public void NegativeRaxClassifies(long origRax, long errno, LinuxSyscallPhase phase)
    {
        var s = LinuxSyscallState.Classify((ulong)origRax, Neg(errno));
        Assert.Equal(phase, s.Phase);
        Assert.Equal(origRax, s.Number);
        Assert.Equal(errno, s.Errno);
    }

    [Fact]
    public void OtherRaxValues()
    {
        var running = LinuxSyscallState.Classify(Minus1, Neg(512));
        Assert.Equal((LinuxSyscallPhase.NotInSyscall, (long?)null, (long?)null, false), (running.Phase, running.Number, running.Errno, running.MayBeBlocked));
        Assert.True(LinuxSyscallState.Classify(257, Neg(512)).MayBeBlocked);
        Assert.True(LinuxSyscallState.Classify(232, Neg(4)).MayBeBlocked);
        Assert.False(LinuxSyscallState.Classify(257, Neg(2)).MayBeBlocked);
        var read = LinuxSyscallState.Classify(0, 17);
        Assert.Equal((LinuxSyscallPhase.Returned, 17L, (long?)null), (read.Phase, read.Result, read.Errno));
        var mmap = LinuxSyscallState.Classify(9, 0xffff_f000_0000_0000); // a high address, not an errno
        Assert.Equal(LinuxSyscallPhase.Returned, mmap.Phase);
        Assert.Equal(LinuxSyscallPhase.Returned, LinuxSyscallState.Classify(0, Neg(4096)).Phase);
    }

    [Fact]
    public void StatesDescribeThemselves()
    {
        Assert.Equal("in openat: asleep, interrupted by the dump (rax -ERESTARTSYS), restarts on resume",
            LinuxSyscallState.Classify(257, Neg(512)).Describe());
        Assert.Equal("openat returned -1 ENOENT", LinuxSyscallState.Classify(257, Neg(2)).Describe());
        Assert.Equal("not in a system call (orig_rax -1)", LinuxSyscallState.Classify(Minus1, 5).Describe());
        Assert.Equal("read returned 17", LinuxSyscallState.Classify(0, 17).Describe());
    }

    private sealed class OneString(ulong address, string text) : IStringSource
    {
        public CString ReadCString(ulong a, int maxBytes) => a == address
            ? CString.FromReadableBytes(Encoding.UTF8.GetBytes(text + "\0"), maxBytes)
            : new CString.Unavailable("address not in the core");
    }

    [Fact]
    public void OpenatOfTheFifoDecodes()
    {
        // glibc open64("f", O_RDONLY) = openat(AT_FDCWD, "f", O_RDONLY, 0): rdi -100 as an int.
        var d = LinuxSyscallDecoder.Describe(257, [0xffffff9c, 0x7ffc_76e4_b9f0, 0, 0, 0, 0], new OneString(0x7ffc_76e4_b9f0, "f"));
        Assert.Equal("openat(AT_FDCWD, \"f\", O_RDONLY, 0)", d.FormatCall());
        Assert.Equal(new CString.Ok("f", false), d.Arguments[1].String);
        Assert.Equal([LinuxArgKind.DirFd, LinuxArgKind.Path, LinuxArgKind.OpenFlags, LinuxArgKind.Mode], d.Arguments.Select(a => a.Kind));
    }

    [Fact]
    public void FutexAndEpollAndUnknownCallsDecode()
    {
        Assert.Equal("futex(0x5602665060b0, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0x0, NULL (no time limit), NULL, 0xffffffff)",
            LinuxSyscallDecoder.Describe(202, [0x5602665060b0, 0x189, 0, 0, 0, 0xffffffff], null).FormatCall());
        Assert.Equal("epoll_wait(3, 0x556eb5ef54f0, 1023, -1 (no time limit))",
            LinuxSyscallDecoder.Describe(232, [3, 0x556eb5ef54f0, 0x3ff, 0xffffffff, 0, 0], null).FormatCall());
        Assert.Equal("openat(AT_FDCWD, 0x1000 (string unavailable: no memory source), O_WRONLY|O_CREAT|O_TRUNC, 0644)",
            LinuxSyscallDecoder.Describe(257, [Neg(100), 0x1000, 0x241, 420, 0, 0], null).FormatCall());
        Assert.Equal("#400(0x1, 0x2, 0x3, 0x4, 0x5, 0x6)", LinuxSyscallDecoder.Describe(400, [1, 2, 3, 4, 5, 6], null).FormatCall());
        Assert.Equal("tgkill(4242, 4243, SIGABRT)", LinuxSyscallDecoder.Describe(234, [4242, 4243, 6], null).FormatCall()); // abort()
        Assert.Equal("kill(1, SIGRTMIN+2)", LinuxSyscallDecoder.Describe(62, [1, 34], null).FormatCall());
        Assert.Equal("pause()", LinuxSyscallDecoder.Describe(34, [1, 2, 3, 4, 5, 6], null).FormatCall());
    }
}
