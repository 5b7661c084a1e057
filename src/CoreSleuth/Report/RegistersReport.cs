using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Serialization;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth regs</c> reports: each selected thread's registers, as gdb's <c>info registers</c> shows them.</summary>
public sealed record RegistersReport(string Schema, ReportCore Core, ReportProcess Process, IReadOnlyList<ThreadRegisters> Threads, IReadOnlyList<string> Warnings)
{
    /// <param name="threads">The threads to show, in the order to show them.</param>
    /// <param name="all">Also the x87, SSE and AVX state and the trap fields (gdb's <c>info all-registers</c>).</param>
    public static RegistersReport Build(CoreFile core, string path, IEnumerable<CoreThread> threads, bool all) =>
        new(ReportSchemas.Registers, ReportCore.Build(core, path), ReportProcess.Build(core), threads.Select(t => ThreadRegisters.Build(t, all)).ToList(), core.Warnings.ToList());
}

/// <summary>The registers of one thread.</summary>
/// <param name="Rows">The registers in gdb's order, as the text report prints them.</param>
/// <param name="Missing">What the core lacks for <c>--all</c> (no NT_FPREGSET…), or empty.</param>
public sealed record ThreadRegisters(int Index, int Lwp, string? Name, [property: JsonIgnore] IReadOnlyList<RegisterRow> Rows,
    [property: JsonPropertyOrder(1)] IReadOnlyList<string> Missing)
{
    /// <summary>
    /// Name → raw value, the same object as a thread's <c>registers</c> in <c>analyze</c> (docs/json.md):
    /// a register is looked up by name, and names are unique. gdb's "eflags" is named as in the
    /// core's register set and in every other report, "rflags".
    /// </summary>
    public IReadOnlyDictionary<string, string> Registers => Rows.ToDictionary(r => JsonName(r.Name), r => r.Value);

    /// <summary>Name → gdb's "natural" column (signed decimal, flag names, byte lists), for the same names as <see cref="Registers"/>.</summary>
    public IReadOnlyDictionary<string, string> Natural => Rows.ToDictionary(r => JsonName(r.Name), r => r.Natural);

    private static string JsonName(string gdbName) => gdbName == "eflags" ? "rflags" : gdbName;

    internal static ThreadRegisters Build(CoreThread t, bool all)
    {
        var rows = new List<RegisterRow>();
        var missing = new List<string>();
        var r = t.Registers;
        foreach (var (name, value) in r.General)
            rows.Add(RegisterRow.General(name, value));
        // Linux: the number of the system call the thread is in (−1 outside one), as gdb shows it among the general registers.
        if (t.Linux is { } linux)
            rows.Add(new RegisterRow("orig_rax", RegisterGroup.General, new Hex(linux.Registers.OrigRax).ToString(), Signed(linux.Registers.OrigRax)));
        if (t.SegmentBases is { } sb)
        {
            // gdb types fs_base/gs_base as signed 64-bit integers: the natural column is decimal.
            rows.Add(new RegisterRow("fs_base", RegisterGroup.SegmentBase, new Hex(sb.FsBase).ToString(), Signed(sb.FsBase)));
            rows.Add(new RegisterRow("gs_base", RegisterGroup.SegmentBase, new Hex(sb.GsBase).ToString(), Signed(sb.GsBase)));
        }
        if (all)
        {
            // trapno and err are FreeBSD's trapframe: a Linux thread has none.
            foreach (var (name, value) in t.Linux is null ? r.Trap : [])
                rows.Add(new RegisterRow(name, RegisterGroup.Trap, new Hex(value).ToString(), FreeBsdNames.Decimal(value)));
            if (t.FpState is { } fp) AddFloatingPoint(rows, fp, t.XState, missing);
            else missing.Add("no NT_FPREGSET note: x87, SSE and AVX registers are unknown");
        }
        return new ThreadRegisters(t.Index, t.Lwp, t.Name, rows, missing);
    }

    private static void AddFloatingPoint(List<RegisterRow> rows, FpState fp, XState? xstate, List<string> missing)
    {
        int top = (fp.Fsw >> 11) & 7;
        ushort ftag = RegisterRow.FullTagWord(fp.Ftw, fp.St, top);
        rows.Add(RegisterRow.X87("fctrl", fp.Fcw));
        rows.Add(RegisterRow.X87("fstat", fp.Fsw));
        rows.Add(RegisterRow.X87("ftag", ftag));
        rows.Add(RegisterRow.X87("fop", fp.Fop));
        rows.Add(new RegisterRow("fip", RegisterGroup.X87, new Hex(fp.Fip).ToString(), new Hex(fp.Fip).ToString()));
        rows.Add(new RegisterRow("fdp", RegisterGroup.X87, new Hex(fp.Fdp).ToString(), new Hex(fp.Fdp).ToString()));
        for (int i = 0; i < fp.St.Count; i++)
            rows.Add(new RegisterRow($"st{i}", RegisterGroup.X87, Hex.FromLittleEndian(fp.St[i]), RegisterRow.Extended(fp.St[i])));
        rows.Add(new RegisterRow("mxcsr", RegisterGroup.Sse, new Hex(fp.Mxcsr).ToString(), RegisterRow.MxcsrFlags(fp.Mxcsr)));
        for (int i = 0; i < fp.Xmm.Count; i++)
            rows.Add(new RegisterRow($"xmm{i}", RegisterGroup.Sse, Hex.FromLittleEndian(fp.Xmm[i]), RegisterRow.ByteList(fp.Xmm[i])));
        if (fp.YmmHigh is { } ymm)
            for (int i = 0; i < ymm.Count; i++)
                rows.Add(new RegisterRow($"ymm{i}h", RegisterGroup.Avx, Hex.FromLittleEndian(ymm[i]), RegisterRow.ByteList(ymm[i])));
        else
            missing.Add(xstate is null
                ? "no NT_X86_XSTATE note: the upper halves of ymm0–15 are unknown"
                : "NT_X86_XSTATE has no AVX component: the upper halves of ymm0–15 are unknown");
    }

    private static string Signed(ulong v) => ((long)v).ToString(CultureInfo.InvariantCulture);
}

public enum RegisterGroup
{
    General,
    Segment,
    SegmentBase,
    Trap,
    X87,
    Sse,
    Avx,
}

/// <summary>
/// One register: its gdb name, raw value as lowercase hex (as many digits as the register has
/// bits for st/xmm/ymm), and gdb's "natural" column — signed decimal for integer registers, hex
/// for rip/rbp/rsp, flag names in brackets for eflags and mxcsr, LLDB's byte list for vectors.
/// </summary>
public sealed record RegisterRow(string Name, RegisterGroup Group, string Value, string Natural)
{
    // gdb's i386_eflags flag type (features/i386/64bit-core.xml); IOPL (bits 12–13) has no field.
    private static readonly (int Bit, string Name)[] EflagsNames =
    [
        (0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF"),
        (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"), (19, "VIF"), (20, "VIP"), (21, "ID"),
    ];

    // gdb's i386_mxcsr flag type (features/i386/64bit-sse.xml); RC (bits 13–14) has no field.
    private static readonly (int Bit, string Name)[] MxcsrNames =
    [
        (0, "IE"), (1, "DE"), (2, "ZE"), (3, "OE"), (4, "UE"), (5, "PE"), (6, "DAZ"), (7, "IM"), (8, "DM"), (9, "ZM"),
        (10, "OM"), (11, "UM"), (12, "PM"), (15, "FZ"),
    ];

    internal static RegisterRow General(string name, ulong value) => name switch
    {
        "rip" or "rbp" or "rsp" => new RegisterRow(name, RegisterGroup.General, new Hex(value).ToString(), new Hex(value).ToString()),
        "rflags" => new RegisterRow("eflags", RegisterGroup.General, new Hex(value).ToString(), EflagsFlags(value)),
        // gdb types the segment registers as int32.
        "cs" or "ss" or "ds" or "es" or "fs" or "gs" => new RegisterRow(name, RegisterGroup.Segment, new Hex(value).ToString(),
            ((int)(uint)value).ToString(CultureInfo.InvariantCulture)),
        _ => new RegisterRow(name, RegisterGroup.General, new Hex(value).ToString(), ((long)value).ToString(CultureInfo.InvariantCulture)),
    };

    internal static RegisterRow X87(string name, ushort value) =>
        new(name, RegisterGroup.X87, new Hex(value).ToString(), value.ToString(CultureInfo.InvariantCulture));

    /// <summary>"[ IF RF ]" as gdb prints eflags; bits without a name follow as "unknown: 0x…".</summary>
    public static string EflagsFlags(ulong value) => Flags(value, EflagsNames, ignoredMask: 0x2); // bit 1 is always 1 and unnamed in gdb

    /// <summary>"[ IM DM ZM OM UM PM ]" for the default 0x1f80, as gdb prints mxcsr.</summary>
    public static string MxcsrFlags(ulong value) => Flags(value, MxcsrNames, ignoredMask: 0);

    private static string Flags(ulong value, (int Bit, string Name)[] names, ulong ignoredMask)
    {
        var parts = new List<string>();
        ulong known = ignoredMask;
        foreach (var (bit, name) in names)
        {
            known |= 1UL << bit;
            if ((value & (1UL << bit)) != 0) parts.Add(name);
        }
        ulong unknown = value & ~known;
        if (unknown != 0) parts.Add($"unknown: {new Hex(unknown)}");
        return parts.Count == 0 ? "[ ]" : $"[ {string.Join(' ', parts)} ]";
    }

    /// <summary>LLDB's vector format: <c>{0x00 0x01 …}</c>, bytes in memory order.</summary>
    public static string ByteList(ReadOnlySpan<byte> bytes)
    {
        var parts = new string[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) parts[i] = $"0x{bytes[i]:x2}";
        return "{" + string.Join(' ', parts) + "}";
    }

    /// <summary>
    /// An 80-bit x87 value as a number. Values whose 64-bit significand fits a double exactly are
    /// printed exactly; others are prefixed with "≈".
    /// </summary>
    public static string Extended(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 10) return "";
        ulong significand = BinaryPrimitives.ReadUInt64LittleEndian(raw);
        int se = BinaryPrimitives.ReadUInt16LittleEndian(raw[8..]);
        bool negative = (se & 0x8000) != 0;
        int exponent = se & 0x7fff;
        string sign = negative ? "-" : "";
        if (exponent == 0x7fff)
            return (significand << 1) == 0 ? $"{sign}inf" : "nan(" + new Hex(significand & 0x3fff_ffff_ffff_ffff) + ")";
        if (exponent == 0 && significand == 0) return negative ? "-0" : "0";
        bool integerBit = (significand >> 63) != 0;
        if (exponent != 0 && !integerBit) return "<invalid float value>"; // an unnormal: the FPU rejects it
        double value = Math.ScaleB(significand, (exponent == 0 ? 1 : exponent) - 16383 - 63);
        bool exact = (significand & 0x7ff) == 0 && !double.IsInfinity(value) && value != 0;
        string digits = value.ToString("R", CultureInfo.InvariantCulture);
        return (exact ? sign : "≈" + sign) + digits;
    }

    /// <summary>
    /// The full x87 tag word from FXSAVE's abridged one, as gdb reconstructs it (i387-tdep.c):
    /// an empty register is 3; otherwise the class of its value — 0 valid, 1 zero, 2 special.
    /// The abridged bits and the tag word are indexed by physical register; st(i) is physical
    /// register (top + i) mod 8.
    /// </summary>
    public static ushort FullTagWord(byte abridged, IReadOnlyList<byte[]> st, int top)
    {
        int tags = 0;
        for (int physical = 0; physical < 8; physical++)
        {
            int tag = 3;
            if ((abridged & (1 << physical)) != 0)
            {
                var raw = st[(physical - top) & 7];
                ulong significand = BinaryPrimitives.ReadUInt64LittleEndian(raw);
                int exponent = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(8)) & 0x7fff;
                tag = exponent == 0x7fff ? 2
                    : exponent == 0 ? (significand == 0 ? 1 : 2)
                    : (significand >> 63) != 0 ? 0 : 2;
            }
            tags |= tag << (2 * physical);
        }
        return (ushort)tags;
    }
}
