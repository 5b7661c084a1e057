using System.Globalization;
using CoreSleuth.Elf;
using CoreSleuth.Linux;
using CoreSleuth.Linux.Syscalls;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// The Linux parsers on a core the kernel wrote (fs/binfmt_elf.c), checked against what
/// /proc said about the same process just before the signal.
/// </summary>
public sealed class LinuxKernelCoreTests(KernelFifoCatCore core) : IClassFixture<KernelFifoCatCore>, IDisposable
{
    private readonly ElfFile elf = ElfFile.Parse(ByteSource.OpenFile(core.CorePath));

    public void Dispose() => elf.Source.Dispose();

    private ElfNote Note(uint type) => Assert.Single(elf.Notes, n => n.Type == type && n.Name == "CORE");

    private static ulong Hex(string s) => ulong.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s,
        NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [KernelCoreFact]
    public void ThreadIsAsleepInOpenatAsProcSaidAndWillRestart()
    {
        var n = Note(LinuxNoteType.PrStatus);
        var s = LinuxPrStatus.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
        Assert.Equal(core.CatPid, s.Pid);
        Assert.Equal(6, s.CurrentSignal); // SIGABRT, the signal that dumped

        // /proc/PID/syscall: number, six argument registers, then sp and pc (fs/proc/base.c proc_pid_syscall).
        var live = core.LiveSyscall.Split(' ');
        var r = s.Registers;
        Assert.Equal(257UL, r.OrigRax);
        Assert.Equal(live.Skip(1).Take(6).Select(Hex), r.SyscallArguments);
        Assert.Equal(Hex(live[7]), r.Rsp);
        Assert.Equal(Hex(live[8]), r.Rip);
        Assert.Equal(LinuxSyscallPhase.BlockedWillRestart, r.SyscallState.Phase);
        Assert.Equal(LinuxErrno.ERESTARTSYS, r.SyscallState.Errno);
        Assert.Equal("openat(AT_FDCWD, 0x" + r.Rsi.ToString("x", CultureInfo.InvariantCulture) + " (string unavailable: no memory source), O_RDONLY, 0)",
            LinuxSyscallDecoder.Describe((long)r.OrigRax, r.SyscallArguments, null).FormatCall());
    }

    [KernelCoreFact]
    public void PrPsInfoAndSigInfoNameCatAndThisProcessAsSender()
    {
        var n = Note(LinuxNoteType.PrPsInfo);
        var p = LinuxPrPsInfo.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
        // fill_psinfo turns every NUL of the argument area into a space, the final one too.
        Assert.Equal((core.CatPid, "cat", "cat f ", "cat f"), (p.Pid, p.FileName, p.Arguments, p.CommandLine));
        // fill_psinfo: pr_ppid = task_pid_vnr(real_parent), the id of the parent *thread* that forked,
        // not getppid()'s process id: here the test thread that started bash (which exec'd cat).
        Assert.Equal(core.ForkingThreadId, p.ParentPid);

        var si = Note(LinuxNoteType.SigInfo);
        var s = LinuxSigInfo.Parse(si.Descriptor.Span, si.DescriptorFileOffset);
        Assert.Equal((6, 0, "SI_USER"), (s.Signal, s.Code, s.CodeName)); // kill(2) from this test
        Assert.Equal(Environment.ProcessId, s.SenderPid);
        Assert.Null(s.FaultAddress);
    }

    [KernelCoreFact]
    public void FileNoteIsProcMapsFileBackedLines()
    {
        var n = Note(LinuxNoteType.File);
        var note = LinuxFileNote.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
        Assert.Equal((ulong)Environment.SystemPageSize, note.PageSize);
        // /proc/PID/maps: "start-end perms offset dev inode path"; file-backed when inode is not 0.
        var maps = core.LiveMaps.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[4] != "0")
            .Select(f => new LinuxMappedFile(Hex(f[0].Split('-')[0]), Hex(f[0].Split('-')[1]), Hex(f[2]), f[5].Trim()))
            .ToList();
        Assert.NotEmpty(maps);
        Assert.Equal(maps, note.Files);
    }

    [KernelCoreFact]
    public void ModelMappingsAreTheFileBackedLinesOfProcMapsWithTheirPermissions()
    {
        using var model = CoreSleuth.Model.CoreFile.Open(core.CorePath);
        Assert.True(model.Process.MappingsAreFilesOnly);
        // /proc/PID/maps: "start-end perms offset dev inode path"; file-backed when inode is not 0.
        // NT_FILE has no permissions: the model's come from the PT_LOADs and the images' headers.
        var live = core.LiveMaps.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[4] != "0")
            .Select(f => (Start: Hex(f[0].Split('-')[0]), End: Hex(f[0].Split('-')[1]), Perms: f[1][..3], Offset: Hex(f[2]), Path: f[5].Trim()))
            .ToList();
        Assert.NotEmpty(live);
        Assert.Equal(live, model.Process.Mappings.Select(m => (m.Start, m.End, m.ProtectionText, m.FileOffset, m.Path)));
        Assert.All(model.Process.Mappings, m =>
        {
            Assert.Equal(CoreSleuth.Model.MappingKind.File, m.Kind);
            Assert.Null(m.FreeBsd);
            Assert.False(m.NoCoreDump);
        });
        Assert.Contains(model.Process.Mappings, m => m.CanExecute && m.Path.EndsWith("/cat", StringComparison.Ordinal));
    }

    [KernelCoreFact]
    public void MemSaysWhereTheBytesOfCatsUndumpedTextAre()
    {
        // The kernel leaves cat's code out of the core (coredump_filter); its NT_FILE mapping is a
        // read-only file mapping, so the bytes are the file's at the mapping's offset, as /proc said.
        var text = core.LiveMaps.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .First(f => f.Length == 6 && f[1] == "r-xp" && f[5].Trim().EndsWith("/cat", StringComparison.Ordinal));
        ulong start = Hex(text[0].Split('-')[0]), end = Hex(text[0].Split('-')[1]), offset = Hex(text[2]);
        using var model = CoreSleuth.Model.CoreFile.Open(core.CorePath);
        ulong address = start + 0x10;
        Assert.Equal($"0x{address:x} is in the mapping 0x{start:x}-0x{end:x} ({text[5].Trim()}, r-x) whose contents the core does not hold: " +
            $"read-only file-backed text is not dumped; its bytes are those of {text[5].Trim()} at offset 0x{offset + 0x10:x} (analyze and bt read them with --sysroot)",
            CoreSleuth.Report.MemoryReport.Explain(model, address));
    }

    [KernelCoreFact]
    public void InfoNamesTheAuxvByLinuxsTypes()
    {
        using var model = CoreSleuth.Model.CoreFile.Open(core.CorePath);
        var rows = CoreSleuth.Report.InfoReport.Build(model, core.CorePath).Auxv;
        // The kernel writes AT_PAGESZ, AT_EXECFN, AT_PLATFORM and AT_SYSINFO_EHDR (fs/binfmt_elf.c create_elf_tables);
        // FreeBSD would call 15, 31 and 33 AT_EXECPATH, AT_ENVV and AT_FXRNG.
        Assert.Equal(("AT_PAGESZ", Environment.SystemPageSize.ToString(CultureInfo.InvariantCulture)), Assert.Single(rows, r => r.Number == 6) is var p ? (p.Name, p.Display) : default);
        Assert.Equal("AT_EXECFN", Assert.Single(rows, r => r.Number == 31).Name);
        Assert.Equal("AT_SYSINFO_EHDR", Assert.Single(rows, r => r.Number == 33).Name);
        var platform = Assert.Single(rows, r => r.Number == 15);
        Assert.Equal(("AT_PLATFORM", "x86_64"), (platform.Name, platform.String));
    }

    [KernelCoreFact]
    public void AuxvEndsWithAtNullAndHasTheKernelEntries()
    {
        var n = Note(LinuxNoteType.Auxv);
        var auxv = LinuxAuxvEntry.ParseVector(n.Descriptor.Span, n.DescriptorFileOffset);
        Assert.Equal(LinuxAuxvEntry.AT_NULL, auxv[^1].Type);
        Assert.Equal((ulong)Environment.SystemPageSize, Assert.Single(auxv, a => a.Type == LinuxAuxvEntry.AT_PAGESZ).Value);
        Assert.Contains(auxv, a => a.Name == "AT_SYSINFO_EHDR");
        Assert.Contains(auxv, a => a.Name == "AT_EXECFN");
    }
}
