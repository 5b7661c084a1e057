using System.Text;

namespace CoreSleuth.Testing.Cores;

/// <summary>
/// Builds the note list of a core in the order each producer writes it (spec §2.3) and
/// encodes note lists into a PT_NOTE segment (spec §2.1).
/// </summary>
public static class CoreNotes
{
    /// <summary>All notes of the core, in producer order.</summary>
    public static IReadOnlyList<NoteSpec> Build(CoreSpec spec)
    {
        Validate(spec);
        var notes = new List<NoteSpec>();
        string generic = spec.Producer == CoreProducer.Gdb ? spec.Gdb.GenericNoteName : NoteSpec.FreeBsd;

        notes.Add(new NoteSpec(generic, NoteType.PrPsInfo, FreeBsdStructs.PrPsInfo(spec)));

        var perThread = ThreadNoteTypes(spec);
        foreach (var thread in ThreadsInNoteOrder(spec))
        {
            notes.Add(new NoteSpec(generic, NoteType.PrStatus, FreeBsdStructs.PrStatus(spec, thread)));
            foreach (var type in perThread)
            {
                var note = ThreadNote(spec, thread, type, generic);
                if (note is not null) notes.Add(note);
            }
        }

        if (spec.Producer == CoreProducer.Gdb)
        {
            // gdb (fbsd_make_corefile_notes): AUXV, VMMAP, PSSTRINGS, then the target description.
            notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatAuxv, Auxv(spec)));
            notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatVmmap, Vmmap(spec)));
            notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatPsStrings, PsStrings(spec)));
            if (spec.Gdb.WriteTargetDescription)
            {
                var xml = Encoding.UTF8.GetBytes(spec.Gdb.TargetDescriptionXml + "\0");
                notes.Add(new NoteSpec("GDB", NoteType.GdbTargetDescription, xml));
            }
            return notes;
        }

        // gcore and kernel: the nine PROCSTAT notes (spec §2.3).
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatProc, Proc(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatFiles, Files(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatVmmap, Vmmap(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatGroups, Groups(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatUmask, Umask(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatRlimit, Rlimits(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatOsRel, OsRel(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatPsStrings, PsStrings(spec)));
        notes.Add(NoteSpec.FreeBsdNote(NoteType.ProcstatAuxv, Auxv(spec)));
        return notes;
    }

    /// <summary>
    /// The PT_NOTE segment: per note a 12-byte header, the name with its NUL padded to 4, the
    /// descriptor padded to 4 (spec §2.1; zero padding as every producer writes it).
    /// </summary>
    public static byte[] Encode(IEnumerable<NoteSpec> notes)
    {
        using var ms = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        foreach (var note in notes)
        {
            var name = Encoding.UTF8.GetBytes(note.Name + "\0");
            Le.U32(header, 0, (uint)name.Length);
            Le.U32(header, 4, (uint)note.Descriptor.Length);
            Le.U32(header, 8, note.Type);
            ms.Write(header);
            ms.Write(name);
            ms.Write(new byte[Pad4(name.Length)]);
            ms.Write(note.Descriptor);
            ms.Write(new byte[Pad4(note.Descriptor.Length)]);
        }
        return ms.ToArray();
    }

    /// <summary>The LWP whose notes are written first by the kernel and gdb.</summary>
    public static int SignalledLwp(CoreSpec spec)
    {
        if (spec.SignalledLwp is int lwp) return lwp;
        foreach (var t in spec.Threads)
            if (t.Signalled) return t.Lwp;
        return spec.Threads.Count > 0 ? spec.Threads[0].Lwp : 0;
    }

    /// <summary>
    /// Threads in the order of their register notes: gcore keeps p_threads order (PT_GETLWPLIST);
    /// the kernel and gdb put the signalled thread first, then the others in p_threads order (spec §2.3).
    /// </summary>
    public static IReadOnlyList<ThreadSpec> ThreadsInNoteOrder(CoreSpec spec)
    {
        if (spec.Producer == CoreProducer.Gcore) return spec.Threads;
        int first = SignalledLwp(spec);
        var list = new List<ThreadSpec>(spec.Threads.Count);
        list.AddRange(spec.Threads.Where(t => t.Lwp == first));
        list.AddRange(spec.Threads.Where(t => t.Lwp != first));
        return list;
    }

    /// <summary>Per-thread note types written after each NT_PRSTATUS (spec §2.3).</summary>
    public static IReadOnlyList<uint> ThreadNoteTypes(CoreSpec spec)
    {
        if (spec.ThreadNoteOrder is { } order) return order;
        bool xstate = spec.WriteXState ?? true;
        var types = new List<uint> { NoteType.FpRegSet };
        switch (spec.Producer)
        {
            case CoreProducer.Gcore:
                types.Add(NoteType.ThrMisc);
                if (WritesPtLwpInfo(spec)) types.Add(NoteType.PtLwpInfo);
                if (xstate) types.Add(NoteType.X86XState);
                break;
            case CoreProducer.Kernel:
                types.Add(NoteType.ThrMisc);
                if (WritesPtLwpInfo(spec)) types.Add(NoteType.PtLwpInfo);
                // 14.x regset order is unconfirmed (spec doubt #1); segment bases go before the MD XSAVE note here.
                if (WritesSegBases(spec)) types.Add(NoteType.X86SegBases);
                if (xstate) types.Add(NoteType.X86XState);
                break;
            case CoreProducer.Gdb:
                if (xstate) types.Add(NoteType.X86XState);
                if (WritesSegBases(spec)) types.Add(NoteType.X86SegBases);
                break;
        }
        return types;
    }

    public static bool WritesPtLwpInfo(CoreSpec spec) =>
        spec.Producer != CoreProducer.Gdb && (spec.WritePtLwpInfo ?? spec.OsRelDate >= FreeBsdVersion.PtLwpInfo);

    public static bool WritesSegBases(CoreSpec spec) =>
        spec.WriteSegBases ?? spec.Producer == CoreProducer.Gdb;

    private static NoteSpec? ThreadNote(CoreSpec spec, ThreadSpec thread, uint type, string generic)
    {
        switch (type)
        {
            case NoteType.FpRegSet:
                return new NoteSpec(generic, type, thread.Fpu.ToBytes());
            case NoteType.ThrMisc:
                return NoteSpec.FreeBsdNote(type, FreeBsdStructs.ThrMisc(spec, thread));
            case NoteType.PtLwpInfo:
                return NoteSpec.FreeBsdNote(type, WithPrefix(thread.LwpInfo.StructSize, FreeBsdStructs.PtraceLwpInfo(spec, thread)));
            case NoteType.X86SegBases:
                return NoteSpec.FreeBsdNote(type, FreeBsdStructs.SegBases(thread));
            case NoteType.X86XState:
                if (thread.XSave is { } xsave)
                    return NoteSpec.FreeBsdNote(type, xsave.ToBytes(thread.Fpu));
                // gcore writes the note with an empty descriptor when there is no XSAVE support;
                // the kernel and gdb write nothing (spec §2.1, §3.8).
                return spec.Producer == CoreProducer.Gcore ? NoteSpec.FreeBsdNote(type, []) : null;
            default:
                throw new ArgumentException($"note type 0x{type:x} is not a per-thread note");
        }
    }

    private static void Validate(CoreSpec spec)
    {
        if (spec.Threads.Count == 0)
            throw new ArgumentException("a core needs at least one thread");
        var lwps = new HashSet<int>();
        foreach (var t in spec.Threads)
            if (!lwps.Add(t.Lwp))
                throw new ArgumentException($"LWP {t.Lwp} appears twice");
        if (spec.SignalledLwp is int s && !lwps.Contains(s))
            throw new ArgumentException($"SignalledLwp {s} is not one of the threads");
        if (spec.Producer == CoreProducer.Gcore && spec.WriteSegBases == true)
            throw new ArgumentException("gcore(1) never writes NT_X86_SEGBASES (spec §2.2)");
        if (spec.Producer == CoreProducer.Gdb && spec.WritePtLwpInfo == true)
            throw new ArgumentException("gdb writes no NT_PTLWPINFO (spec §2.3)");
        if (spec.FilesNotePadding < 0 || spec.VmmapNotePadding < 0)
            throw new ArgumentException("note padding cannot be negative");
    }

    // --- process-wide descriptors (spec §2.2): a 4-byte structsize prefix, then the data ---

    public static byte[] Proc(CoreSpec spec)
    {
        var records = spec.Threads.Select(t => FreeBsdStructs.KinfoProc(spec, t));
        return WithPrefix(StructSize.KinfoProc, records.SelectMany(r => r).ToArray());
    }

    public static byte[] Files(CoreSpec spec)
    {
        bool packed = spec.Producer != CoreProducer.Kernel || spec.PackFileInfo;
        var body = spec.OpenFiles.SelectMany(f => FreeBsdStructs.KinfoFile(spec, f, packed)).Concat(new byte[spec.FilesNotePadding]);
        return WithPrefix(StructSize.KinfoFile, body.ToArray());
    }

    public static byte[] Vmmap(CoreSpec spec)
    {
        bool packed = spec.Producer != CoreProducer.Kernel || spec.PackVmmapInfo;
        var body = CoreWriter.SortedMappings(spec).SelectMany(m => FreeBsdStructs.KinfoVmentry(spec, m, packed)).Concat(new byte[spec.VmmapNotePadding]);
        return WithPrefix(StructSize.KinfoVmentry, body.ToArray());
    }

    public static byte[] Groups(CoreSpec spec)
    {
        var b = new byte[4 * spec.Process.Groups.Count];
        for (int i = 0; i < spec.Process.Groups.Count; i++) Le.U32(b, 4 * i, spec.Process.Groups[i]);
        return WithPrefix(4, b);
    }

    public static byte[] Umask(CoreSpec spec)
    {
        var b = new byte[2];
        Le.U16(b, 0, spec.Umask);
        return WithPrefix(2, b);
    }

    public static byte[] Rlimits(CoreSpec spec)
    {
        var limits = spec.Rlimits ?? DefaultRlimits(spec.OsRelDate);
        var b = new byte[16 * limits.Count];
        for (int i = 0; i < limits.Count; i++)
        {
            Le.I64(b, 16 * i, limits[i].Current);
            Le.I64(b, 16 * i + 8, limits[i].Maximum);
        }
        return WithPrefix(b.Length, b); // prefix = sizeof(struct rlimit) * RLIM_NLIMITS
    }

    public static byte[] OsRel(CoreSpec spec)
    {
        var b = new byte[4];
        Le.I32(b, 0, spec.ProcOsRel ?? spec.OsRelDate);
        return WithPrefix(4, b);
    }

    public static byte[] PsStrings(CoreSpec spec)
    {
        var b = new byte[8];
        Le.U64(b, 0, spec.PsStrings);
        return WithPrefix(8, b);
    }

    public static byte[] Auxv(CoreSpec spec)
    {
        var b = new byte[16 * spec.Auxv.Count];
        for (int i = 0; i < spec.Auxv.Count; i++)
        {
            Le.I64(b, 16 * i, spec.Auxv[i].Type);
            Le.U64(b, 16 * i + 8, spec.Auxv[i].Value);
        }
        return WithPrefix(16, b);
    }

    /// <summary>RLIM_NLIMITS unlimited entries: 14 before 11.0, 15 from 11.0 (RLIMIT_UMTXP).</summary>
    public static IReadOnlyList<Rlimit> DefaultRlimits(int osRelDate) =>
        Enumerable.Repeat(Rlimit.Unlimited, osRelDate >= FreeBsdVersion.FifteenRlimits ? 15 : 14).ToArray();

    private static byte[] WithPrefix(int structSize, byte[] body)
    {
        var b = new byte[4 + body.Length];
        Le.I32(b, 0, structSize);
        body.CopyTo(b, 4);
        return b;
    }

    private static int Pad4(int n) => (4 - (n & 3)) & 3;
}
