using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;
using W = CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// The round trips fail, and say where: a field lost on the way is reported with its note
/// (index, type, thread), its offset in the descriptor and in the structure, and both bytes.
/// The expected positions come from the spec's layouts (§3.2, §3.5, §4) and the note order of §2.3.
/// </summary>
public sealed class DifferenceReportTests
{
    private const ulong WaitChannel = 0xfffff800_12345678;

    /// <summary>A kernel core of two threads; LWP 100200 caused the dump, so its notes come first (spec §2.3).</summary>
    private static W.CoreSpec TwoThreads() => new()
    {
        Producer = W.CoreProducer.Kernel,
        OsRelDate = 1400097,
        SignalledLwp = 100200,
        Threads =
        [
            new W.ThreadSpec { Lwp = 100100, Name = "main", Registers = new W.Registers { Rip = 0x401234 } },
            new W.ThreadSpec { Lwp = 100200, Name = "loader", Kinfo = new W.ThreadKinfo { WaitMessage = "fifoor", WaitChannel = WaitChannel } },
        ],
        Mappings = [W.MappingSpec.Anonymous(0x8_0000_0000, 0x2000, Enumerable.Range(0, 64).Select(i => (byte)(i + 1)).ToArray())],
    };

    private static (byte[] File, W.CoreSpec Converted) ReadBack(W.CoreSpec spec)
    {
        var file = W.CoreWriter.WriteToArray(spec);
        using var core = CoreFile.Load(ByteSource.FromBytes(file, "two-threads.core"));
        return (file, ReaderToWriter.ToSpec(core));
    }

    private static W.CoreSpec WithThread(W.CoreSpec spec, int lwp, Func<W.ThreadSpec, W.ThreadSpec> change) =>
        spec with { Threads = spec.Threads.Select(t => t.Lwp == lwp ? change(t) : t).ToArray() };

    [Fact]
    public void TheUnchangedConversionIsIdentical()
    {
        var (file, converted) = ReadBack(TwoThreads());
        Assert.Null(CoreDiff.Files(file, W.CoreWriter.WriteToArray(converted)));
    }

    [Fact]
    public void ALostWaitChannelIsNamedByNoteRecordAndOffset()
    {
        var (file, converted) = ReadBack(TwoThreads());
        var lossy = WithThread(converted, 100200, t => t with { Kinfo = t.Kinfo with { WaitChannel = 0 } });
        var message = CoreDiff.NoteSegments(new RawCore(file).NoteSegment, W.CoreWriter.WriteNotes(lossy));

        // Notes: PRPSINFO, then 5 per thread (PRSTATUS FPREGSET THRMISC PTLWPINFO XSTATE) for 2 threads, then PROC = note 11.
        // kinfo_proc records are in p_threads order: LWP 100200 is record 1; ki_wchan is at offset 64 (spec §4).
        Assert.NotNull(message);
        Assert.Contains("note 11 NT_PROCSTAT_PROC", message);
        Assert.Contains($"descriptor offset {4 + 1088 + 64} ", message);
        Assert.Contains("kinfo_proc record 1, offset 64", message);
        Assert.Contains($"original 0x{WaitChannel & 0xff:x2}, written 0x00", message);
    }

    [Fact]
    public void ALostRegisterIsNamedByThreadAndStructRegOffset()
    {
        var (file, converted) = ReadBack(TwoThreads());
        var lossy = WithThread(converted, 100100, t => t with { Registers = t.Registers with { Rip = 0 } });
        var message = CoreDiff.NoteSegments(new RawCore(file).NoteSegment, W.CoreWriter.WriteNotes(lossy));

        // LWP 100100 is written second: its NT_PRSTATUS is note 6; rip is at 48 + 136 = 184 (spec §3.1, §3.2).
        Assert.NotNull(message);
        Assert.Contains("note 6 NT_PRSTATUS", message);
        Assert.Contains("of thread LWP 100100", message);
        Assert.Contains("descriptor offset 184 ", message);
        Assert.Contains("struct reg offset 136", message);
        Assert.Contains("original 0x34, written 0x00", message);
    }

    [Fact]
    public void LostMemoryIsNamedBySegmentAndOffset()
    {
        var (file, converted) = ReadBack(TwoThreads());
        var lossy = converted with { Mappings = converted.Mappings.Select(m => m with { Contents = m.Contents[..0x10] }).ToArray() };
        var message = CoreDiff.Files(file, W.CoreWriter.WriteToArray(lossy));

        // Program header 0 is the PT_NOTE, 1 the only PT_LOAD (spec §1.2); contents byte 0x10 was 0x11.
        Assert.NotNull(message);
        Assert.Contains("PT_LOAD #1 (vaddr 0x800000000) at +0x10", message);
        Assert.Contains("original 0x11, written 0x00", message);
    }

    public static TheoryData<string> Cores() => Corpus.Amd64Cores();

    /// <summary>
    /// Without the bytes <see cref="ThrMisc"/> keeps after the name's NUL, the 11.0 kernel cores
    /// do not round-trip, and the report points at the first of them (spec §3.5).
    /// </summary>
    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void WithoutTheThrMiscTailTheRoundTripFailsWhereTheTailIs(string name)
    {
        var raw = RawCore.Load(Corpus.Core(name));
        using var core = CoreFile.Open(Corpus.Core(name));
        var spec = ReaderToWriter.Convert(core, withMemory: false).Spec;
        var withoutTails = spec with { Threads = spec.Threads.Select(t => t with { ThrMiscRaw = null }).ToArray() };
        var message = CoreDiff.NoteSegments(raw.NoteSegment, W.CoreWriter.WriteNotes(withoutTails));

        var notes = RawCore.SplitNotes(raw.NoteSegment);
        var tailed = notes.FirstOrDefault(n => n.Type == NoteType.ThrMisc && n.Descriptor.AsSpan(Array.IndexOf(n.Descriptor, (byte)0) + 1).ContainsAnyExcept((byte)0));
        if (tailed is null)
        {
            Assert.Null(message); // nothing after the names: the templates were never needed
            return;
        }
        int k = Array.IndexOf(tailed.Descriptor, (byte)0) + 1;
        while (tailed.Descriptor[k] == 0) k++;
        int lwp = BitConverter.ToInt32(notes.Last(n => n.Index < tailed.Index && n.Type == NoteType.PrStatus).Descriptor, 40);
        Assert.NotNull(message);
        Assert.Contains($"note {tailed.Index} NT_THRMISC", message);
        Assert.Contains($"of thread LWP {lwp}", message);
        Assert.Contains($"descriptor offset {k} ", message);
        Assert.Contains($"original 0x{tailed.Descriptor[k]:x2}, written 0x00", message);
    }
}
