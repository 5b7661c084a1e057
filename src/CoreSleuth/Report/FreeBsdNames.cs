using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>FreeBSD names for numbers a core holds (signals, file flags, auxv value formats).</summary>
public static class FreeBsdNames
{
    /// <summary>"SIGSEGV" for 11; "SIGRTMIN+2" for 67; "signal N" otherwise; null for 0.</summary>
    public static string? SignalName(int signal) => FreeBsd.Signals.Name(signal);

    public static string? SignalDescription(int signal) => FreeBsd.Signals.Description(signal);

    /// <summary>
    /// gdb's nine-letter descriptor flags of <c>info proc files</c> (fbsd-tdep.c): r(ead) w(rite)
    /// x (exec) a(ppend) s (async) f(sync) n(onblock) d(irect) l (has lock); kf_flags bits of spec §5.
    /// </summary>
    public static string FileFlagLetters(int flags)
    {
        ReadOnlySpan<(int Bit, char Letter)> letters =
            [(0x1, 'r'), (0x2, 'w'), (0x4000, 'x'), (0x4, 'a'), (0x8, 's'), (0x10, 'f'), (0x20, 'n'), (0x40, 'd'), (0x80, 'l')];
        var chars = new char[letters.Length];
        for (int i = 0; i < letters.Length; i++) chars[i] = (flags & letters[i].Bit) != 0 ? letters[i].Letter : '-';
        return new string(chars);
    }

    /// <summary>How gdb's <c>info auxv</c> shows an entry's value on FreeBSD (gdb's default and fbsd print_auxv_entry formats).</summary>
    public static AuxvValueFormat AuxvFormat(long type) => type switch
    {
        15 => AuxvValueFormat.String,                                  // AT_EXECPATH
        2 or 4 or 5 or 6 or 10 or 11 or 12 or 13 or 14 => AuxvValueFormat.Decimal, // EXECFD PHENT PHNUM PAGESZ NOTELF UID EUID GID EGID
        17 or 18 or 19 or 21 or 28 or 30 or 36 => AuxvValueFormat.Decimal,  // CANARYLEN OSRELDATE NCPUS PAGESIZESLEN ARGC ENVC USRSTACKLIM
        _ => AuxvValueFormat.Hex,
    };

    internal static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
    internal static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}

public enum AuxvValueFormat
{
    Hex,
    Decimal,
    String,
}
