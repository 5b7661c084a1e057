namespace CoreSleuth.FreeBsd.Syscalls;

/// <summary>Which way a file is being opened, from the access mode of the open flags.</summary>
public enum OpenDirection
{
    /// <summary>O_RDONLY: FREAD only. A FIFO open sleeps "fifoor" until a writer opens.</summary>
    Read,
    /// <summary>O_WRONLY: FWRITE only. A FIFO open sleeps "fifoow" until a reader opens.</summary>
    Write,
    /// <summary>O_RDWR: both; a FIFO open never waits.</summary>
    ReadWrite,
    /// <summary>O_EXEC / O_PATH or an invalid access mode: neither reads nor writes.</summary>
    Neither,
}

/// <summary>
/// FreeBSD amd64 <c>open(2)</c> flags (values of <c>sys/sys/fcntl.h</c>).
/// </summary>
public static class OpenFlagDecoder
{
    internal const uint O_ACCMODE = 0x3;
    internal const uint O_RDONLY = 0x0;
    internal const uint O_WRONLY = 0x1;
    internal const uint O_RDWR = 0x2;
    internal const uint O_NONBLOCK = 0x4;
    internal const uint O_EXEC = 0x40000;
    internal const uint O_PATH = 0x400000;

    // Order matters only for display; every entry is a single bit. O_FSYNC and O_SYNC share
    // 0x80: the POSIX name is shown.
    private static readonly FlagName[] StatusBits =
    [
        new(0x4, "O_NONBLOCK"),
        new(0x8, "O_APPEND"),
        new(0x10, "O_SHLOCK"),
        new(0x20, "O_EXLOCK"),
        new(0x40, "O_ASYNC"),
        new(0x80, "O_SYNC"),
        new(0x100, "O_NOFOLLOW"),
        new(0x200, "O_CREAT"),
        new(0x400, "O_TRUNC"),
        new(0x800, "O_EXCL"),
        new(0x8000, "O_NOCTTY"),
        new(0x10000, "O_DIRECT"),
        new(0x20000, "O_DIRECTORY"),
        new(0x80000, "O_TTY_INIT"),
        new(0x100000, "O_CLOEXEC"),
        new(0x200000, "O_VERIFY"),
        new(0x400000, "O_PATH"),
        new(0x800000, "O_RESOLVE_BENEATH"),
        new(0x1000000, "O_DSYNC"),
        new(0x2000000, "O_EMPTY_PATH"),
        new(0x4000000, "O_NAMEDATTR"),
    ];

    /// <summary>
    /// Formats the flags of <c>open</c>/<c>openat</c>: the access mode is always named first
    /// (O_RDONLY, O_WRONLY, O_RDWR, O_EXEC, or O_ACCMODE for the invalid value 3), then the
    /// other named bits, then unknown bits in hex. Example: <c>O_RDONLY|O_CLOEXEC</c>.
    /// </summary>
    public static string Format(uint flags)
    {
        var accessMode = flags & O_ACCMODE;
        string access;
        var rest = flags & ~O_ACCMODE;
        if (accessMode == O_RDONLY && (flags & O_EXEC) != 0)
        {
            // O_EXEC is a separate bit but replaces the access mode (kern_openat rejects
            // O_EXEC together with O_WRONLY/O_RDWR).
            access = "O_EXEC";
            rest &= ~O_EXEC;
        }
        else
        {
            access = accessMode switch
            {
                O_RDONLY => "O_RDONLY",
                O_WRONLY => "O_WRONLY",
                O_RDWR => "O_RDWR",
                _ => "O_ACCMODE",
            };
        }
        if (rest == 0) return access;
        return access + "|" + FormatStatusFlags(rest, includeExec: true);
    }

    /// <summary>
    /// Formats flags that carry no access mode (pipe2, fcntl F_SETFL/F_GETFL); bits 0–1 then
    /// show as hex. Zero is "0".
    /// </summary>
    internal static string FormatStatusFlags(uint flags, bool includeExec = true)
    {
        if (flags == 0) return "0";
        ReadOnlySpan<FlagName> exec = [new(O_EXEC, "O_EXEC")];
        var named = includeExec ? [.. StatusBits, .. exec] : StatusBits;
        return FlagFormatter.Format(flags, named);
    }

    /// <summary>The direction of an open from its flags (FREAD/FWRITE = access mode + 1).</summary>
    public static OpenDirection Direction(uint flags)
    {
        if ((flags & (O_EXEC | O_PATH)) != 0) return OpenDirection.Neither;
        return (flags & O_ACCMODE) switch
        {
            O_RDONLY => OpenDirection.Read,
            O_WRONLY => OpenDirection.Write,
            O_RDWR => OpenDirection.ReadWrite,
            _ => OpenDirection.Neither,
        };
    }

    /// <summary>
    /// The wait message an open with these flags sleeps on when the file is a FIFO with no
    /// peer (spec §8.1): "fifoor" for a reader waiting for a writer, "fifoow" for a writer
    /// waiting for a reader; null when such an open does not sleep (O_RDWR, O_NONBLOCK,
    /// O_PATH/O_EXEC).
    /// </summary>
    public static string? FifoWaitMessage(uint flags)
    {
        if ((flags & O_NONBLOCK) != 0) return null;
        return Direction(flags) switch
        {
            OpenDirection.Read => "fifoor",
            OpenDirection.Write => "fifoow",
            _ => null,
        };
    }
}
