using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd.Syscalls;
using CoreSleuth.Linux;
using CoreSleuth.Linux.Syscalls;

namespace CoreSleuth.Tests.Linux;

/// <summary>
/// The Linux parsers on a real gcore core of <c>cat</c> blocked opening a FIFO, checked against
/// gdb's own reading of the same core and against /proc/PID/syscall read before the dump.
/// </summary>
public sealed class LinuxRealCoreTests(FifoCatCore core) : IClassFixture<FifoCatCore>, IDisposable
{
    private readonly ElfFile elf = ElfFile.Parse(ByteSource.OpenFile(core.CorePath));

    public void Dispose() => elf.Source.Dispose();

    private ElfNote Note(uint type) => Assert.Single(elf.Notes, n => n.Type == type && n.Name == "CORE");

    private LinuxPrStatus Status()
    {
        var n = Note(LinuxNoteType.PrStatus);
        return LinuxPrStatus.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
    }

    /// <summary>gdb's value of register <paramref name="name"/> from <c>info registers</c> / <c>p/x</c>.</summary>
    private ulong Gdb(string name)
    {
        var m = Regex.Match(core.GdbView, $@"^{Regex.Escape(name)}\s+0x([0-9a-f]+)", RegexOptions.Multiline);
        Assert.True(m.Success, $"gdb printed no {name}:\n{core.GdbView}");
        return ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    /// <summary>The value of the n-th <c>$k = value</c> line gdb printed (p commands in order, 1-based).</summary>
    private string GdbPrint(int n)
    {
        var m = Regex.Match(core.GdbView, $@"^\${n} = (.+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"gdb printed no ${n}:\n{core.GdbView}");
        return m.Groups[1].Value.Trim();
    }

    [GdbCoreFact]
    public void PrStatusRegistersAreGdbs()
    {
        var s = Status();
        Assert.Equal(core.CatPid, s.Pid);
        var r = s.Registers;
        foreach (var (name, value) in r.General.Where(g => g.Name is not ("fs_base" or "gs_base")))
            Assert.True(Gdb(name) == value, $"{name}: parsed 0x{value:x}, gdb 0x{Gdb(name):x}");
        Assert.Equal(long.Parse(GdbPrint(1), CultureInfo.InvariantCulture), (long)r.OrigRax);
        Assert.Equal(GdbPrint(2), $"0x{r.FsBase:x}");
        Assert.Equal(GdbPrint(3), $"0x{r.GsBase:x}");
    }

    [GdbCoreFact]
    public void TheBlockedCatIsInOpenatOfTheFifoAndWillRestart()
    {
        var r = Status().Registers;
        // /proc/PID/syscall before the dump: "257 0xffffff9c 0x7ffc… 0x0 …" (number, six args, sp, pc).
        var live = core.LiveSyscall.Split(' ');
        Assert.Equal("257", live[0]);
        ulong[] liveArgs = [.. live.Skip(1).Take(6).Select(a => ulong.Parse(a.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture))];
        Assert.Equal(liveArgs, r.SyscallArguments);

        var state = r.SyscallState;
        Assert.Equal(LinuxSyscallPhase.BlockedWillRestart, state.Phase);
        Assert.Equal(257, state.Number);
        Assert.Equal(LinuxErrno.ERESTARTSYS, state.Errno); // fs/fifo.c wait_for_partner returns -ERESTARTSYS on a signal

        var call = LinuxSyscallDecoder.Describe((long)r.OrigRax, r.SyscallArguments, new CoreMemory(elf));
        Assert.Equal("openat(AT_FDCWD, \"f\", O_RDONLY, 0)", call.FormatCall());
    }

    [GdbCoreFact]
    public void PrPsInfoAndSigInfoAreGdbs()
    {
        var n = Note(LinuxNoteType.PrPsInfo);
        var p = LinuxPrPsInfo.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
        Assert.Equal(core.CatPid, p.Pid);
        Assert.Equal("cat", p.FileName);
        Assert.StartsWith("cat", p.Arguments);

        var si = Note(LinuxNoteType.SigInfo);
        var s = LinuxSigInfo.Parse(si.Descriptor.Span, si.DescriptorFileOffset);
        Assert.Equal(int.Parse(GdbPrint(4), CultureInfo.InvariantCulture), s.Signal);
        Assert.Equal(int.Parse(GdbPrint(5), CultureInfo.InvariantCulture), s.Code);
    }

    [GdbCoreFact]
    public void FileNoteIsGdbsMappingList()
    {
        var n = Note(LinuxNoteType.File);
        var files = LinuxFileNote.Parse(n.Descriptor.Span, n.DescriptorFileOffset);
        // gdb's "info proc mappings" of a core lists the NT_FILE entries: start end size offset objfile.
        var gdb = Regex.Matches(core.GdbView, @"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(/\S.*)$", RegexOptions.Multiline)
            .Select(m => new LinuxMappedFile(Hex(m.Groups[1].Value), Hex(m.Groups[2].Value), Hex(m.Groups[3].Value), m.Groups[4].Value.TrimEnd()))
            .ToList();
        Assert.NotEmpty(gdb);
        Assert.Equal(gdb, files.Files);
        // gdb's gcore writes a "page size" of 1 and offsets in bytes (gdb/linux-tdep.c
        // linux_make_mappings_corefile_notes); the kernel writes PAGE_SIZE and offsets in pages.
        Assert.Equal(1UL, files.PageSize);
        Assert.Contains(files.Files, f => f.Path == core.Executable);
    }

    [GdbCoreFact]
    public void AuxvIsGdbs()
    {
        var n = Note(LinuxNoteType.Auxv);
        var auxv = LinuxAuxvEntry.ParseVector(n.Descriptor.Span, n.DescriptorFileOffset);
        // gdb's "info auxv": "33   AT_SYSINFO_EHDR      System-supplied DSO's ELF header 0x7f…"; the value is the last
        // token once a quoted string (AT_EXECFN, AT_PLATFORM) is removed. gdb prints ??? for names it lacks.
        var gdb = Regex.Matches(core.GdbView, @"^(\d+)\s+(\S+)\s.*?(0x[0-9a-f]+|\d+)(?: "".*"")?$", RegexOptions.Multiline)
            .Select(m => (Type: ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Name: m.Groups[2].Value,
                Value: m.Groups[3].Value.StartsWith("0x", StringComparison.Ordinal) ? Hex(m.Groups[3].Value[2..]) : ulong.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(gdb.Select(g => (g.Type, g.Value)), auxv.Select(a => (a.Type, a.Value)));
        foreach (var (g, a) in gdb.Zip(auxv).Where(p => p.First.Name != "???"))
            Assert.Equal(g.Name, a.Name);
        Assert.Equal(LinuxAuxvEntry.AT_NULL, auxv[^1].Type);
        var execfn = Assert.Single(auxv, a => a.Type == LinuxAuxvEntry.AT_EXECFN);
        var gdbExecFn = Regex.Match(core.GdbView, @"^31\s+AT_EXECFN\s.*0x[0-9a-f]+ ""(.*)""$", RegexOptions.Multiline);
        Assert.True(gdbExecFn.Success, $"gdb printed no AT_EXECFN string:\n{core.GdbView}");
        Assert.Equal(new CString.Ok(gdbExecFn.Groups[1].Value, false), new CoreMemory(elf).ReadCString(execfn.Value, 4096));
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>Just enough of a memory reader for the test: the bytes of the PT_LOAD segment that holds an address.</summary>
    private sealed class CoreMemory(ElfFile elf) : IStringSource
    {
        public CString ReadCString(ulong address, int maxBytes)
        {
            var seg = elf.ProgramHeaders.FirstOrDefault(p => p.IsLoad && address >= p.VirtualAddress && address < p.VirtualAddress + p.FileSize);
            if (seg is null) return new CString.Unavailable("address not in the core");
            long offset = (long)(seg.Offset + (address - seg.VirtualAddress));
            int length = (int)Math.Min((ulong)maxBytes, seg.VirtualAddress + seg.FileSize - address);
            return CString.FromReadableBytes(elf.Source.Slice(offset, length), maxBytes);
        }
    }
}
