using System.Globalization;
using System.Text;

namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>
/// One decoded argument. <see cref="Raw"/> is the register value, or null when the argument
/// lives on the user stack (7th and later, or 6th and later of an indirect call) and was not
/// supplied. <see cref="Text"/> may contain bytes from the core (paths): renderers must
/// sanitize it. <see cref="String"/> is set for path arguments that were looked up.
/// </summary>
public sealed record DecodedArgument
{
    /// <summary>The text, once made: a decoded argument is written only as part of its call, and ten thousand threads' calls are written into one string each.</summary>
    private string? text;

    /// <summary>For an fcntl argument, the command beside it, which says what the argument is.</summary>
    private readonly long? fcntlCommand;

    public DecodedArgument(string Name, SyscallArgKind Kind, ulong? Raw, string Text, CString? String)
    {
        this.Name = Name;
        this.Kind = Kind;
        this.Raw = Raw;
        this.String = String;
        text = Text;
    }

    /// <summary>An argument whose text is made when first read, from <paramref name="kind"/>, the value and the string read.</summary>
    internal DecodedArgument(string name, SyscallArgKind kind, ulong? raw, CString? @string, long? fcntlCommand)
    {
        Name = name;
        Kind = kind;
        Raw = raw;
        String = @string;
        this.fcntlCommand = fcntlCommand;
    }

    public string Name { get; }
    public SyscallArgKind Kind { get; }
    public ulong? Raw { get; }
    public CString? String { get; }

    /// <summary>The value as C would write it: a name, a number, flags, a quoted path.</summary>
    public string Text => text ??= CallText.Make(this, static (sb, a) => a.AppendTo(sb));

    /// <summary>Appends <see cref="Text"/> without making it.</summary>
    internal void AppendTo(StringBuilder sb)
    {
        if (text is not null) sb.Append(text);
        else SyscallDecoder.AppendArgument(sb, Kind, Raw, String, fcntlCommand);
    }

    public bool Equals(DecodedArgument? other) =>
        other is not null && Name == other.Name && Kind == other.Kind && Raw == other.Raw && Equals(String, other.String) && Text == other.Text;

    public override int GetHashCode() => HashCode.Combine(Name, Kind, Raw, String, Text);
}

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
    public string FormatCall() => CallText.Make(this, static (sb, d) => d.AppendCall(sb));

    private void AppendCall(StringBuilder sb)
    {
        sb.Append(Name).Append('(');
        for (int i = 0; i < Arguments.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            if (Arguments is DecodedArguments decoded) decoded.AppendTo(sb, i);
            else Arguments[i].AppendTo(sb);
        }
        sb.Append(')');
        if (IndirectVia is long via)
        {
            sb.Append(" via ");
            if (SyscallTable.Lookup(via)?.Name is { } name) sb.Append(name);
            else CallText.AppendDecimal(sb, via);
        }
    }

    /// <summary>The first argument of <paramref name="kind"/>, or null.</summary>
    public DecodedArgument? ArgumentOf(SyscallArgKind kind)
    {
        if (Arguments is DecodedArguments decoded) return decoded.IndexOf(kind) is >= 0 and var at ? decoded[at] : null;
        for (int i = 0; i < Arguments.Count; i++)
            if (Arguments[i].Kind == kind) return Arguments[i];
        return null;
    }
}

/// <summary>
/// A call's arguments, each made when first read: the registers, the parameters' names and kinds,
/// and the path strings (read at once, the analysis needs them). Ten thousand threads' calls made
/// five records each, and their text, mostly to write one line.
/// </summary>
internal sealed class DecodedArguments : IReadOnlyList<DecodedArgument>
{
    private readonly SyscallParameter[] parameters;
    private readonly ulong[] registers;
    private readonly CString?[]? strings;
    private readonly long? fcntlCommand;
    private DecodedArgument?[]? made;

    /// <param name="registers">The argument values; parameters past them are on the user stack.</param>
    public DecodedArguments(SyscallParameter[] parameters, ulong[] registers, IStringSource? source)
    {
        this.parameters = parameters;
        this.registers = registers;
        for (int i = 0; i < parameters.Length && i < registers.Length; i++)
        {
            var kind = parameters[i].Kind;
            if (SyscallDecoder.ReadPath(kind, registers[i], source) is { } read) (strings ??= new CString?[parameters.Length])[i] = read;
            if (kind == SyscallArgKind.FcntlArg) fcntlCommand = SyscallDecoder.CommandOf(parameters, registers);
        }
    }

    public int Count => parameters.Length;

    public DecodedArgument this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)parameters.Length, nameof(index));
            // Two threads may make the same argument at once; either is right.
            var all = made ??= new DecodedArgument?[parameters.Length];
            return all[index] ??= new DecodedArgument(parameters[index].Name, parameters[index].Kind, Raw(index), strings?[index],
                parameters[index].Kind == SyscallArgKind.FcntlArg ? fcntlCommand : null);
        }
    }

    /// <summary>The first parameter of <paramref name="kind"/>, or -1.</summary>
    public int IndexOf(SyscallArgKind kind)
    {
        for (int i = 0; i < parameters.Length; i++)
            if (parameters[i].Kind == kind) return i;
        return -1;
    }

    /// <summary>Appends argument <paramref name="index"/>'s text without making the argument.</summary>
    public void AppendTo(StringBuilder sb, int index)
    {
        if (made?[index] is { } argument) argument.AppendTo(sb);
        else SyscallDecoder.AppendArgument(sb, parameters[index].Kind, Raw(index), strings?[index],
            parameters[index].Kind == SyscallArgKind.FcntlArg ? fcntlCommand : null);
    }

    private ulong? Raw(int index) => index < registers.Length ? registers[index] : null;

    public IEnumerator<DecodedArgument> GetEnumerator()
    {
        for (int i = 0; i < parameters.Length; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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

        return new SyscallDescription(number, name, entry, via, new DecodedArguments(parameters, args.ToArray(), strings));
    }

    private static SyscallParameter[] Generic(int count)
    {
        var result = new SyscallParameter[Math.Max(0, count)];
        for (var i = 0; i < result.Length; i++)
            result[i] = new SyscallParameter("arg" + (i + 1).ToString(CultureInfo.InvariantCulture), SyscallArgKind.Raw);
        return result;
    }

    /// <summary>The string a path argument points to, read now (the analysis needs it); null for other arguments.</summary>
    internal static CString? ReadPath(SyscallArgKind kind, ulong raw, IStringSource? strings) => kind switch
    {
        SyscallArgKind.ShmPath when raw == FreeBsdConstants.SHM_ANON => null,
        SyscallArgKind.Path or SyscallArgKind.ShmPath when raw != 0 =>
            strings?.ReadCString(raw, MaxPathBytes) ?? new CString.Unavailable("no memory source"),
        _ => null,
    };

    /// <summary>The text of an argument (see <see cref="DecodedArgument.Text"/>), appended.</summary>
    internal static void AppendArgument(StringBuilder sb, SyscallArgKind kind, ulong? value, CString? str, long? fcntlCommand)
    {
        if (value is not { } raw)
        {
            sb.Append("(on the user stack)");
            return;
        }
        switch (kind)
        {
            case SyscallArgKind.ShmPath when raw == FreeBsdConstants.SHM_ANON:
                sb.Append("SHM_ANON");
                break;
            case SyscallArgKind.Path or SyscallArgKind.ShmPath:
                AppendPath(sb, raw, str);
                break;
            case SyscallArgKind.FcntlArg:
                AppendFcntlArg(sb, raw, fcntlCommand);
                break;
            default:
                AppendValue(sb, kind, raw);
                break;
        }
    }

    internal static long? CommandOf(SyscallParameter[] parameters, ReadOnlySpan<ulong> args)
    {
        for (var i = 0; i < parameters.Length && i < args.Length; i++)
            if (parameters[i].Kind == SyscallArgKind.FcntlCmd) return AsInt(args[i]);
        return null;
    }

    private static void AppendPath(StringBuilder sb, ulong raw, CString? str)
    {
        if (raw == 0)
        {
            sb.Append("NULL");
            return;
        }
        switch (str)
        {
            case CString.Ok ok:
                sb.Append('"').Append(ok.Text).Append('"');
                if (ok.Truncated) sb.Append("... (memory ends before the NUL)");
                break;
            case CString.NotTerminated nt:
                CallText.AppendHex(sb, raw);
                sb.Append(" (no NUL within ");
                CallText.AppendDecimal(sb, nt.Bound);
                sb.Append(" bytes)");
                break;
            case CString.Unavailable u:
                CallText.AppendHex(sb, raw);
                sb.Append(" (string unavailable: ").Append(u.Reason).Append(')');
                break;
            default:
                CallText.AppendHex(sb, raw);
                break;
        }
    }

    /// <summary>Formats a register value as the given kind (paths and fcntl args excepted).</summary>
    internal static string FormatValue(SyscallArgKind kind, ulong raw) => CallText.Make((kind, raw), static (sb, v) => AppendValue(sb, v.kind, v.raw));

    /// <summary>
    /// A register value as the given kind (paths and fcntl args excepted), appended: numbers are
    /// written into the text, not made into strings first.
    /// </summary>
    private static void AppendValue(StringBuilder sb, SyscallArgKind kind, ulong raw)
    {
        switch (kind)
        {
            case SyscallArgKind.Int or SyscallArgKind.Fd:
                CallText.AppendDecimal(sb, AsInt(raw));
                break;
            case SyscallArgKind.Long or SyscallArgKind.Offset:
                CallText.AppendDecimal(sb, (long)raw);
                break;
            case SyscallArgKind.Size:
                CallText.AppendDecimal(sb, raw);
                break;
            case SyscallArgKind.Pointer or SyscallArgKind.SignalSet or SyscallArgKind.Path or SyscallArgKind.ShmPath:
                if (raw == 0) sb.Append("NULL");
                else CallText.AppendHex(sb, raw);
                break;
            case SyscallArgKind.Timeout:
                if (raw == 0) sb.Append("NULL (no time limit)");
                else CallText.AppendHex(sb, raw);
                break;
            case SyscallArgKind.TimeoutMs when AsInt(raw) == -1:
                sb.Append("INFTIM");
                break;
            case SyscallArgKind.TimeoutMs:
                CallText.AppendDecimal(sb, AsInt(raw));
                break;
            case SyscallArgKind.DirFd when AsInt(raw) == FreeBsdConstants.AT_FDCWD:
                sb.Append("AT_FDCWD");
                break;
            case SyscallArgKind.DirFd:
                CallText.AppendDecimal(sb, AsInt(raw));
                break;
            default:
                string? named = kind switch
                {
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
                    _ => null,
                };
                if (named is null) CallText.AppendHex(sb, raw);
                else sb.Append(named);
                break;
        }
    }

    private static void AppendFcntlArg(StringBuilder sb, ulong raw, long? cmd)
    {
        switch (cmd)
        {
            // struct flock * for the record-lock commands (F_SETLKW is the one that blocks, "lockf").
            case >= FreeBsdConstants.F_OGETLK and <= FreeBsdConstants.F_OSETLKW
                or >= FreeBsdConstants.F_GETLK and <= FreeBsdConstants.F_SETLK_REMOTE:
                AppendValue(sb, SyscallArgKind.Pointer, raw);
                break;
            case FreeBsdConstants.F_SETFL:
                sb.Append(OpenFlagDecoder.FormatStatusFlags((uint)raw));
                break;
            case FreeBsdConstants.F_SETFD:
                sb.Append((uint)raw switch { 0 => "0", 1 => "FD_CLOEXEC", var v => Hex(v) });
                break;
            default:
                CallText.AppendDecimal(sb, AsInt(raw));
                break;
        }
    }

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
