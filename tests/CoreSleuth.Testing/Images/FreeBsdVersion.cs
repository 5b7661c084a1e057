namespace CoreSleuth.Testing.Images;

/// <summary>
/// A FreeBSD release as far as the process image depends on it: syscall numbers, libthr's
/// struct layout, the top of the user stack and the auxiliary vector.
/// </summary>
public sealed record FreeBsdVersion(int Major, int Minor)
{
    public static readonly FreeBsdVersion V10_4 = new(10, 4);
    public static readonly FreeBsdVersion V11_4 = new(11, 4);
    public static readonly FreeBsdVersion V12_4 = new(12, 4);
    public static readonly FreeBsdVersion V13_5 = new(13, 5);
    public static readonly FreeBsdVersion V14_2 = new(14, 2);

    /// <summary>__FreeBSD_version of a release build (e.g. 1305000 for 13.5; the real 13.5
    /// libthr.so.3 carries 0x13e9a8 = 1305000 in its ABI tag note). Settable for releases whose
    /// value is not Major·100000 + Minor·1000 (14.0-RELEASE is 1400097).</summary>
    public int OsRelDate { get; init; } = Major * 100000 + Minor * 1000;

    /// <summary>open(2) is syscall 5 on 10.x; from 11.0 libc's open() calls openat(AT_FDCWD, …) = 499 (spec §7.4).</summary>
    public int OpenSyscall => Major >= 11 ? 499 : 5;

    public bool OpenUsesOpenat => Major >= 11;

    /// <summary>kevent is 363 up to 11.x (COMPAT11) and 560 from 12 (spec §7.4).</summary>
    public int KeventSyscall => Major >= 12 ? 560 : 363;

    /// <summary>USRSTACK: 0x7ffffffff000 on 10–12 (corpus core bsi-01c3190a, 11.0), 0x7fffffffe000
    /// on 13/14 (corpus cores lldb-x86-64-freebsd13/-14-multithread: the shared page moved down one page).</summary>
    public ulong UserStackTop => Major >= 13 ? 0x7fffffffe000UL : 0x7ffffffff000UL;

    /// <summary>The shared page (signal trampoline, timekeep) sits right above USRSTACK.</summary>
    public ulong SharedPageStart => UserStackTop;

    public ulong SharedPageEnd => Major >= 13 ? 0x7ffffffff000UL : 0x800000000000UL;

    /// <summary>ps_strings = USRSTACK − sizeof(struct ps_strings) (32 bytes); the corpus cores show
    /// 0x7fffffffefe0 (11.0) and 0x7fffffffdfe0 (13/14).</summary>
    public ulong PsStringsAddress => UserStackTop - 32;

    public LibthrLayout Libthr => LibthrLayout.For(this);

    public override string ToString() => $"{Major}.{Minor}";
}
