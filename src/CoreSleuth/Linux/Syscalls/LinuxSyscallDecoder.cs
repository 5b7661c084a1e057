using System.Globalization;
using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Linux.Syscalls;

/// <summary>One decoded argument. <see cref="Text"/> may hold bytes from the core (paths): sanitize before display.</summary>
public sealed record LinuxDecodedArgument(string Name, LinuxArgKind Kind, ulong Raw, string Text, CString? String);

/// <summary>A system call as a thread's registers show it; <see cref="Entry"/> is null for an unassigned number.</summary>
public sealed record LinuxSyscallDescription(long Number, string Name, LinuxSyscallEntry? Entry, IReadOnlyList<LinuxDecodedArgument> Arguments)
{
    /// <summary>C-like form, e.g. <c>openat(AT_FDCWD, "f", O_RDONLY, 0)</c>; raw strings from the core (sanitize before display).</summary>
    public string FormatCall() => Name + "(" + string.Join(", ", Arguments.Select(a => a.Text)) + ")";
}

/// <summary>
/// Decodes an x86-64 Linux system call number and its six argument registers. Pure: strings
/// are read only through the <see cref="IStringSource"/> given (the memory layer implements it).
/// </summary>
public static class LinuxSyscallDecoder
{
    /// <summary>Longest path read from the core (PATH_MAX on Linux, including the NUL).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>
    /// Describes a call. <paramref name="args"/> are rdi, rsi, rdx, r10, r8, r9 (see
    /// <see cref="LinuxRegisters.SyscallArguments"/>). Calls without a signature show six raw arguments.
    /// </summary>
    public static LinuxSyscallDescription Describe(long number, ReadOnlySpan<ulong> args, IStringSource? strings)
    {
        var entry = LinuxSyscallTable.Lookup(number);
        var parameters = LinuxSyscallSignatures.For(number)?.Parameters ?? Generic(Math.Min(6, args.Length));
        var decoded = new LinuxDecodedArgument[Math.Min(parameters.Length, args.Length)];
        for (int i = 0; i < decoded.Length; i++)
        {
            var p = parameters[i];
            ulong raw = args[i];
            CString? str = null;
            string text = p.Kind == LinuxArgKind.Path ? DecodePath(raw, strings, out str) : FormatValue(p.Kind, raw);
            decoded[i] = new LinuxDecodedArgument(p.Name, p.Kind, raw, text, str);
        }
        return new LinuxSyscallDescription(number, LinuxSyscallTable.Name(number), entry, decoded);
    }

    private static LinuxSyscallParameter[] Generic(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new LinuxSyscallParameter("arg" + i.ToString(CultureInfo.InvariantCulture), LinuxArgKind.Raw))];

    private static string DecodePath(ulong raw, IStringSource? strings, out CString? str)
    {
        str = null;
        if (raw == 0) return "NULL";
        str = strings?.ReadCString(raw, MaxPathBytes) ?? new CString.Unavailable("no memory source");
        return str switch
        {
            CString.Ok { Truncated: false } ok => "\"" + ok.Text + "\"",
            CString.Ok ok => "\"" + ok.Text + "\"... (memory ends before the NUL)",
            CString.NotTerminated nt => $"{Hex(raw)} (no NUL within {nt.Bound} bytes)",
            CString.Unavailable u => $"{Hex(raw)} (string unavailable: {u.Reason})",
            _ => Hex(raw),
        };
    }

    /// <summary>Formats a register value as the given kind (paths excepted: they need memory).</summary>
    public static string FormatValue(LinuxArgKind kind, ulong raw)
    {
        var inv = CultureInfo.InvariantCulture;
        int asInt = unchecked((int)(uint)raw);
        return kind switch
        {
            LinuxArgKind.Int or LinuxArgKind.Fd => asInt.ToString(inv),
            LinuxArgKind.Size => raw.ToString(inv),
            LinuxArgKind.Offset => unchecked((long)raw).ToString(inv),
            LinuxArgKind.Pointer or LinuxArgKind.SignalSet or LinuxArgKind.Path => raw == 0 ? "NULL" : Hex(raw),
            LinuxArgKind.Timeout => raw == 0 ? "NULL (no time limit)" : Hex(raw),
            LinuxArgKind.TimeoutMs => asInt < 0 ? $"{asInt.ToString(inv)} (no time limit)" : asInt.ToString(inv),
            LinuxArgKind.DirFd => asInt == LinuxOpenFlags.AT_FDCWD ? "AT_FDCWD" : asInt.ToString(inv),
            LinuxArgKind.OpenFlags => LinuxOpenFlags.Format((uint)raw),
            LinuxArgKind.Mode => (uint)raw == 0 ? "0" : "0" + Convert.ToString((uint)raw, 8),
            LinuxArgKind.Signal => LinuxSignals.Name(asInt) ?? "0",
            LinuxArgKind.FutexOp => LinuxFutex.Format(asInt),
            LinuxArgKind.Hex32 => Hex((uint)raw),
            _ => Hex(raw),
        };
    }

    private static string Hex(ulong raw) => FlagFormatter.Hex(raw);
}
