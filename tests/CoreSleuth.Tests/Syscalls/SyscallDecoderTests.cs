using System.Text;
using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Tests.Syscalls;

public class SyscallDecoderTests
{
    private const ulong PathAddress = 0x7FFFFFFFE000;
    private const ulong AtFdCwdSignExtended = 0xFFFFFFFFFFFFFF9C; // spec §7.4: rdi of openat(AT_FDCWD, ...)

    /// <summary>A fake process image: a few byte ranges; everything else is not in the core.</summary>
    private sealed class FakeMemory(params (ulong Address, byte[] Bytes)[] ranges) : IStringSource
    {
        public List<(ulong Address, int Max)> Reads { get; } = [];

        public CString ReadCString(ulong address, int maxBytes)
        {
            Reads.Add((address, maxBytes));
            foreach (var (start, bytes) in ranges)
            {
                if (address >= start && address < start + (ulong)bytes.Length)
                {
                    var offset = (int)(address - start);
                    var readable = bytes.AsSpan(offset, Math.Min(maxBytes, bytes.Length - offset));
                    return CString.FromReadableBytes(readable, maxBytes);
                }
            }
            return new CString.Unavailable("address not in the core");
        }
    }

    private static FakeMemory GhostFifo() => new((PathAddress, Encoding.ASCII.GetBytes("/tmp/ghost.fifo\0garbage")));

    [Fact]
    public void OpenatOnAFifoFromFreeBsd11PlusLibc()
    {
        // spec §7.4: 11+ libc open() = openat(AT_FDCWD=-100, path, flags, mode) = 499,
        // rdi=0xFFFFFFFFFFFFFF9C, rsi=path, rdx=flags, rcx(r10)=mode. O_CLOEXEC = 0x100000.
        var memory = GhostFifo();
        var d = SyscallDecoder.Describe(499, [AtFdCwdSignExtended, PathAddress, 0x100000, 0, 0x1234, 0x5678], memory);

        Assert.Equal("openat", d.Name);
        Assert.Equal(SyscallStatusKind.Std, d.Status!.Kind);
        Assert.Null(d.IndirectVia);
        Assert.Equal(["AT_FDCWD", "\"/tmp/ghost.fifo\"", "O_RDONLY|O_CLOEXEC", "0"], d.Arguments.Select(a => a.Text));
        Assert.Equal([SyscallArgKind.DirFd, SyscallArgKind.Path, SyscallArgKind.OpenFlags, SyscallArgKind.Mode],
            d.Arguments.Select(a => a.Kind));
        Assert.Equal([AtFdCwdSignExtended, PathAddress, 0x100000UL, 0UL], d.Arguments.Select(a => a.Raw!.Value));
        Assert.Equal(new CString.Ok("/tmp/ghost.fifo", false), d.Arguments[1].String);
        Assert.Equal([(PathAddress, SyscallDecoder.MaxPathBytes)], memory.Reads);
        Assert.Equal("openat(AT_FDCWD, \"/tmp/ghost.fifo\", O_RDONLY|O_CLOEXEC, 0)", d.FormatCall());
    }

    [Fact]
    public void DirFdAtFdCwdIsRecognisedWhenOnlyTheLow32BitsAreSet()
    {
        // The kernel truncates the register to int, so a zero-extended -100 means the same.
        var d = SyscallDecoder.Describe(499, [0xFFFFFF9C, 0, 0, 0], null);
        Assert.Equal("AT_FDCWD", d.Arguments[0].Text);
        Assert.Equal("NULL", d.Arguments[1].Text);
    }

    [Fact]
    public void OpenForWritingFromFreeBsd10Libc()
    {
        // spec §7.4: on 10.x a blocked open shows rax=5, rdi=path. O_WRONLY = 1.
        var d = SyscallDecoder.Describe(5, [PathAddress, 0x1, 0, 0, 0, 0], GhostFifo());
        Assert.Equal("open", d.Name);
        Assert.Equal(["\"/tmp/ghost.fifo\"", "O_WRONLY", "0"], d.Arguments.Select(a => a.Text));
        Assert.Equal(OpenDirection.Write, OpenFlagDecoder.Direction((uint)d.Arguments[1].Raw!.Value));
        Assert.Equal("fifoow", OpenFlagDecoder.FifoWaitMessage((uint)d.Arguments[1].Raw!.Value));
    }

    [Fact]
    public void CreatingOpenShowsModeInOctal()
    {
        // O_WRONLY|O_CREAT|O_TRUNC = 0x1 | 0x200 | 0x400; mode 0644 = 420.
        var d = SyscallDecoder.Describe(5, [PathAddress, 0x601, 420], GhostFifo());
        Assert.Equal(["\"/tmp/ghost.fifo\"", "O_WRONLY|O_CREAT|O_TRUNC", "0644"], d.Arguments.Select(a => a.Text));
    }

    [Fact]
    public void IndirectUnderscoreSyscallShiftsTheArguments()
    {
        // spec §7.1: __syscall (198) carries the real number in rdi; arguments shift by one.
        var d = SyscallDecoder.Describe(198, [499, AtFdCwdSignExtended, PathAddress, 0x100000, 0, 0], GhostFifo());
        Assert.Equal(499, d.Number);
        Assert.Equal("openat", d.Name);
        Assert.Equal(198, d.IndirectVia);
        Assert.Equal(["AT_FDCWD", "\"/tmp/ghost.fifo\"", "O_RDONLY|O_CLOEXEC", "0"], d.Arguments.Select(a => a.Text));
        Assert.EndsWith(" via __syscall", d.FormatCall(), StringComparison.Ordinal);
    }

    [Fact]
    public void IndirectSyscallLeavesLaterArgumentsOnTheStack()
    {
        // syscall(0) with sendfile (393, 7 arguments): only 5 registers remain after the shift.
        var d = SyscallDecoder.Describe(0, [393, 3, 4, 0, 100, 0, 0], null);
        Assert.Equal("sendfile", d.Name);
        Assert.Equal(0, d.IndirectVia);
        Assert.Equal(7, d.Arguments.Count);
        Assert.All(d.Arguments.Take(6), a => Assert.NotNull(a.Raw));
        Assert.Null(d.Arguments[6].Raw);
        Assert.Equal("(on the user stack)", d.Arguments[6].Text);

        var shortOne = SyscallDecoder.Describe(0, [393, 3, 4, 0, 100, 0], null);
        Assert.Null(shortOne.Arguments[5].Raw);
    }

    [Fact]
    public void PathThatIsNotInTheCoreIsReportedUnavailable()
    {
        var d = SyscallDecoder.Describe(10, [0xDEAD0000], GhostFifo());
        Assert.Equal("unlink", d.Name);
        Assert.IsType<CString.Unavailable>(d.Arguments[0].String);
        Assert.Contains("0xdead0000", d.Arguments[0].Text, StringComparison.Ordinal);
        Assert.Contains("unavailable", d.Arguments[0].Text, StringComparison.Ordinal);

        var noSource = SyscallDecoder.Describe(10, [PathAddress], null);
        Assert.IsType<CString.Unavailable>(noSource.Arguments[0].String);
    }

    [Fact]
    public void UmtxWaitIsNamed()
    {
        // libthr condition wait: _umtx_op(obj, UMTX_OP_WAIT_UINT_PRIVATE = 15, val, size, timeout).
        var d = SyscallDecoder.Describe(454, [0x801234560, 15, 0, 0, 0], null);
        Assert.Equal("_umtx_op", d.Name);
        Assert.Equal("UMTX_OP_WAIT_UINT_PRIVATE", d.Arguments[1].Text);
        Assert.Equal("UMTX_OP_MUTEX_WAIT", SyscallDecoder.Describe(454, [1, 17, 0, 0, 0], null).Arguments[1].Text);
        Assert.Equal("UMTX_OP_CV_WAIT", SyscallDecoder.Describe(454, [1, 8, 0, 0, 0], null).Arguments[1].Text);
        Assert.Equal("UMTX_OP_WAIT", SyscallDecoder.Describe(454, [1, 2, 0, 0, 0], null).Arguments[1].Text);
        Assert.Equal("UMTX_OP_SEM2_WAIT", SyscallDecoder.Describe(454, [1, 23, 0, 0, 0], null).Arguments[1].Text);
        Assert.Equal("9999", SyscallDecoder.Describe(454, [1, 9999, 0, 0, 0], null).Arguments[1].Text);
    }

    [Fact]
    public void FcntlThirdArgumentFollowsTheCommand()
    {
        var lockWait = SyscallDecoder.Describe(92, [7, 13, 0x7FFFFFFFD000], null); // F_SETLKW, struct flock *
        Assert.Equal(["7", "F_SETLKW", "0x7fffffffd000"], lockWait.Arguments.Select(a => a.Text));
        var setfl = SyscallDecoder.Describe(92, [7, 4, 0x4], null); // F_SETFL O_NONBLOCK
        Assert.Equal("O_NONBLOCK", setfl.Arguments[2].Text);
        var setfd = SyscallDecoder.Describe(92, [7, 2, 1], null); // F_SETFD FD_CLOEXEC
        Assert.Equal("FD_CLOEXEC", setfd.Arguments[2].Text);
    }

    [Fact]
    public void BlockingCallsShowTheirWaitRelevantArguments()
    {
        Assert.Equal(["5", "0x800000000", "1", "0x800001000", "64", "NULL (no time limit)"],
            SyscallDecoder.Describe(560, [5, 0x800000000, 1, 0x800001000, 64, 0], null).Arguments.Select(a => a.Text));
        Assert.Equal(["0x7fffffffd000", "3", "INFTIM"],
            SyscallDecoder.Describe(209, [0x7fffffffd000, 3, 0xFFFFFFFF], null).Arguments.Select(a => a.Text));
        Assert.Equal(["CLOCK_MONOTONIC", "TIMER_ABSTIME", "0x7fffffffd000", "NULL"],
            SyscallDecoder.Describe(244, [4, 1, 0x7fffffffd000, 0], null).Arguments.Select(a => a.Text));
        Assert.Equal(["100123", "SIGABRT"], SyscallDecoder.Describe(433, [100123, 6], null).Arguments.Select(a => a.Text));
        Assert.Equal(["-1", "0x7fffffffd000", "WNOHANG|WUNTRACED", "NULL"],
            SyscallDecoder.Describe(7, [ulong.MaxValue, 0x7fffffffd000, 3, 0], null).Arguments.Select(a => a.Text));
        Assert.Equal(["9", "LOCK_EX"], SyscallDecoder.Describe(131, [9, 2], null).Arguments.Select(a => a.Text));
        Assert.Equal(["3", "-5", "SEEK_END"], SyscallDecoder.Describe(478, [3, unchecked((ulong)-5L), 2], null).Arguments.Select(a => a.Text));
        Assert.Equal("AT_REMOVEDIR", SyscallDecoder.Describe(503, [AtFdCwdSignExtended, 0, 0x800], null).Arguments[2].Text);
        Assert.Equal("SOCK_CLOEXEC|SOCK_NONBLOCK",
            SyscallDecoder.Describe(541, [3, 0, 0, 0x30000000], null).Arguments[3].Text);
        Assert.Equal("O_NONBLOCK|O_CLOEXEC", SyscallDecoder.Describe(542, [0x7fffffffd000, 0x100004], null).Arguments[1].Text);
        Assert.Equal("SHM_ANON", SyscallDecoder.Describe(571, [1, 2, 384, 0, 0], null).Arguments[0].Text);
        Assert.Equal("FIONREAD", SyscallDecoder.Describe(54, [3, 0x4004667f, 0], null).Arguments[1].Text);
        Assert.Equal("0x1004667f", SyscallDecoder.Describe(54, [3, 0x1004667f, 0], null).Arguments[1].Text); // no direction bits
        Assert.Equal("0x802c7414 _IOW('t',20,44)", SyscallDecoder.Describe(54, [3, 0x802c7414, 0], null).Arguments[1].Text);
    }

    [Fact]
    public void SyscallsWithoutAPrototypeGetGenericArgumentsPerTheTable()
    {
        var mount = SyscallDecoder.Describe(21, [1, 2, 3, 4, 5, 6], null);
        Assert.Equal("mount", mount.Name);
        Assert.Equal(4, mount.Arguments.Count);
        Assert.All(mount.Arguments, a => Assert.Equal(SyscallArgKind.Raw, a.Kind));
        Assert.Equal("0x4", mount.Arguments[3].Text);

        Assert.Empty(SyscallDecoder.Describe(2, [1, 2, 3], null).Arguments); // fork: 0 arguments

        var unknown = SyscallDecoder.Describe(1000, [1, 2, 3, 4, 5, 6], null);
        Assert.Null(unknown.Entry);
        Assert.Equal("#1000", unknown.Name);
        Assert.Equal(6, unknown.Arguments.Count);
    }

    [Fact]
    public void CStringFromReadableBytes()
    {
        Assert.Equal(new CString.Ok("abc", false), CString.FromReadableBytes("abc\0def"u8, 16));
        Assert.Equal(new CString.Ok("abc", true), CString.FromReadableBytes("abc"u8, 16));
        Assert.Equal(new CString.NotTerminated("abcd", 4), CString.FromReadableBytes("abcdef"u8, 4));
        Assert.IsType<CString.Unavailable>(CString.FromReadableBytes([], 16));
        Assert.Equal(new CString.Ok("", false), CString.FromReadableBytes("\0"u8, 16));
    }
}
