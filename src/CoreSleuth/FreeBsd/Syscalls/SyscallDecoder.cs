using System.Globalization;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// One decoded argument. <see cref="Raw"/> is the register value, or null when the argument
/// lives on the user stack (7th and later, or 6th and later of an indirect call) and was not
/// supplied. <see cref="Text"/> may contain bytes from the core (paths): renderers must
/// sanitize it. <see cref="String"/> is set for path arguments that were looked up.
/// </summary>
public sealed record DecodedArgument(string Name, SyscallArgKind Kind, ulong? Raw, string Text, CString? String);

/// <summary>
/// A syscall as seen in a thread's saved registers. <see cref="Number"/> is the real call
/// (for an indirect call, the number that was in rdi); <see cref="IndirectVia"/> is 0 or 198
/// when the call went through <c>syscall</c>/<c>__syscall</c> (spec §7.1).
/// <see cref="Entry"/> is null when the number is outside the table.
/// </summary>
public sealed record SyscallDescription(
    long Number,
    string Name,
    SyscallEntry? Entry,
    long? IndirectVia,
    IReadOnlyList<DecodedArgument> Arguments)
{
    /// <summary>The status of the call, when the number is in the table.</summary>
    public SyscallStatus? Status => Entry?.Status;

    /// <summary>
    /// C-like form, e.g. <c>openat(AT_FDCWD, "/tmp/ghost.fifo", O_RDONLY|O_CLOEXEC, 0)</c>;
    /// contains raw strings from the core (sanitize before display).
    /// </summary>
    public string FormatCall()
    {
        var call = Name + "(" + string.Join(", ", Arguments.Select(a => a.Text)) + ")";
        return IndirectVia is long via
            ? call + " via " + (SyscallTable.Lookup(via)?.Name ?? via.ToString(CultureInfo.InvariantCulture))
            : call;
    }
}

/// <summary>
/// Decodes a syscall number and its argument registers into names and readable values
/// (spec §7). Pure: strings are read only through the <see cref="IStringSource"/> given.
/// </summary>
public static class SyscallDecoder
{
    /// <summary>Longest path read from the core (PATH_MAX on FreeBSD, including the NUL).</summary>
    public const int MaxPathBytes = 1024;

    /// <summary>
    /// Describes a syscall. <paramref name="args"/> are the argument registers in ABI order
    /// (rdi, rsi, rdx, r10 — saved as rcx in the trapframe, r8, r9; spec §7.2), optionally
    /// followed by stack arguments. <paramref name="strings"/> reads path strings; when null,
    /// paths show as unavailable.
    /// </summary>
    public static SyscallDescription Describe(long number, ReadOnlySpan<ulong> args, IStringSource? strings)
    {
        long? via = null;
        if (number is SyscallTable.SysSyscall or SyscallTable.SysUnderscoreSyscall && !args.IsEmpty)
        {
            // spec §7.1: the real number is in rdi and the arguments shift by one register.
            via = number;
            number = (long)args[0];
            args = args[1..];
        }

        var entry = SyscallTable.Lookup(number);
        var name = entry?.DisplayName ?? "#" + number.ToString(CultureInfo.InvariantCulture);
        var parameters = SyscallSignatures.For(number)?.Parameters ?? Generic(entry?.ArgumentCount ?? args.Length);

        var decoded = new DecodedArgument[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (i >= args.Length)
            {
                decoded[i] = new DecodedArgument(p.Name, p.Kind, null, "(on the user stack)", null);
                continue;
            }
            decoded[i] = DecodeArgument(p, args[i], parameters, args, strings);
        }
        return new SyscallDescription(number, name, entry, via, decoded);
    }

    private static SyscallParameter[] Generic(int count)
    {
        var result = new SyscallParameter[Math.Max(0, count)];
        for (var i = 0; i < result.Length; i++)
            result[i] = new SyscallParameter("arg" + (i + 1).ToString(CultureInfo.InvariantCulture), SyscallArgKind.Raw);
        return result;
    }

    private static DecodedArgument DecodeArgument(
        SyscallParameter p, ulong raw, SyscallParameter[] parameters, ReadOnlySpan<ulong> args, IStringSource? strings)
    {
        CString? str = null;
        string text;
        switch (p.Kind)
        {
            case SyscallArgKind.Path:
                (text, str) = DecodePath(raw, strings);
                break;
            case SyscallArgKind.ShmPath when raw == FreeBsdConstants.SHM_ANON:
                text = "SHM_ANON";
                break;
            case SyscallArgKind.ShmPath:
                (text, str) = DecodePath(raw, strings);
                break;
            case SyscallArgKind.FcntlArg:
                text = FormatFcntlArg(raw, CommandOf(parameters, args));
                break;
            default:
                text = FormatValue(p.Kind, raw);
                break;
        }
        return new DecodedArgument(p.Name, p.Kind, raw, text, str);
    }

    private static long? CommandOf(SyscallParameter[] parameters, ReadOnlySpan<ulong> args)
    {
        for (var i = 0; i < parameters.Length && i < args.Length; i++)
            if (parameters[i].Kind == SyscallArgKind.FcntlCmd) return AsInt(args[i]);
        return null;
    }

    private static (string Text, CString? String) DecodePath(ulong raw, IStringSource? strings)
    {
        if (raw == 0) return ("NULL", null);
        var str = strings?.ReadCString(raw, MaxPathBytes) ?? new CString.Unavailable("no memory source");
        var text = str switch
        {
            CString.Ok { Truncated: false } ok => "\"" + ok.Text + "\"",
            CString.Ok ok => "\"" + ok.Text + "\"... (memory ends before the NUL)",
            CString.NotTerminated nt => $"{Hex(raw)} (no NUL within {nt.Bound} bytes)",
            CString.Unavailable u => $"{Hex(raw)} (string unavailable: {u.Reason})",
            _ => Hex(raw),
        };
        return (text, str);
    }

    /// <summary>Formats a register value as the given kind (paths and fcntl args excepted).</summary>
    internal static string FormatValue(SyscallArgKind kind, ulong raw)
    {
        var inv = CultureInfo.InvariantCulture;
        return kind switch
        {
            SyscallArgKind.Int => AsInt(raw).ToString(inv),
            SyscallArgKind.Long or SyscallArgKind.Offset => ((long)raw).ToString(inv),
            SyscallArgKind.Size => raw.ToString(inv),
            SyscallArgKind.Pointer or SyscallArgKind.SignalSet or SyscallArgKind.Path or SyscallArgKind.ShmPath =>
                raw == 0 ? "NULL" : Hex(raw),
            SyscallArgKind.Timeout => raw == 0 ? "NULL (no time limit)" : Hex(raw),
            SyscallArgKind.TimeoutMs => AsInt(raw) == -1 ? "INFTIM" : AsInt(raw).ToString(inv),
            SyscallArgKind.Fd => AsInt(raw).ToString(inv),
            SyscallArgKind.DirFd => AsInt(raw) == FreeBsdConstants.AT_FDCWD ? "AT_FDCWD" : AsInt(raw).ToString(inv),
            SyscallArgKind.OpenFlags => OpenFlagDecoder.Format((uint)raw),
            SyscallArgKind.FileStatusFlags => OpenFlagDecoder.FormatStatusFlags((uint)raw),
            SyscallArgKind.Mode => FormatMode((uint)raw),
            SyscallArgKind.Signal => FreeBsdConstants.SignalName(AsInt(raw)),
            SyscallArgKind.UmtxOp => FlagFormatter.Named(AsInt(raw), FreeBsdConstants.UmtxOps),
            SyscallArgKind.FcntlCmd => FlagFormatter.Named(AsInt(raw), FreeBsdConstants.FcntlCommands),
            SyscallArgKind.Whence => FlagFormatter.Named(AsInt(raw), FreeBsdConstants.Whence),
            SyscallArgKind.AtFlags => FlagFormatter.Format((uint)raw, FreeBsdConstants.AtFlags),
            SyscallArgKind.AccessMode => FlagFormatter.Format((uint)raw, FreeBsdConstants.AccessModes, "F_OK"),
            SyscallArgKind.FlockOp => FlagFormatter.Format((uint)raw, FreeBsdConstants.FlockOps),
            SyscallArgKind.MmapProt => FlagFormatter.Format((uint)raw, FreeBsdConstants.MmapProt, "PROT_NONE"),
            SyscallArgKind.MmapFlags => FormatMmapFlags((uint)raw),
            SyscallArgKind.MsgFlags => FlagFormatter.Format((uint)raw, FreeBsdConstants.MsgFlags),
            SyscallArgKind.SocketFlags => FlagFormatter.Format((uint)raw, FreeBsdConstants.SocketFlags),
            SyscallArgKind.WaitOptions => FlagFormatter.Format((uint)raw, FreeBsdConstants.WaitOptions),
            SyscallArgKind.ClockId => FlagFormatter.Named(AsInt(raw), FreeBsdConstants.ClockIds),
            SyscallArgKind.TimerFlags => FlagFormatter.Format((uint)raw, FreeBsdConstants.TimerFlags),
            SyscallArgKind.IoctlRequest => FreeBsdConstants.IoctlRequest(raw),
            _ => Hex(raw),
        };
    }

    private static string FormatFcntlArg(ulong raw, long? cmd) => cmd switch
    {
        // struct flock * for the record-lock commands (F_SETLKW is the one that blocks, "lockf").
        >= FreeBsdConstants.F_OGETLK and <= FreeBsdConstants.F_OSETLKW
            or >= FreeBsdConstants.F_GETLK and <= FreeBsdConstants.F_SETLK_REMOTE => FormatValue(SyscallArgKind.Pointer, raw),
        FreeBsdConstants.F_SETFL => OpenFlagDecoder.FormatStatusFlags((uint)raw),
        FreeBsdConstants.F_SETFD => (uint)raw switch { 0 => "0", 1 => "FD_CLOEXEC", var v => Hex(v) },
        _ => AsInt(raw).ToString(CultureInfo.InvariantCulture),
    };

    private static string FormatMmapFlags(uint raw)
    {
        // MAP_ALIGNED(n) keeps log2 of the alignment in bits 24–31; MAP_ALIGNED_SUPER is n = 1.
        var align = raw >> 24;
        var flags = FlagFormatter.Format(raw & 0x00FFFFFF, FreeBsdConstants.MmapFlags);
        if (align == 0) return flags;
        var alignText = align == 1 ? "MAP_ALIGNED_SUPER" : $"MAP_ALIGNED({align.ToString(CultureInfo.InvariantCulture)})";
        return (raw & 0x00FFFFFF) == 0 ? alignText : flags + "|" + alignText;
    }

    /// <summary>A mode in C octal notation: 0 stays "0", 420 becomes "0644".</summary>
    internal static string FormatMode(uint mode) =>
        mode == 0 ? "0" : "0" + Convert.ToString(mode, 8);

    private static int AsInt(ulong raw) => unchecked((int)(uint)raw);

    private static string Hex(ulong raw) => FlagFormatter.Hex(raw);
}
