using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Linux.Syscalls;

/// <summary>
/// x86-64 Linux <c>open(2)</c> flags (include/uapi/asm-generic/fcntl.h, octal there), formatted
/// as the FreeBSD decoder formats its own: the access mode first, then the named bits, then
/// unknown bits in hex, e.g. <c>O_RDONLY|O_CLOEXEC</c>.
/// </summary>
public static class LinuxOpenFlags
{
    public const uint O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    public const uint O_NONBLOCK = 0x800; // 04000
    public const uint O_DSYNC = 0x1000, O_SYNC_BIT = 0x100000; // 010000, __O_SYNC 04000000
    public const uint O_DIRECTORY = 0x10000, O_PATH = 0x200000, O_TMPFILE_BIT = 0x400000; // 0200000, 010000000, 020000000

    /// <summary>AT_FDCWD: "relative to the current directory" in the dirfd of the *at calls (include/uapi/linux/fcntl.h).</summary>
    public const int AT_FDCWD = -100;

    // Multi-bit names first so that O_SYNC (__O_SYNC|O_DSYNC) and O_TMPFILE (__O_TMPFILE|O_DIRECTORY)
    // are named whole; a lone __O_SYNC or __O_TMPFILE bit keeps its kernel name.
    private static readonly FlagName[] Bits =
    [
        new(O_SYNC_BIT | O_DSYNC, "O_SYNC"),
        new(O_TMPFILE_BIT | O_DIRECTORY, "O_TMPFILE"),
        new(0x40, "O_CREAT"),          // 0100
        new(0x80, "O_EXCL"),           // 0200
        new(0x100, "O_NOCTTY"),        // 0400
        new(0x200, "O_TRUNC"),         // 01000
        new(0x400, "O_APPEND"),        // 02000
        new(O_NONBLOCK, "O_NONBLOCK"), // 04000
        new(O_DSYNC, "O_DSYNC"),       // 010000
        new(0x2000, "O_ASYNC"),        // 020000 (FASYNC)
        new(0x4000, "O_DIRECT"),       // 040000
        new(0x8000, "O_LARGEFILE"),    // 0100000
        new(O_DIRECTORY, "O_DIRECTORY"), // 0200000
        new(0x20000, "O_NOFOLLOW"),    // 0400000
        new(0x40000, "O_NOATIME"),     // 01000000
        new(0x80000, "O_CLOEXEC"),     // 02000000
        new(O_SYNC_BIT, "__O_SYNC"),   // 04000000
        new(O_PATH, "O_PATH"),         // 010000000
        new(O_TMPFILE_BIT, "__O_TMPFILE"), // 020000000
    ];

    /// <summary>Formats open/openat flags; the access mode is always named (O_ACCMODE for the invalid 3).</summary>
    public static string Format(uint flags)
    {
        string access = (flags & O_ACCMODE) switch
        {
            O_RDONLY => "O_RDONLY",
            O_WRONLY => "O_WRONLY",
            O_RDWR => "O_RDWR",
            _ => "O_ACCMODE",
        };
        uint rest = flags & ~O_ACCMODE;
        return rest == 0 ? access : access + "|" + FlagFormatter.Format(rest, Bits);
    }

    /// <summary>Flags without an access mode (fcntl F_SETFL, pipe2, the *_CLOEXEC of dup3): bits 0–1 show in hex.</summary>
    public static string FormatStatusFlags(uint flags) => FlagFormatter.Format(flags, Bits);

    /// <summary>
    /// The direction of an open (O_PATH opens neither read nor write). The FIFO case of the
    /// incident: fs/fifo.c fifo_open makes an O_RDONLY open wait for a writer and an O_WRONLY
    /// open wait for a reader ("wait_for_partner"), unless O_NONBLOCK; O_RDWR never waits.
    /// </summary>
    public static OpenDirection Direction(uint flags)
    {
        if ((flags & O_PATH) != 0) return OpenDirection.Neither;
        return (flags & O_ACCMODE) switch
        {
            O_RDONLY => OpenDirection.Read,
            O_WRONLY => OpenDirection.Write,
            O_RDWR => OpenDirection.ReadWrite,
            _ => OpenDirection.Neither,
        };
    }

    /// <summary>True when an open with these flags sleeps in fifo_open while the FIFO has no peer.</summary>
    public static bool WaitsForFifoPeer(uint flags) =>
        (flags & O_NONBLOCK) == 0 && Direction(flags) is OpenDirection.Read or OpenDirection.Write;
}
