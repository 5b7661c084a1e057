using System.Buffers.Binary;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>
/// What <c>coresleuth mem</c> reports: 8-byte words (gdb's <c>x/Ngx</c>) or C strings
/// (<c>x/Ns</c>) from the core's memory. Bytes the core does not hold are reported as
/// unavailable, with the reason, and never as zeros.
/// </summary>
public sealed record MemoryReport(
    string Schema, ReportCore Core, ReportProcess Process, Hex Address, string Kind, IReadOnlyList<MemoryWord>? Words, IReadOnlyList<MemoryString>? Strings,
    IReadOnlyList<string> Warnings)
{
    public const string WordsKind = "words", StringsKind = "strings";

    /// <summary>Upper bounds on --count, so a typo cannot ask for gigabytes of output.</summary>
    public const int MaxWords = 1 << 20, MaxStrings = 4096;

    /// <summary>Bytes read at most for one string; longer strings are shown cut, as gdb does with its print elements limit.</summary>
    public const int MaxStringBytes = 4096;

    /// <summary>True when at least one word or one string byte was available.</summary>
    public bool AnythingAvailable =>
        Words?.Any(w => w.Value is not null) == true || Strings?.Any(s => s.Status != CoreStringStatus.Unavailable) == true;

    /// <summary><paramref name="count"/> consecutive 8-byte little-endian words from <paramref name="address"/>.</summary>
    public static MemoryReport ReadWords(CoreFile core, string path, ulong address, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxWords);
        var words = new List<MemoryWord>(count);
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < count; i++)
        {
            ulong at = address + 8UL * (ulong)i;
            if (at < address) break; // wrapped past the top of the address space
            int got = core.Memory.Read(at, word);
            words.Add(got == 8
                ? new MemoryWord(at, BinaryPrimitives.ReadUInt64LittleEndian(word), null)
                : new MemoryWord(at, null, Explain(core, at + (ulong)got) ?? "unavailable"));
        }
        return new MemoryReport(ReportSchemas.Memory, ReportCore.Build(core, path), ReportProcess.Build(core), address, WordsKind, words, null, core.Warnings.ToList());
    }

    /// <summary>
    /// <paramref name="count"/> consecutive NUL-terminated strings from <paramref name="address"/>; each
    /// next one starts after the previous one's NUL. Stops at the first string that is not complete.
    /// </summary>
    public static MemoryReport ReadStrings(CoreFile core, string path, ulong address, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxStrings);
        var strings = new List<MemoryString>(count);
        ulong at = address;
        for (int i = 0; i < count; i++)
        {
            var s = core.Memory.ReadCString(at, MaxStringBytes);
            string? reason = s.Reason is null ? null : Explain(core, at + (ulong)s.Bytes.Length) ?? s.Reason;
            strings.Add(new MemoryString(at, s.Bytes.Length, s.Status, s.Text, Convert.ToHexString(s.Bytes).ToLowerInvariant(),
                TextSanitizer.Sanitize(s.Bytes, int.MaxValue), reason));
            if (s.Status != CoreStringStatus.Complete) break;
            at += (ulong)s.Bytes.Length + 1;
        }
        return new MemoryReport(ReportSchemas.Memory, ReportCore.Build(core, path), ReportProcess.Build(core), address, StringsKind, null, strings, core.Warnings.ToList());
    }

    /// <summary>
    /// Why the byte at <paramref name="address"/> is not in the core, told from the process's
    /// mappings (the VMMAP note, as <c>info</c> lists them) where the core has them: an address in
    /// no mapping was not mapped at all; one in a mapping that was not dumped says which mapping,
    /// and where its bytes are when it maps a file read-only. Null when the byte is available.
    /// </summary>
    public static string? Explain(CoreFile core, ulong address)
    {
        var why = core.Memory.Check(address);
        // Bytes past the end of the file are a truncated core whatever the mapping: said as the segment says it.
        if (why is Unavailability.None or Unavailability.PastEndOfFile || core.Process.Mappings.Count == 0) return core.Memory.Explain(address);
        var m = core.Process.Mappings.FirstOrDefault(m => m.Start <= address && address < m.End);
        if (m is null) return why == Unavailability.NotInCore ? $"0x{address:x} is not mapped" : core.Memory.Explain(address);
        bool file = m.Path.Length > 0;
        string what = file ? m.Path : m.Kind == MappingKind.Anonymous ? "anonymous" : MappingRow.TypeName(m);
        // Most telling first: a guard region has nothing to show, a read-only file's bytes are in the file
        // (the kernel marks such mappings not to be dumped too), anything else was excluded on purpose.
        string because =
            m.Protection == MappingProtection.None ? ": it allows no access (a guard region), so it has no contents to dump"
            : file && m.Kind == MappingKind.File && !m.CanWrite
                ? $": read-only file-backed text is not dumped; its bytes are those of {m.Path} at offset 0x{m.FileOffset + (address - m.Start):x} (analyze and bt read them with --sysroot)"
            : m.NoCoreDump ? ": it is marked not to be dumped (MAP_NOCORE or madvise MADV_NOCORE)"
            : "";
        return $"0x{address:x} is in the mapping 0x{m.Start:x}-0x{m.End:x} ({what}, {m.ProtectionText}) whose contents the core does not hold{because}";
    }
}

/// <summary>One 8-byte word; <see cref="Value"/> is null and <see cref="Unavailable"/> says why when the core lacks any of its bytes.</summary>
public sealed record MemoryWord(Hex Address, Hex? Value, string? Unavailable);

/// <summary>
/// One C string read from memory.
/// </summary>
/// <param name="Length">Bytes read, not counting the NUL.</param>
/// <param name="Status">Complete (NUL found), Truncated (no NUL within the bound), CutShort (memory ended first) or Unavailable.</param>
/// <param name="Text">The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD.</param>
/// <param name="BytesHex">The exact bytes as lowercase hex, so invalid UTF-8 can be recovered.</param>
/// <param name="Escaped">The bytes made safe for a terminal by <see cref="TextSanitizer"/> (invalid UTF-8 as <c>\xNN</c>).</param>
/// <param name="Unavailable">Why the string ends early or is missing; null when complete or truncated.</param>
public sealed record MemoryString(Hex Address, int Length, CoreStringStatus Status, string Text, string BytesHex, string Escaped, string? Unavailable);
