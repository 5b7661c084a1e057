using System.Buffers.Binary;
using System.Globalization;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// The reader against what gdb 13.1, LLDB 16 and readelf 2.40 printed for the same cores
/// (corpus/reference/*): threads, registers, process identity, files, mappings, auxv and notes.
/// Every expected value is parsed from those outputs.
/// </summary>
public sealed class ReferenceOutputTests
{
    public static TheoryData<string> Cores() => Corpus.Amd64Cores();

    private static string Stem(string core) => Path.GetFileNameWithoutExtension(core);

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void ThreadsAndRegistersMatchGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));

        Assert.NotEmpty(gdb.Lwps);
        Assert.Equal(gdb.Lwps, core.Threads.Select(t => t.Lwp));
        Assert.Equal(gdb.Lwps.Count, gdb.RegistersByLwp.Count);
        foreach (var thread in core.Threads)
        {
            var expected = gdb.RegistersByLwp[thread.Lwp];
            var mine = thread.Registers.General.ToDictionary(r => r.Name, r => r.Value);
            Assert.Equal(24, expected.Count); // 16 general, rip, eflags, 6 segment selectors
            foreach (var (name, value) in expected)
            {
                ulong actual = mine[name == "eflags" ? "rflags" : name];
                Assert.True(actual == value, $"LWP {thread.Lwp} {name}: gdb 0x{value:x}, reader 0x{actual:x}");
            }
        }
        Assert.NotNull(gdb.SignalName);
        Assert.Equal(ReadmeFactsTests.SignalNumber(gdb.SignalName!), core.Process.Signal);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void ProcessIdentityMatchesGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var p = core.Process;

        // gdb shows pr_psargs; the reader prefers argv from ps_strings in memory, which the
        // 11.0 kernel of bsi-08c8232b did not copy into pr_psargs (spec §3.4).
        Assert.Equal(gdb.GeneratedBy, p.PsArgs);
        Assert.Equal(gdb.Cmdline, p.PsArgs);
        Assert.StartsWith(gdb.Cmdline!, p.Arguments);
        Assert.Equal(gdb.Cwd, p.WorkingDirectory);
        Assert.Equal(gdb.Exe, p.Executable);

        var lines = gdb.ProcessLines;
        Assert.Equal(lines["Name"], p.Command);
        Assert.Equal(int.Parse(lines["Process ID"], CultureInfo.InvariantCulture), p.Pid);
        Assert.Equal(int.Parse(lines["Parent process"], CultureInfo.InvariantCulture), p.ParentPid);
        var uids = Numbers(lines["User IDs (real, effective, saved)"]);
        Assert.Equal([(long)p.RealUid!, (long)p.Uid!], uids[..2]);
        Assert.Equal(Numbers(lines["Groups"]), p.Groups.Select(g => (long)g));
        Assert.Equal(lines["Start time"], core.Process.FreeBsd!.KinfoProcs[0].Start.ToString());
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void KinfoProcFieldsMatchGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var lines = gdb.ProcessLines;
        Assert.Equal(core.Threads.Count, core.Process.FreeBsd!.KinfoProcs.Count);
        foreach (var k in core.Process.FreeBsd!.KinfoProcs)
        {
            Assert.Contains(core.Threads, t => t.Lwp == k.Lwp && ReferenceEquals(t.FreeBsd!.Kinfo, k));
            Assert.Equal(int.Parse(lines["Process group"], CultureInfo.InvariantCulture), k.ProcessGroup);
            Assert.Equal(int.Parse(lines["Session id"], CultureInfo.InvariantCulture), k.SessionId);
            Assert.Equal(int.Parse(lines["TTY owner process group"], CultureInfo.InvariantCulture), k.TtyProcessGroup);
            var uids = Numbers(lines["User IDs (real, effective, saved)"]);
            Assert.Equal(uids, new long[] { k.RealUid, k.Uid, k.SavedUid });
            var gids = Numbers(lines["Group IDs (real, effective, saved)"]);
            Assert.Equal(gids, new long[] { k.RealGid, k.Groups[0], k.SavedGid }); // the effective gid is ki_groups[0]
            Assert.Equal(Numbers(lines["Groups"]), k.Groups.Take(k.GroupCount).Select(g => (long)g));
            Assert.Equal(lines["Ignored Signals"], k.IgnoredSignals.ToString());
            Assert.Equal(lines["Caught Signals"], k.CaughtSignals.ToString());
            Assert.Equal(lines["Start time"], k.Start.ToString());
            Assert.Equal(Numbers(lines["Virtual memory size"])[0], (long)k.VirtualSize / 1024);
            Assert.Equal(Numbers(lines["Data size"])[0], (long)k.DataPages);
            Assert.Equal(Numbers(lines["Stack size"])[0], (long)k.StackPages);
            Assert.Equal(Numbers(lines["Text size"])[0], (long)k.TextPages);
            Assert.Equal(Numbers(lines["Resident set size"])[0], (long)k.ResidentPages);
            Assert.Equal(Numbers(lines["'nice' value"])[0], k.Nice);
            // ki_tdev: 64-bit at 560 on 12+, the 32-bit ki_tdev_freebsd11 at 100 before (spec §4).
            ulong tty = k.TtyDevice is not 0 and not ulong.MaxValue ? k.TtyDevice : k.TtyDevice32;
            Assert.Equal(Numbers(lines["TTY"])[0], (long)tty);
        }

        // struct rusage (spec §4): utime @0, stime @16 (timevals), maxrss @32, minflt @64, majflt @72.
        var first = core.Process.FreeBsd!.KinfoProcs[0];
        Assert.Equal(Numbers(lines["Minor faults (no memory page)"])[0], Long(first.Rusage, 64));
        Assert.Equal(Numbers(lines["Major faults (memory page faults)"])[0], Long(first.Rusage, 72));
        Assert.Equal(Numbers(lines["Minor faults, children"])[0], Long(first.ChildRusage, 64));
        Assert.Equal(Numbers(lines["Major faults, children"])[0], Long(first.ChildRusage, 72));
        Assert.Equal(Numbers(lines["Maximum RSS"])[0], Long(first.Rusage, 32));
        Assert.Equal(lines["utime"], $"{Long(first.Rusage, 0)}.{Long(first.Rusage, 8):D6}");
        Assert.Equal(lines["stime"], $"{Long(first.Rusage, 16)}.{Long(first.Rusage, 24):D6}");
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void OpenFilesMatchGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var files = core.Process.OpenFiles.Select(f => Assert.IsType<KinfoFile>(f.FreeBsd)).ToList();
        Assert.NotEmpty(gdb.Files);
        Assert.Equal(gdb.Files.Count, files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            var (want, f) = (gdb.Files[i], files[i]);
            string where = $"file {i} ({want.Fd} {want.Name})";
            Assert.True(want.Fd == core.Process.OpenFiles[i].DescriptorName, $"{where}: fd {core.Process.OpenFiles[i].DescriptorName}");
            // gdb's type words (fbsd_file_type): a vnode by its vnode type, else the KF_TYPE_*.
            var (type, vtype) = want.Type switch
            {
                "file" => (1, 1), "dir" => (1, 2), "chr" => (1, 4), "link" => (1, 5),
                "socket" => (f.Type == 1 ? 1 : 2, f.Type == 1 ? 6 : -1), "fifo" => (f.Type == 1 ? 1 : 4, f.Type == 1 ? 7 : -1),
                "pipe" => (3, -1), "kqueue" => (5, -1), "shm" => (8, -1), "pts" => (10, -1), "proc" => (11, -1),
                _ => throw new Xunit.Sdk.XunitException($"{where}: unknown gdb file type {want.Type}"),
            };
            Assert.True(type == f.Type, $"{where}: kf_type {f.Type}, gdb says {want.Type}");
            if (vtype >= 0) Assert.True(vtype == f.VnodeType, $"{where}: kf_vnode_type {f.VnodeType}, gdb says {want.Type}");
            Assert.Equal(want.Offset == "-" ? -1 : (long)Hex.Parse(want.Offset), f.Offset);
            Assert.Equal(want.Offset == "-" ? null : (long)Hex.Parse(want.Offset), core.Process.OpenFiles[i].Position);
            // gdb's flag letters (fbsd_file_flags): r w x a s f n d l.
            int[] bits = [0x1, 0x2, 0x4000, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80];
            for (int b = 0; b < bits.Length; b++)
                Assert.True((want.Flags[b] != '-') == ((f.Flags & bits[b]) != 0), $"{where}: flags 0x{f.Flags:x}, gdb shows {want.Flags}");
            Assert.Equal(want.Name, f.Path);
        }
        Assert.Equal(gdb.Files.Single(f => f.Fd == "cwd").Name, core.Process.WorkingDirectory);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void MappingsMatchGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var maps = core.Process.Mappings;
        Assert.NotEmpty(gdb.Mappings);
        Assert.Equal(gdb.Mappings.Count, maps.Count);
        for (int i = 0; i < maps.Count; i++)
        {
            var (want, m) = (gdb.Mappings[i], maps[i]);
            string where = $"mapping {i} at 0x{want.Start:x}";
            Assert.True(want.Start == m.Start && want.End == m.End, $"{where}: reader has [0x{m.Start:x}, 0x{m.End:x})");
            Assert.Equal(want.Size, m.Size);
            Assert.True(want.Offset == m.FileOffset, $"{where}: offset 0x{m.FileOffset:x}, gdb 0x{want.Offset:x}");
            // Protection from KVME_PROT_* (1 r, 2 w, 4 x) and gdb's C N S U/D from KVME_FLAG_* (spec §6).
            Assert.Equal(want.Protection[0] == 'r', m.CanRead);
            Assert.Equal(want.Protection[1] == 'w', m.CanWrite);
            Assert.Equal(want.Protection[2] == 'x', m.CanExecute);
            int flags = Assert.IsType<KinfoVmEntry>(m.FreeBsd).Flags;
            Assert.Equal(want.Protection, m.ProtectionText);
            Assert.Equal(want.Flags[0] == 'C', (flags & 0x1) != 0);
            Assert.Equal(want.Flags[1] == 'N', (flags & 0x2) != 0);
            Assert.Equal(want.Flags[2] == 'S', (flags & 0x8) != 0);
            Assert.Equal(want.Flags[3] == 'D', (flags & 0x20) != 0);
            Assert.Equal(want.Flags[3] == 'U', (flags & 0x10) != 0);
            Assert.Equal(want.File, m.Path);
        }
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void AuxvMatchesGdb(string coreName)
    {
        var gdb = GdbReference.Load(Corpus.Reference(Stem(coreName) + ".gdb.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var auxv = core.Process.Auxv;
        Assert.NotEmpty(gdb.Auxv);
        Assert.Equal(gdb.Auxv.Count, auxv.Count);
        for (int i = 0; i < auxv.Count; i++)
        {
            Assert.Equal(gdb.Auxv[i].Type, auxv[i].Type);
            Assert.Equal(gdb.Auxv[i].Name, FreeBsdAuxvCatalogue.Instance.Describe(auxv[i].Type).Name);
            Assert.Equal(gdb.Auxv[i].Value, auxv[i].Value);
        }
        // gdb dereferences AT_EXECPATH; the reader's memory must give the same string, or none.
        var execPath = gdb.Auxv.Single(a => a.Name == "AT_EXECPATH");
        var s = core.Memory.ReadCString(execPath.Value);
        if (execPath.Text is { } text)
        {
            Assert.Equal(CoreStringStatus.Complete, s.Status);
            Assert.Equal(text, s.Text);
        }
        else
        {
            Assert.Equal(CoreStringStatus.Unavailable, s.Status);
            Assert.Equal(Unavailability.PastEndOfFile, core.Memory.Check(execPath.Value));
        }
        int? osreldate = gdb.Auxv.Where(a => a.Name == "AT_OSRELDATE").Select(a => (int?)a.Value).FirstOrDefault();
        Assert.Equal(osreldate, core.Process.FreeBsd!.OsRelDate);
        Assert.Equal("AT_OSRELDATE", core.Process.FreeBsd!.OsRelDateSource);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void ThreadsAndAllRegistersMatchLldbReference(string coreName)
    {
        var lldb = LldbReference.Parse(File.ReadAllLines(Corpus.Reference(Stem(coreName) + ".lldb.txt")));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        CompareWithLldb(core, lldb);
    }

    internal static void CompareWithLldb(CoreFile core, LldbReference lldb)
    {
        Assert.Equal(lldb.Threads.Count, core.Threads.Count);
        foreach (var t in lldb.Threads)
        {
            var thread = core.Threads[t.Index - 1];
            Assert.Equal(t.Index, thread.Index);
            Assert.Equal(t.Tid, thread.Lwp);
            Assert.Equal(t.Pc, thread.Registers.Rip);
            Assert.Equal(t.Name, thread.Name);
            if (t.StopReason.StartsWith("signal ", StringComparison.Ordinal))
                Assert.Equal(ReadmeFactsTests.SignalNumber(t.StopReason[7..]), thread.FreeBsd!.Status.CurrentSignal);
            Assert.True(lldb.Registers.TryGetValue(t.Index, out var regs), $"LLDB printed no registers for thread #{t.Index}");
            int compared = LldbRegisterCheck.Compare(thread, regs!);
            // 24 general + 52 sub-registers + 12 x87/SSE control + 8 st + 8 mm + 16 xmm
            Assert.True(compared >= 24 + 52 + 12 + 8 + 8 + 16, $"only {compared} registers compared for thread #{t.Index}");
        }
        // LLDB's process id is pr_pid of NT_PRPSINFO (0 when the kernel left it out).
        if (lldb.ProcessId is { } pid)
            Assert.Equal(pid, core.Process.PidSource == "NT_PRPSINFO" ? core.Process.Pid : 0);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void HeaderSegmentsAndNotesMatchReadelf(string coreName)
    {
        var readelf = ReadelfReference.Load(Corpus.Reference(Stem(coreName) + ".readelf-notes.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var elf = core.Elf;

        Assert.StartsWith("CORE", readelf.Header["Type"]);
        Assert.Equal(ElfConstants.ET_CORE, elf.Header.Type);
        Assert.Equal("UNIX - FreeBSD", readelf.Header["OS/ABI"]);
        Assert.Equal(ElfConstants.ELFOSABI_FREEBSD, elf.Header.OsAbi);
        Assert.Equal(int.Parse(readelf.Header["Number of program headers"], CultureInfo.InvariantCulture), elf.Header.ProgramHeaderCount);
        Assert.Equal(readelf.Header["Start of program headers"], $"{elf.Header.ProgramHeaderOffset} (bytes into file)");

        Assert.Equal(readelf.Segments.Count, elf.ProgramHeaders.Count);
        for (int i = 0; i < readelf.Segments.Count; i++)
        {
            var (want, ph) = (readelf.Segments[i], elf.ProgramHeaders[i]);
            Assert.Equal(want.Type switch { "LOAD" => 1u, "NOTE" => 4u, _ => uint.MaxValue }, ph.Type);
            Assert.Equal(want.Offset, ph.Offset);
            Assert.Equal(want.VirtualAddress, ph.VirtualAddress);
            Assert.Equal(want.PhysicalAddress, ph.PhysicalAddress);
            Assert.Equal(want.FileSize, ph.FileSize);
            Assert.Equal(want.MemorySize, ph.MemorySize);
            Assert.Equal(want.Alignment, ph.Alignment);
            Assert.Equal(want.Flags.Contains('R'), ph.Readable);
            Assert.Equal(want.Flags.Contains('W'), ph.Writable);
            Assert.Equal(want.Flags.Contains('E'), ph.Executable);
        }
        Assert.Equal(readelf.Segments.Count(s => s.Type == "LOAD"), core.Memory.Segments.Count);

        var (segmentOffset, segmentLength) = Assert.Single(readelf.NoteSegments);
        Assert.Equal(readelf.Notes.Count, elf.Notes.Count);
        long at = segmentOffset;
        for (int i = 0; i < elf.Notes.Count; i++)
        {
            var (want, note) = (readelf.Notes[i], elf.Notes[i]);
            Assert.Equal(want.Owner, note.Name);
            Assert.Equal(want.Size, note.Descriptor.Length);
            if (want.TypeName.StartsWith("NT_", StringComparison.Ordinal)) Assert.Equal(want.TypeName, NoteType.Name(note.Type));
            Assert.Equal(want.Descriptor, note.Descriptor.ToArray());
            // Spec §2.1: 12-byte header, name padded to 4, descriptor padded to 4.
            Assert.Equal(at, note.FileOffset);
            Assert.Equal(at + 12 + Align4(want.Owner.Length + 1), note.DescriptorFileOffset);
            at = note.DescriptorFileOffset + Align4(want.Size);
        }
        Assert.Equal(segmentOffset + segmentLength, at);
        Assert.DoesNotContain(core.Warnings, w => w.Contains("note", StringComparison.OrdinalIgnoreCase));
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void NoteOrderIsPrpsinfoThenThreadGroupsThenProcstat(string coreName)
    {
        // README: "PRPSINFO comes first; then, per thread, PRSTATUS, FPREGSET, THRMISC, [PTLWPINFO],
        // [X86_XSTATE]; then the PROCSTAT notes" — the order readelf lists them in.
        var readelf = ReadelfReference.Load(Corpus.Reference(Stem(coreName) + ".readelf-notes.txt"));
        using var core = CoreFile.Open(Corpus.Core(coreName));
        var names = readelf.Notes.Select(n => n.TypeName).ToList();
        Assert.Equal("NT_PRPSINFO", names[0]);
        int statusAt = names.IndexOf("NT_PRSTATUS"), procAt = names.IndexOf("NT_PROCSTAT_PROC");
        Assert.True(statusAt == 1 && procAt > statusAt);
        var perThread = names[statusAt..procAt];
        Assert.Equal(core.Threads.Count, perThread.Count(n => n == "NT_PRSTATUS"));
        Assert.All(perThread, n => Assert.Contains(n, (string[])["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_PTLWPINFO", "NT_X86_XSTATE"]));
        Assert.All(names[procAt..], n => Assert.StartsWith("NT_PROCSTAT_", n));
        Assert.Equal(names[procAt..], core.Process.NotesPresent.Skip(1));

        // Each thread's per-thread notes are the ones between its NT_PRSTATUS and the next.
        var groups = new List<List<string>>();
        foreach (var n in perThread) { if (n == "NT_PRSTATUS") groups.Add([]); groups[^1].Add(n); }
        for (int i = 0; i < groups.Count; i++)
        {
            var t = core.Threads[i];
            Assert.Equal(groups[i].Contains("NT_FPREGSET"), t.FpState is not null);
            Assert.Equal(groups[i].Contains("NT_PTLWPINFO"), t.FreeBsd!.LwpInfo is not null);
            Assert.Equal(groups[i].Contains("NT_X86_XSTATE"), t.XState is not null);
            Assert.Equal(groups[i].Contains("NT_THRMISC") ? "NT_THRMISC" : null, t.NameSource);
            if (t.FreeBsd!.LwpInfo is { } l) Assert.Equal(t.Lwp, l.Lwp);
        }
    }

    private static long Align4(long n) => (n + 3) & ~3L;

    private static long Long(byte[] b, int offset) => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(offset));

    private static long[] Numbers(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(t => long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
}
