using CoreSleuth.FreeBsd.WaitMessages;

namespace CoreSleuth.Tests.Syscalls;

public class WaitMessageCatalogueTests
{
    // The wait messages named in spec §8.1–§8.2.
    public static TheoryData<string> SpecMessages => new(
        "fifoor", "fifoow", "piperd", "pipewr", "pipbww", "pipdww", "select", "kqread", "sbwait", "accept",
        "connec", "nanslp", "uwait", "ucond", "umtxn", "umtxpi", "umtxpp", "urdlck", "uwrlck", "usem", "pause",
        "sigwait", "wait", "lockf", "biord", "biowr", "getblk", "ufs", "zfs", "tmpfs", "zio->io_", "tx->tx_s",
        "db->db_c", "ttyin", "ttyout", "ppwait", "lthr");

    [Theory]
    [MemberData(nameof(SpecMessages))]
    public void EverySpecMessageIsCatalogued(string wmesg)
    {
        var info = WaitMessageCatalogue.Lookup(wmesg);
        Assert.True(info.IsKnown, wmesg);
        Assert.Equal(wmesg, info.WaitMessage);
        Assert.False(string.IsNullOrWhiteSpace(info.Meaning));
        Assert.NotEqual(WaitCategory.NotSleeping, info.Category);
        Assert.NotEqual(WaitMessageSource.NotInSpec, info.Source);
    }

    [SharedFileFact("spec/freebsd-amd64-core.md")]
    public void VerificationMarksMatchTheSpecTable()
    {
        // Parse the "wmesg | where / meaning | V/M" table of spec §8.2.
        var lines = File.ReadAllLines(SharedFiles.SpecMarkdown);
        var start = Array.FindIndex(lines, l => l.StartsWith("### 8.2", StringComparison.Ordinal));
        Assert.True(start >= 0, "spec §8.2 not found");
        var checkedCount = 0;
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)
                                                                   && !l.StartsWith("---", StringComparison.Ordinal)))
        {
            if (!line.StartsWith('|') || line.StartsWith("| wmesg", StringComparison.Ordinal) || line.StartsWith("| ---", StringComparison.Ordinal))
                continue;
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            var mark = cells[^1];
            Assert.True(mark is "V" or "M", line);
            var expected = mark == "V" ? WaitMessageSource.Verified : WaitMessageSource.NotRechecked;
            foreach (var raw in cells[0].Split('/', ','))
            {
                var name = raw.Replace("…", "", StringComparison.Ordinal).Trim();
                if (name.Length == 0) continue;
                if (name == "(empty)") name = "";
                var info = WaitMessageCatalogue.Lookup(name);
                Assert.True(info.IsKnown, $"spec §8.2 lists \"{name}\"");
                Assert.True(expected == info.Source, $"\"{name}\": spec marks {mark}, catalogue says {info.Source}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 30, $"only {checkedCount} messages parsed from spec §8.2");
    }

    [Theory]
    // Interruptibility stated by the spec: §8.1 (PCATCH), §8.2, §7.3 (uninterruptible sleepers keep their wmesg).
    [InlineData("fifoor", true)]
    [InlineData("fifoow", true)]
    [InlineData("piperd", true)]
    [InlineData("kqread", true)]
    [InlineData("sbwait", true)]
    [InlineData("nanslp", true)]
    [InlineData("pause", true)]
    [InlineData("biord", false)]
    [InlineData("biowr", false)]
    [InlineData("ufs", false)]
    [InlineData("zfs", false)]
    [InlineData("tmpfs", false)]
    [InlineData("zio->io_", false)]
    public void InterruptibilityFollowsTheSpec(string wmesg, bool interruptible) =>
        Assert.Equal(interruptible, WaitMessageCatalogue.Lookup(wmesg).Interruptible);

    [Theory]
    [InlineData("fifoor", WaitCategory.Fifo, "openat")]
    [InlineData("piperd", WaitCategory.Pipe, "read")]
    [InlineData("select", WaitCategory.Poll, "poll")]
    [InlineData("kqread", WaitCategory.Poll, "kevent")]
    [InlineData("sbwait", WaitCategory.Socket, "recvfrom")]
    [InlineData("uwait", WaitCategory.ThreadSync, "_umtx_op")]
    [InlineData("nanslp", WaitCategory.Sleep, "nanosleep")]
    [InlineData("sigwait", WaitCategory.Signal, "sigwait")]
    [InlineData("wait", WaitCategory.Child, "wait4")]
    [InlineData("lockf", WaitCategory.Lock, "fcntl")]
    [InlineData("biord", WaitCategory.DiskIo, "read")]
    [InlineData("ufs", WaitCategory.FilesystemLock, "open")]
    [InlineData("ttyin", WaitCategory.Tty, "read")]
    public void CategoryAndTypicalSyscalls(string wmesg, WaitCategory category, string syscall)
    {
        var info = WaitMessageCatalogue.Lookup(wmesg);
        Assert.Equal(category, info.Category);
        Assert.Contains(syscall, info.TypicalSyscalls);
    }

    [SharedFileFact("spec/syscalls-freebsd-amd64.csv")]
    public void TypicalSyscallsAreNamesFromTheTable()
    {
        var names = SpecCsv.Read(SharedFiles.SyscallCsv).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        names.Add("vfork");
        foreach (var info in WaitMessageCatalogue.All)
            foreach (var syscall in info.TypicalSyscalls)
                Assert.True(names.Contains(syscall), $"{info.WaitMessage}: {syscall} is not a syscall name");
    }

    [Fact]
    public void TruncatedAndFullKernelStringsFindTheSameEntry()
    {
        // spec §8: ki_wmesg keeps 8 characters; ZFS "zio->io_cv" appears as "zio->io_".
        var truncated = WaitMessageCatalogue.Lookup("zio->io_");
        Assert.True(truncated.IsKnown);
        Assert.Same(truncated, WaitMessageCatalogue.Lookup("zio->io_cv"));
        Assert.Equal("zio->io_cv", truncated.FullName);
        Assert.Same(WaitMessageCatalogue.Lookup("tx->tx_s"), WaitMessageCatalogue.Lookup("tx->tx_sync_done_cv"));
        Assert.Same(WaitMessageCatalogue.Lookup("fifoor"), WaitMessageCatalogue.Lookup("fifoor\0\0\0"));
    }

    [Fact]
    public void EmptyMeansNotSleeping()
    {
        Assert.Equal(WaitCategory.NotSleeping, WaitMessageCatalogue.Lookup("").Category);
        Assert.Equal(WaitCategory.NotSleeping, WaitMessageCatalogue.Lookup(null).Category);
        Assert.Equal(WaitCategory.NotSleeping, WaitMessageCatalogue.Lookup("\0\0\0\0\0\0\0\0\0").Category);
    }

    [Fact]
    public void UnknownMessagesGetAGenericEntry()
    {
        var info = WaitMessageCatalogue.Lookup("frobnicate");
        Assert.False(info.IsKnown);
        Assert.Equal(WaitMessageSource.Unknown, info.Source);
        Assert.Equal("frobnica", info.WaitMessage);
        Assert.Contains("not in the catalogue", info.Meaning, StringComparison.Ordinal);
        Assert.Null(info.Interruptible);
        Assert.False(WaitMessageCatalogue.Lookup("FIFOOR").IsKnown); // kernel strings are case-sensitive
    }

    [Fact]
    public void KeysFitKiWmesgAndAreUnique()
    {
        Assert.All(WaitMessageCatalogue.All, e => Assert.True(e.WaitMessage.Length <= 8, e.WaitMessage));
        Assert.Equal(WaitMessageCatalogue.All.Count, WaitMessageCatalogue.All.Select(e => e.WaitMessage).Distinct().Count());
        Assert.All(WaitMessageCatalogue.All.Where(e => e.FullName is not null),
            e => Assert.StartsWith(e.WaitMessage, e.FullName!, StringComparison.Ordinal));
    }
}
