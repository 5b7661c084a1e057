using System.Globalization;
using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Tests.Syscalls;

public class SyscallSignatureTests
{
    [SharedFileFact("spec/syscalls-freebsd-amd64.csv")]
    public void EveryPrototypeAgreesWithTheCsvOnNameAndArgumentCount()
    {
        var rows = SpecCsv.Read(SharedFiles.SyscallCsv).ToDictionary(r => r.Number);
        foreach (var signature in SyscallSignatures.All)
        {
            var row = rows[signature.Number];
            Assert.True(row.Name == signature.Name, $"prototype {signature.Number} is named {signature.Name}, the CSV says {row.Name}");
            Assert.True(row.NArgs == signature.Parameters.Length.ToString(CultureInfo.InvariantCulture),
                $"{signature.Name} ({signature.Number}): {signature.Parameters.Length} parameters, the CSV says {row.NArgs}");
        }
    }

    // The calls a post-mortem meets (blocking calls of spec §7.4/§8 and their neighbours).
    public static TheoryData<string> RequiredNames => new(
        "read", "write", "open", "close", "wait4", "openat", "fstatat", "poll", "ppoll", "select", "pselect",
        "kevent", "nanosleep", "clock_nanosleep", "_umtx_op", "sigwait", "sigtimedwait", "sigwaitinfo",
        "sigsuspend", "accept", "accept4", "connect", "recvfrom", "recvmsg", "sendto", "sendmsg", "readv",
        "writev", "pread", "pwrite", "fsync", "flock", "fcntl", "ioctl", "mmap", "munmap", "thr_kill", "thr_exit",
        "thr_suspend", "thr_wake", "lseek", "mkfifo", "mkfifoat", "mknodat", "unlink", "unlinkat", "rename",
        "stat", "fstat", "lstat", "access", "faccessat", "getdents", "getdirentries", "sendfile", "aio_suspend",
        "shm_open2", "pipe2");

    [Theory]
    [MemberData(nameof(RequiredNames))]
    public void CommonCallsHavePrototypesForTheirCurrentAndLegacyNumbers(string name)
    {
        // Every live entry of that name, plus the COMPAT11/COMPAT6 ones that 10.x/11.x binaries use.
        var entries = SyscallTable.All.Where(e => e.Name == name &&
            (e.Status.IsLive || e.Status is { Kind: SyscallStatusKind.Compat, CompatVersion: 6 or 11 })).ToList();
        Assert.NotEmpty(entries);
        foreach (var entry in entries)
        {
            var signature = SyscallSignatures.For(entry.Number);
            Assert.True(signature is not null, $"{name} ({entry.Number}, {entry.Status}) has no prototype");
        }
    }

    [Fact]
    public void BothKeventNumbersDecodeTheSameWay()
    {
        Assert.Equal(SyscallSignatures.For(560)!.Parameters, SyscallSignatures.For(363)!.Parameters);
        Assert.Equal(SyscallArgKind.Timeout, SyscallSignatures.For(560)!.Parameters[5].Kind);
    }

    [Fact]
    public void DirectoryDescriptorsOfTheAtCallsAreDirFd()
    {
        foreach (var number in new[] { 489, 493, 497, 498, 499, 503, 552, 559 })
            Assert.Equal(SyscallArgKind.DirFd, SyscallSignatures.For(number)!.Parameters[0].Kind);
    }
}
