using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Writer;

/// <summary>Note names, types, sizes and order as binutils readelf sees them, against spec §2.2, §2.3 and §3.9.</summary>
public class NoteOrderTests
{
    private static readonly string[] ProcstatNotes =
    [
        "NT_PROCSTAT_PROC", "NT_PROCSTAT_FILES", "NT_PROCSTAT_VMMAP", "NT_PROCSTAT_GROUPS", "NT_PROCSTAT_UMASK",
        "NT_PROCSTAT_RLIMIT", "NT_PROCSTAT_OSREL", "NT_PROCSTAT_PSSTRINGS", "NT_PROCSTAT_AUXV",
    ];

    public static TheoryData<CoreProducer, int, string[]> PerThreadOrders => new()
    {
        // spec §2.3, gcore 10.x and 11.1+
        { CoreProducer.Gcore, 1004000, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_X86_XSTATE"] },
        { CoreProducer.Gcore, 1101000, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_PTLWPINFO", "NT_X86_XSTATE"] },
        { CoreProducer.Gcore, 1400097, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_PTLWPINFO", "NT_X86_XSTATE"] },
        // kernel 10.x / 11.0 (the 11.0 corpus cores have no PTLWPINFO) / 11.1+
        { CoreProducer.Kernel, 1004000, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_X86_XSTATE"] },
        { CoreProducer.Kernel, 1100122, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_X86_XSTATE"] },
        { CoreProducer.Kernel, 1300130, ["NT_PRSTATUS", "NT_FPREGSET", "NT_THRMISC", "NT_PTLWPINFO", "NT_X86_XSTATE"] },
        // gdb: no THRMISC, no PTLWPINFO; XSTATE and SEGBASES
        { CoreProducer.Gdb, 1400097, ["NT_PRSTATUS", "NT_FPREGSET", "NT_X86_XSTATE", "NT_X86_SEGBASES"] },
    };

    [ReadelfTheory]
    [MemberData(nameof(PerThreadOrders))]
    public void NoteOrderFollowsTheProducer(CoreProducer producer, int osRelDate, string[] perThread)
    {
        using var core = new WrittenCore(Scenarios.TwoThreads(producer, osRelDate));

        var expected = new List<string> { "NT_PRPSINFO" };
        expected.AddRange(perThread);
        expected.AddRange(perThread);
        if (producer == CoreProducer.Gdb)
            expected.AddRange(["NT_PROCSTAT_AUXV", "NT_PROCSTAT_VMMAP", "NT_PROCSTAT_PSSTRINGS", "NT_GDB_TDESC"]);
        else
            expected.AddRange(ProcstatNotes);

        Assert.Equal(expected, core.Notes.Select(n => n.TypeName));
    }

    [ReadelfTheory]
    [MemberData(nameof(PerThreadOrders))]
    public void FixedDescriptorSizesMatchSpec(CoreProducer producer, int osRelDate, string[] perThread)
    {
        _ = perThread;
        using var core = new WrittenCore(Scenarios.TwoThreads(producer, osRelDate));
        var fixedSizes = new Dictionary<string, int>
        {
            // spec §3.9
            ["NT_PRSTATUS"] = 224, ["NT_FPREGSET"] = 512, ["NT_PRPSINFO"] = 120, ["NT_THRMISC"] = 24,
            ["NT_PTLWPINFO"] = 164, ["NT_PROCSTAT_UMASK"] = 6, ["NT_PROCSTAT_OSREL"] = 8,
            ["NT_PROCSTAT_PSSTRINGS"] = 12, ["NT_X86_SEGBASES"] = 16,
            // spec §3.8: the XSAVE area of an AVX CPU
            ["NT_X86_XSTATE"] = 832,
            // one kinfo_proc per thread (spec §4.1)
            ["NT_PROCSTAT_PROC"] = 4 + 1088 * 2,
            // 4 + 16·RLIM_NLIMITS: 14 limits before 11.0, 15 after
            ["NT_PROCSTAT_RLIMIT"] = 4 + 16 * (osRelDate >= 1100000 ? 15 : 14),
            ["NT_PROCSTAT_GROUPS"] = 4 + 4 * 1,
            ["NT_PROCSTAT_AUXV"] = 4 + 16 * CoreSpec.DefaultAuxv.Count,
        };
        foreach (var note in core.Notes)
            if (fixedSizes.TryGetValue(note.TypeName, out int size))
                Assert.True(size == note.DataSize, $"{note.TypeName}: readelf says 0x{note.DataSize:x}, spec says 0x{size:x}");

        // Packed kinfo_file / kinfo_vmentry: roundup8(offsetof(path) + strlen + 1) each, after a 4-byte prefix (spec §5, §6).
        static int Packed(int pathOffset, string path) => (pathOffset + path.Length + 1 + 7) / 8 * 8;
        var spec = core.Spec;
        int vmmap = 4 + spec.Mappings.Sum(m => Packed(136, m.Path));
        Assert.Equal(vmmap, core.Single("NT_PROCSTAT_VMMAP").DataSize);
        if (producer != CoreProducer.Gdb)
        {
            int files = 4 + spec.OpenFiles.Sum(f => Packed(368, f.Path));
            Assert.Equal(files, core.Single("NT_PROCSTAT_FILES").DataSize);
        }
    }

    [ReadelfFact]
    public void NoteOwnersAreFreeBsdExceptGdbGenericNotes()
    {
        using var gcore = new WrittenCore(Scenarios.TwoThreads(CoreProducer.Gcore, 1400097));
        Assert.All(gcore.Notes, n => Assert.Equal("FreeBSD", n.Owner));

        using var gdb = new WrittenCore(Scenarios.TwoThreads(CoreProducer.Gdb, 1400097));
        foreach (var n in gdb.Notes)
        {
            string expected = n.TypeName switch
            {
                "NT_PRPSINFO" or "NT_PRSTATUS" or "NT_FPREGSET" => "CORE", // BFD's generic writers (spec doubt #2)
                "NT_GDB_TDESC" => "GDB",
                _ => "FreeBSD",
            };
            Assert.True(expected == n.Owner, $"{n}: owner should be {expected}");
        }
    }

    [ReadelfFact]
    public void KernelWritesTheSignalledThreadFirstAndKinfoInThreadOrder()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Kernel, 1400097) with
        {
            Threads = [Scenarios.Thread(100720, "main", 1), Scenarios.Thread(100744, "w1", 2), Scenarios.Thread(100745, "w2", 3)],
            SignalledLwp = 100744,
            CurSig = 11,
        };
        using var core = new WrittenCore(spec);

        // pr_pid (the LWP) at 40 and pr_cursig at 36 of each NT_PRSTATUS (spec §3.1)
        var prstatus = core.NotesOfType("NT_PRSTATUS");
        Assert.Equal([100744, 100720, 100745], prstatus.Select(n => n.I32(40)));
        Assert.All(prstatus, n => Assert.Equal(11, n.I32(36)));

        // kinfo_proc records stay in p_threads order: ki_tid at 600 of each 1088-byte record after the 4-byte prefix.
        var proc = core.Single("NT_PROCSTAT_PROC");
        Assert.Equal(1088, proc.I32(0));
        Assert.Equal([100720, 100744, 100745], Enumerable.Range(0, 3).Select(i => proc.I32(4 + 1088 * i + 600)));
    }

    [ReadelfFact]
    public void GcoreKeepsThreadOrderAndWritesNoSignal()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Gcore, 1400097) with { SignalledLwp = 100101 };
        using var core = new WrittenCore(spec);
        var prstatus = core.NotesOfType("NT_PRSTATUS");
        Assert.Equal([100100, 100101], prstatus.Select(n => n.I32(40)));
        Assert.All(prstatus, n => Assert.Equal(0, n.I32(36)));
    }

    [ReadelfFact]
    public void WithoutXsaveGcoreWritesAnEmptyXstateNoteAndTheKernelNone()
    {
        var noXsave = Scenarios.TwoThreads(CoreProducer.Gcore, 1400097);
        noXsave = noXsave with { Threads = noXsave.Threads.Select(t => t with { XSave = null }).ToArray() };

        using var gcore = new WrittenCore(noXsave);
        var xstate = gcore.NotesOfType("NT_X86_XSTATE");
        Assert.Equal(2, xstate.Count);
        Assert.All(xstate, n => Assert.Equal(0, n.DataSize));

        using var kernel = new WrittenCore(noXsave with { Producer = CoreProducer.Kernel });
        Assert.Empty(kernel.NotesOfType("NT_X86_XSTATE"));
        // the notes after an empty descriptor are still found where readelf expects them
        Assert.Equal(ProcstatNotes, gcore.Notes.Skip(1 + 2 * 5).Select(n => n.TypeName));
    }

    [ReadelfFact]
    public void KernelCanWriteSegmentBases()
    {
        var spec = Scenarios.TwoThreads(CoreProducer.Kernel, 1400097) with { WriteSegBases = true };
        using var core = new WrittenCore(spec);
        var segbases = core.NotesOfType("NT_X86_SEGBASES");
        Assert.Equal(2, segbases.Count);
        // r_fsbase at 0 (spec §3.7)
        Assert.Equal(spec.Threads.Select(t => t.FsBase), segbases.Select(n => n.U64(0)));
    }

    [Fact]
    public void ImpossibleProducerChoicesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => CoreWriter.WriteNotes(new CoreSpec { Producer = CoreProducer.Gcore, WriteSegBases = true }));
        Assert.Throws<ArgumentException>(() => CoreWriter.WriteNotes(new CoreSpec { Producer = CoreProducer.Gdb, WritePtLwpInfo = true }));
        Assert.Throws<ArgumentException>(() => CoreWriter.WriteNotes(new CoreSpec { Threads = [new ThreadSpec { Lwp = 5 }, new ThreadSpec { Lwp = 5 }] }));
    }

    [ReadelfFact]
    public void ArbitraryRawNotesAreAlignedToFourBytes()
    {
        // Odd name and descriptor lengths: readelf only finds every note if each is padded to 4 (spec §2.1).
        NoteSpec[] notes =
        [
            new("FreeBSD", 12, [0x12, 0, 0, 0, 0x22, 0]),  // a UMASK-like 6-byte descriptor
            new("GDB", 0xff000000, "<x/>\0"u8.ToArray()),
            new("FreeBSD", 0x202, []),
            new("FreeBSD", 14, [4, 0, 0, 0, 0xa8, 0xd6, 0x13, 0x00]),
        ];
        var spec = new CoreSpec();
        using var core = new WrittenCore(spec, notes);
        Assert.Equal(["FreeBSD", "GDB", "FreeBSD", "FreeBSD"], core.Notes.Select(n => n.Owner));
        Assert.Equal(["NT_PROCSTAT_UMASK", "NT_GDB_TDESC", "NT_X86_XSTATE", "NT_PROCSTAT_OSREL"], core.Notes.Select(n => n.TypeName));
        Assert.Equal([6, 5, 0, 8], core.Notes.Select(n => n.DataSize));
        Assert.Equal(1300136, core.Notes[3].I32(4));

        // The raw bytes: 12-byte header, "FreeBSD\0" (namesz 8), descriptor padded to 8.
        var segment = CoreNotes.Encode(notes);
        Assert.Equal(12 + 8 + 8 + (12 + 4 + 8) + (12 + 8) + (12 + 8 + 8), segment.Length);
        Assert.Equal(8u, BitConverter.ToUInt32(segment, 0));
        Assert.Equal(6u, BitConverter.ToUInt32(segment, 4));
        Assert.Equal(4u, BitConverter.ToUInt32(segment, 28)); // "GDB\0"
    }
}
