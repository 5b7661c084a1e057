using System.Globalization;

namespace CoreSleuth.Report;

/// <summary>FreeBSD names for numbers a core holds (signals, file flags).</summary>
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

    internal static string Decimal(long value) => value.ToString(CultureInfo.InvariantCulture);
    internal static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
