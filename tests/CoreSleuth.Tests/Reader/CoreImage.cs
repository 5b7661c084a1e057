using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// Builds small ELF64 core images byte by byte from the spec's layouts (§1, §2, §3), with every
/// offset written out here rather than taken from the reader, so a wrong reader constant shows.
/// </summary>
internal sealed class CoreImage
{
    public byte Class { get; set; } = 2;
    public byte Data { get; set; } = 1;
    public byte OsAbi { get; set; } = 9;
    public ushort Type { get; set; } = 4;
    public ushort Machine { get; set; } = 62;

    /// <summary>Write e_phnum = PN_XNUM and the real count in sh_info of section header 0 (spec §1.1).</summary>
    public bool ExtendedNumbering { get; set; }

    /// <summary>Replaces e_phnum as written (the table still holds the real headers).</summary>
    public ushort? PhnumOverride { get; set; }

    public List<(string Name, uint Type, byte[] Descriptor)> Notes { get; } = [];
    public List<Segment> Loads { get; } = [];

    /// <summary>A PT_LOAD; <paramref name="FileSize"/>/<paramref name="MemorySize"/> default to the bytes' length.</summary>
    public sealed record Segment(ulong Address, byte[] Bytes, uint Flags = 6, ulong? MemorySize = null, ulong? FileSize = null, ulong? FileOffset = null);

    /// <summary>Where things were put by <see cref="Build"/>.</summary>
    public sealed record Layout(int NoteSegmentOffset, int NoteSegmentSize, List<int> NoteOffsets, List<int> DescriptorOffsets, List<int> LoadOffsets, int PhdrOffset, int PhdrCount);

    public CoreImage Note(uint type, byte[] descriptor, string name = "FreeBSD")
    {
        Notes.Add((name, type, descriptor));
        return this;
    }

    public CoreImage Load(Segment segment)
    {
        Loads.Add(segment);
        return this;
    }

    public byte[] Build() => Build(out _);

    public byte[] Build(out Layout layout)
    {
        int phnum = 1 + Loads.Count;
        int phoff = 64;
        int shoff = phoff + 56 * phnum;
        int notesAt = shoff + (ExtendedNumbering ? 64 : 0);

        var notes = new MemoryStream();
        var noteOffsets = new List<int>();
        var descOffsets = new List<int>();
        foreach (var (name, type, desc) in Notes)
        {
            noteOffsets.Add(notesAt + (int)notes.Length);
            var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
            WriteU32(notes, (uint)nameBytes.Length);
            WriteU32(notes, (uint)desc.Length);
            WriteU32(notes, type);
            notes.Write(nameBytes);
            Pad4(notes);
            descOffsets.Add(notesAt + (int)notes.Length);
            notes.Write(desc);
            Pad4(notes);
        }

        var file = new MemoryStream();
        var header = new byte[64];
        header[0] = 0x7F; header[1] = (byte)'E'; header[2] = (byte)'L'; header[3] = (byte)'F';
        header[4] = Class; header[5] = Data; header[6] = 1; header[7] = OsAbi;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(16), Type);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(18), Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(32), (ulong)phoff);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(40), ExtendedNumbering ? (ulong)shoff : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(52), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(56), PhnumOverride ?? (ExtendedNumbering ? (ushort)0xFFFF : (ushort)phnum));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(60), ExtendedNumbering ? (ushort)1 : (ushort)0);
        file.Write(header);

        int loadsAt = Align(notesAt + (int)notes.Length, 16);
        var loadOffsets = new List<int>();
        int cursor = loadsAt;
        foreach (var l in Loads) { loadOffsets.Add(cursor); cursor = Align(cursor + l.Bytes.Length, 16); }

        var ph = new byte[56];
        WritePhdr(ph, 4, 4, (ulong)notesAt, 0, (ulong)notes.Length, 0, 4);
        file.Write(ph);
        for (int i = 0; i < Loads.Count; i++)
        {
            var l = Loads[i];
            WritePhdr(ph, 1, l.Flags, l.FileOffset ?? (ulong)loadOffsets[i], l.Address, l.FileSize ?? (ulong)l.Bytes.Length, l.MemorySize ?? (ulong)l.Bytes.Length, 4096);
            file.Write(ph);
        }
        if (ExtendedNumbering)
        {
            var sh = new byte[64];
            BinaryPrimitives.WriteUInt64LittleEndian(sh.AsSpan(32), 1);              // sh_size = e_shnum
            BinaryPrimitives.WriteUInt32LittleEndian(sh.AsSpan(44), (uint)phnum);    // sh_info = real e_phnum
            file.Write(sh);
        }
        notes.Position = 0;
        notes.CopyTo(file);
        for (int i = 0; i < Loads.Count; i++)
        {
            file.Write(new byte[loadOffsets[i] - (int)file.Length]);
            file.Write(Loads[i].Bytes);
        }
        layout = new Layout(notesAt, (int)notes.Length, noteOffsets, descOffsets, loadOffsets, phoff, phnum);
        return file.ToArray();
    }

    private static void WritePhdr(byte[] p, uint type, uint flags, ulong offset, ulong vaddr, ulong filesz, ulong memsz, ulong align)
    {
        Array.Clear(p);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(0), type);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), offset);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(16), vaddr);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(32), filesz);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(40), memsz);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(48), align);
    }

    private static void WriteU32(Stream s, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b); }

    private static void Pad4(Stream s) { while (s.Length % 4 != 0) s.WriteByte(0); }

    private static int Align(int v, int a) => (v + a - 1) / a * a;

    // ---- Descriptors (spec §3, §4, §5, §6) ----

    /// <summary>prstatus_t (224 bytes, spec §3.1) with struct reg at 48 (spec §3.2). Registers by gdb name.</summary>
    public static byte[] PrStatus(int lwp, int cursig = 0, int osreldate = 1400097, IReadOnlyDictionary<string, ulong>? registers = null)
    {
        var d = new byte[224];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(8), 224);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(16), 176);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(24), 512);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(32), osreldate);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(36), cursig);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(40), lwp);
        var offsets = new Dictionary<string, (int Offset, int Size)>
        {
            ["r15"] = (0, 8), ["r14"] = (8, 8), ["r13"] = (16, 8), ["r12"] = (24, 8), ["r11"] = (32, 8), ["r10"] = (40, 8),
            ["r9"] = (48, 8), ["r8"] = (56, 8), ["rdi"] = (64, 8), ["rsi"] = (72, 8), ["rbp"] = (80, 8), ["rbx"] = (88, 8),
            ["rdx"] = (96, 8), ["rcx"] = (104, 8), ["rax"] = (112, 8), ["trapno"] = (120, 4), ["fs"] = (124, 2), ["gs"] = (126, 2),
            ["err"] = (128, 4), ["es"] = (132, 2), ["ds"] = (134, 2), ["rip"] = (136, 8), ["cs"] = (144, 8), ["rflags"] = (152, 8),
            ["rsp"] = (160, 8), ["ss"] = (168, 8),
        };
        foreach (var (name, value) in registers ?? new Dictionary<string, ulong>())
        {
            var (o, size) = offsets[name];
            var field = d.AsSpan(48 + o, size);
            for (int i = 0; i < size; i++) field[i] = (byte)(value >> (8 * i));
        }
        return d;
    }

    /// <summary>struct fpreg (512 bytes, spec §3.3): xmmN at 160 + 16N.</summary>
    public static byte[] FpRegs(Func<int, byte[]>? xmm = null)
    {
        var d = new byte[512];
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(0), 0x37F);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(24), 0x1F80);
        if (xmm is not null) for (int i = 0; i < 16; i++) xmm(i).CopyTo(d.AsSpan(160 + 16 * i));
        return d;
    }

    /// <summary>thrmisc_t (24 bytes, spec §3.5).</summary>
    public static byte[] ThrMisc(string name)
    {
        var d = new byte[24];
        Encoding.ASCII.GetBytes(name).AsSpan(0, Math.Min(name.Length, 19)).CopyTo(d);
        return d;
    }

    /// <summary>prpsinfo_t (120 bytes, spec §3.4).</summary>
    public static byte[] PrPsInfo(string fname, string psargs, int pid)
    {
        var d = new byte[120];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(8), 120);
        Encoding.ASCII.GetBytes(fname).AsSpan(0, Math.Min(fname.Length, 16)).CopyTo(d.AsSpan(16));
        Encoding.ASCII.GetBytes(psargs).AsSpan(0, Math.Min(psargs.Length, 80)).CopyTo(d.AsSpan(33));
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(116), pid);
        return d;
    }

    /// <summary>NT_PTLWPINFO: int32 structsize + struct ptrace_lwpinfo of that size (spec §3.6).</summary>
    public static byte[] LwpInfo(int lwp, string name, int structSize = 160, int? declaredSize = null, int @event = 0, int flags = 0, int signo = 0)
    {
        var d = new byte[4 + structSize];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), declaredSize ?? structSize);
        var s = d.AsSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(s[0..], lwp);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], @event);
        BinaryPrimitives.WriteInt32LittleEndian(s[8..], flags);
        BinaryPrimitives.WriteInt32LittleEndian(s[48..], signo);
        Encoding.ASCII.GetBytes(name).CopyTo(s[128..]);
        if (structSize >= 152) BinaryPrimitives.WriteInt32LittleEndian(s[148..], 4242);  // pl_child_pid
        if (structSize >= 160)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[152..], 499);                      // pl_syscall_code
            BinaryPrimitives.WriteInt32LittleEndian(s[156..], 4);                        // pl_syscall_narg
        }
        return d;
    }

    /// <summary>One kinfo_proc (1088 bytes, spec §4).</summary>
    public static byte[] KinfoProc(int pid, int tid, string tdname = "", string wmesg = "", string comm = "prog", string moretdname = "", int ppid = 1)
    {
        var d = new byte[1088];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), 1088);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(72), pid);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(76), ppid);
        Encoding.ASCII.GetBytes(tdname).AsSpan(0, Math.Min(tdname.Length, 16)).CopyTo(d.AsSpan(394));
        Encoding.ASCII.GetBytes(wmesg).CopyTo(d.AsSpan(411));
        Encoding.ASCII.GetBytes(comm).CopyTo(d.AsSpan(447));
        Encoding.ASCII.GetBytes(moretdname).CopyTo(d.AsSpan(502));
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(600), tid);
        return d;
    }

    /// <summary>NT_PROCSTAT_PROC: int32 1088, then the records.</summary>
    public static byte[] ProcstatProc(params byte[][] records) => Concat([BitConverter.GetBytes(1088), .. records]);

    /// <summary>A packed kinfo_file (spec §5): structsize = roundup8(368 + strlen(path) + 1).</summary>
    public static byte[] KinfoFile(int fd, int type, int vtype, string path, long offset = -1, int flags = 1, bool packed = true)
    {
        int size = packed ? (368 + path.Length + 1 + 7) / 8 * 8 : 1392;
        var d = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), size);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(4), type);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(8), fd);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(16), flags);
        BinaryPrimitives.WriteInt64LittleEndian(d.AsSpan(24), offset);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(32), vtype);
        Encoding.ASCII.GetBytes(path).CopyTo(d.AsSpan(368));
        return d;
    }

    /// <summary>A packed kinfo_vmentry (spec §6): structsize = roundup8(136 + strlen(path) + 1).</summary>
    public static byte[] KinfoVmEntry(ulong start, ulong end, int protection, string path = "", int type = 1, ulong offset = 0, int flags = 0)
    {
        int size = (136 + path.Length + 1 + 7) / 8 * 8;
        var d = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), size);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(4), type);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(8), start);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(16), end);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(24), offset);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(44), flags);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(56), protection);
        Encoding.ASCII.GetBytes(path).CopyTo(d.AsSpan(136));
        return d;
    }

    /// <summary>NT_PROCSTAT_AUXV: int32 16, then {int64 type; uint64 value} pairs.</summary>
    public static byte[] Auxv(params (long Type, ulong Value)[] entries)
    {
        var d = new byte[4 + 16 * entries.Length];
        BinaryPrimitives.WriteInt32LittleEndian(d, 16);
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(d.AsSpan(4 + 16 * i), entries[i].Type);
            BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(12 + 16 * i), entries[i].Value);
        }
        return d;
    }

    /// <summary>An int32 structsize prefix followed by <paramref name="payload"/> (NT_PROCSTAT_* layout, spec §2.2).</summary>
    public static byte[] Prefixed(int structSize, params byte[][] payload) => Concat([BitConverter.GetBytes(structSize), .. payload]);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] U64(ulong v) => BitConverter.GetBytes(v);

    /// <summary>A small complete kernel-style core: 2 threads, process notes, two PT_LOADs (one holding ps_strings and argv).</summary>
    public static CoreImage Sample()
    {
        const ulong stack = 0x7fff_ffff_0000;
        // ps_strings at stack+0x100: argv pointer, argc; argv array at +0x40; strings at +0x80.
        var mem = new byte[0x200];
        BinaryPrimitives.WriteUInt64LittleEndian(mem.AsSpan(0x100), stack + 0x40);
        BinaryPrimitives.WriteUInt32LittleEndian(mem.AsSpan(0x108), 2);
        BinaryPrimitives.WriteUInt64LittleEndian(mem.AsSpan(0x40), stack + 0x80);
        BinaryPrimitives.WriteUInt64LittleEndian(mem.AsSpan(0x48), stack + 0x88);
        Encoding.ASCII.GetBytes("prog\0").CopyTo(mem.AsSpan(0x80));
        Encoding.ASCII.GetBytes("-x\0").CopyTo(mem.AsSpan(0x88));
        Encoding.ASCII.GetBytes("/usr/bin/prog\0").CopyTo(mem.AsSpan(0x90));

        return new CoreImage()
            .Note(3, PrPsInfo("prog", "prog -x", 77))
            .Note(1, PrStatus(100, cursig: 11, registers: new Dictionary<string, ulong> { ["rip"] = 0x401000, ["rsp"] = stack + 0x1F0, ["rax"] = 499 }))
            .Note(2, FpRegs(i => Enumerable.Repeat((byte)i, 16).ToArray()))
            .Note(7, ThrMisc("main"))
            .Note(17, LwpInfo(100, "main", @event: 1, flags: 0x20, signo: 11))
            .Note(1, PrStatus(101, cursig: 11, registers: new Dictionary<string, ulong> { ["rip"] = 0x402000 }))
            .Note(2, FpRegs())
            .Note(7, ThrMisc("worker"))
            .Note(17, LwpInfo(101, "worker"))
            .Note(8, ProcstatProc(KinfoProc(77, 100, "main", comm: "prog"), KinfoProc(77, 101, "worker", wmesg: "fifoor", comm: "prog")))
            .Note(9, Prefixed(1392, KinfoFile(-1, 1, 2, "/home"), KinfoFile(0, 1, 4, "/dev/null", offset: 0, flags: 3), new byte[64]))
            .Note(10, Prefixed(1160, KinfoVmEntry(0x400000, 0x401000, 1, "/usr/bin/prog", type: 2), KinfoVmEntry(stack, stack + 0x1000, 3, flags: 0x20)))
            .Note(14, Prefixed(4, BitConverter.GetBytes(1300139)))
            .Note(15, Prefixed(8, U64(stack + 0x100)))
            .Note(16, Auxv((15, stack + 0x90), (18, 1400097), (0, 0)))
            .Load(new Segment(0x400000, new byte[0x100], Flags: 5))
            .Load(new Segment(stack, mem));
    }
}
