using System.Text.Json.Serialization;
using CoreSleuth.Analysis;
using CoreSleuth.FreeBsd;
using CoreSleuth.Memory;
using CoreSleuth.Model;

namespace CoreSleuth.Report;

/// <summary>What <c>coresleuth info</c> reports: the process as procstat and gdb's <c>info proc all</c> / <c>info auxv</c> show it.</summary>
public sealed record InfoReport(
    string Schema,
    ReportCore Core,
    ReportProcess Process,
    IReadOnlyList<OpenFileRow> OpenFiles,
    IReadOnlyList<MappingRow> Mappings,
    IReadOnlyList<AuxvRow> Auxv,
    IReadOnlyList<ResourceLimitRow> ResourceLimits,
    IReadOnlyList<uint> Groups,
    int? Umask,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Builds the report of <paramref name="core"/>, opened from <paramref name="path"/>.</summary>
    public static InfoReport Build(CoreFile core, string path)
    {
        var p = core.Process;
        var files = p.OpenFiles.Select(OpenFileRow.Of).ToList();

        var maps = p.Mappings.Select(m => new MappingRow(
            m.Start, m.End, m.Size, m.FileOffset, m.ProtectionText, m.FreeBsd?.FlagText ?? MappingRow.NoFlags, MappingRow.TypeName(m), m.Path,
            m.NoCoreDump, MappingCoverage.Of(core, m.Start, m.End))).ToList();

        var names = SystemConventions.Of(core).Auxv;
        var auxv = p.Auxv.Select(a => AuxvRow.Build(core.Memory, a, names.Describe(a.Type))).ToList();

        var limits = p.ResourceLimits.Select(r => new ResourceLimitRow(
            r.Resource, r.Name, r.Current, r.Maximum, r.Current == ResourceLimit.Infinity, r.Maximum == ResourceLimit.Infinity)).ToList();

        return new InfoReport(ReportSchemas.Info, ReportCore.Build(core, path), ReportProcess.Build(core),
            files, maps, auxv, limits, p.Groups, p.Umask, core.Warnings.ToList());
    }
}

/// <summary>One open descriptor (spec §5), as gdb's <c>info proc files</c> and procstat -f list it.</summary>
/// <param name="Fd">kf_fd: a descriptor number, or a negative special value (text −5, cwd −1…).</param>
/// <param name="Descriptor">"text", "cwd", "root", "jail", "trace", "ctty" or the number.</param>
/// <param name="FlagBits">kf_flags as a number; <paramref name="FlagNames"/> decodes it.</param>
/// <param name="Position">kf_offset, the file position, or null when it is −1 (not meaningful).</param>
public sealed record OpenFileRow(
    int Fd, string Descriptor, string Type, string Kind, int FlagBits, string FlagNames, string FlagLetters, long? Position, string Path)
{
    /// <summary>The row of a descriptor: the type number and open flags are kinfo_file's, so one without it has its kind as type and no flags.</summary>
    internal static OpenFileRow Of(OpenFile f)
    {
        int flags = f.FreeBsd?.Flags ?? 0;
        return new OpenFileRow(f.Descriptor, f.DescriptorName, f.FreeBsd is { } k ? KinfoFile.TypeName(k.Type) : f.Kind, f.Kind,
            flags, KinfoFile.FlagNames(flags), FreeBsdNames.FileFlagLetters(flags), f.Position, f.Path);
    }
}

/// <summary>
/// One mapping of the address space (spec §6), as gdb's <c>info proc mappings</c> shows it,
/// and whether the core holds its bytes.
/// </summary>
/// <param name="Flags">FreeBSD's four letters C(opy-on-write) N(eeds copy) S(uper pages) D(own-growing) or U(p); "-" where the system records none (Linux's NT_FILE).</param>
/// <param name="Type">FreeBSD's VM object type ("vnode", "default", "swap", "device"…); elsewhere the model's kind ("file", "anonymous", "device", "other").</param>
public sealed record MappingRow(
    Hex Start, Hex End, Hex Size, Hex Offset, string Protection, string Flags, string Type, string Path,
    bool NoCoreDump, MappingCoverage Coverage)
{
    /// <summary>The flags of a mapping whose system records none.</summary>
    public const string NoFlags = "-";

    /// <summary>How reports name what backs a mapping: FreeBSD's object type where the core has it, else the model's kind.</summary>
    public static string TypeName(Mapping m) => m.FreeBsd is { } k ? KinfoVmEntry.TypeName(k.Type) : Mapping.KindName(m.Kind);
}

/// <summary>How much of a mapping's bytes the core holds (spec §1.3).</summary>
/// <param name="State">"in core", "not dumped", "past EOF", or "partial" when parts differ, as the text report prints it.</param>
/// <param name="BytesInCore">Bytes of the mapping that can be read from the file.</param>
public sealed record MappingCoverage([property: JsonIgnore] string State, ulong BytesInCore, ulong BytesNotDumped, ulong BytesPastEof)
{
    /// <summary>The state as a JSON value: lowercase kebab-case like every value of the vocabulary ("in-core", "past-eof").</summary>
    [JsonPropertyName("state"), JsonPropertyOrder(-1)]
    public string JsonState => State.Replace(' ', '-').ToLowerInvariant();

    public const string InCore = "in core", NotDumped = "not dumped", PastEof = "past EOF", Partial = "partial";

    /// <summary>Measures [start, end) against the core's PT_LOAD segments and the file's length.</summary>
    public static MappingCoverage Of(CoreFile core, ulong start, ulong end)
    {
        if (end <= start) return new MappingCoverage(NotDumped, 0, 0, 0);
        ulong total = end - start, inCore = 0, pastEof = 0;
        ulong fileLength = (ulong)Math.Max(0, core.Source.Length);
        foreach (CoreSegment s in core.Memory.Segments)
        {
            ulong a = Math.Max(start, s.Start), b = Math.Min(end, s.End);
            if (a >= b) continue;
            // Bytes past p_filesz are not in the file image at all: they count as not dumped.
            ulong imageEnd = s.Start + s.FileSize;
            ulong ib = Math.Min(b, imageEnd);
            if (a >= ib) continue;
            ulong firstOffset = (ulong)s.FileOffset + (a - s.Start);
            ulong inFile = firstOffset >= fileLength ? 0 : Math.Min(ib - a, fileLength - firstOffset);
            inCore += inFile;
            pastEof += ib - a - inFile;
        }
        ulong notDumped = total - inCore - pastEof;
        string state = inCore == total ? InCore : pastEof == total ? PastEof : notDumped == total ? NotDumped : Partial;
        return new MappingCoverage(state, inCore, notDumped, pastEof);
    }
}

/// <summary>One auxiliary vector entry as gdb's <c>info auxv</c> prints it.</summary>
/// <param name="Display">The value in gdb's format for this type: decimal, hex, or hex followed by the quoted (sanitised) string or why it is unavailable.</param>
/// <param name="String">For an entry that points at a string (FreeBSD's AT_EXECPATH, Linux's AT_PLATFORM): the string read from memory, or null when it is not in the core.</param>
/// <param name="StringUnavailable">Why that string could not be read, or null.</param>
/// <param name="Number">a_type, the entry's number; <paramref name="Name"/> is its AT_ name.</param>
public sealed record AuxvRow(long Number, string Name, string Description, Hex Value, string Display, string? String, string? StringUnavailable)
{
    private const int MaxStringBytes = 4096;

    internal static AuxvRow Build(AddressSpace memory, AuxvEntry entry, AuxvType type)
    {
        string display;
        string? text = null, unavailable = null;
        switch (type.Format)
        {
            case AuxvValueFormat.Decimal:
                display = FreeBsdNames.Decimal(entry.Value);
                break;
            case AuxvValueFormat.String:
                var s = memory.ReadCString(entry.Value, MaxStringBytes);
                if (s.Status == CoreStringStatus.Complete) text = s.Text;
                else unavailable = s.Reason ?? $"no NUL within {MaxStringBytes} bytes";
                // gdb prints the address, then the string or "<error: Cannot access memory …>".
                display = text is not null ? $"{new Hex(entry.Value)} {TextSanitizer.Quote(text)}"
                    : $"{new Hex(entry.Value)} <unavailable: {TextSanitizer.SanitizeMessage(unavailable)}>";
                break;
            default:
                display = new Hex(entry.Value).ToString();
                break;
        }
        return new AuxvRow(entry.Type, type.Name, type.Description, entry.Value, display, text, unavailable);
    }
}

/// <summary>One resource limit; <see cref="ResourceLimit.Infinity"/> (2^63−1) is RLIM_INFINITY.</summary>
public sealed record ResourceLimitRow(int Resource, string Name, long Current, long Maximum, bool CurrentIsInfinity, bool MaximumIsInfinity);
