namespace CoreSleuth.FreeBsd.WaitMessages;

/// <summary>What kind of thing a thread sleeping with a wait message is waiting for.</summary>
public enum WaitCategory
{
    NotSleeping,
    Fifo,
    Pipe,
    Socket,
    Poll,
    Sleep,
    ThreadSync,
    Signal,
    Child,
    Lock,
    DiskIo,
    FilesystemLock,
    Tty,
    Other,
}

/// <summary>How far a catalogue entry can be trusted (spec §8.2 marks).</summary>
public enum WaitMessageSource
{
    /// <summary>"V": the string was checked in FreeBSD source by the spec.</summary>
    Verified,
    /// <summary>"M": listed by the spec but not re-checked in source.</summary>
    NotRechecked,
    /// <summary>Not in the spec: added from knowledge of FreeBSD, not checked in source.</summary>
    NotInSpec,
    /// <summary>The message is not in the catalogue at all.</summary>
    Unknown,
}

/// <summary>
/// A wait message (<c>ki_wmesg</c>, at most 8 characters; spec §8) and what it means.
/// <see cref="FullName"/> is the kernel's untruncated string when it is longer than 8
/// characters and known. <see cref="Interruptible"/> tells whether the sleep uses PCATCH (a
/// signal, and thus a kernel core dump, aborts it; spec §7.3); null when not known.
/// <see cref="TypicalSyscalls"/> names the calls that usually sleep with it.
/// </summary>
public sealed record WaitMessageInfo(
    string WaitMessage,
    string? FullName,
    string Meaning,
    WaitCategory Category,
    bool? Interruptible,
    WaitMessageSource Source,
    IReadOnlyList<string> TypicalSyscalls)
{
    /// <summary>False for the generic entry returned for a message the catalogue lacks.</summary>
    public bool IsKnown => Source != WaitMessageSource.Unknown;
}
