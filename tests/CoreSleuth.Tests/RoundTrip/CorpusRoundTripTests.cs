using CoreSleuth.FreeBsd;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;
using Xunit.Abstractions;
using W = CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// Real cores through both implementations: the reader decodes the core, <see cref="ReaderToWriter"/>
/// turns its model into a writer spec, and the independent writer must give back the PT_NOTE
/// segment — and the whole file — byte for byte. Any field the reader loses, misreads or
/// places at the wrong offset breaks the identity, and the message names the note and offset.
/// </summary>
public sealed class CorpusRoundTripTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cores() => Corpus.Amd64Cores();

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void NoteSegmentIsRewrittenByteForByteFromTheReadersModel(string name)
    {
        var raw = RawCore.Load(Corpus.Core(name));
        using var core = CoreFile.Open(Corpus.Core(name));
        var conversion = ReaderToWriter.Convert(core, withMemory: false);
        Report(conversion);

        var written = W.CoreWriter.WriteNotes(conversion.Spec);
        var difference = CoreDiff.NoteSegments(raw.NoteSegment, written);
        Assert.True(difference is null, $"{name}: {difference}");
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void OnlyBytesTheSpecLeavesUndescribedNeedRawTemplates(string name)
    {
        var raw = RawCore.Load(Corpus.Core(name));
        using var core = CoreFile.Open(Corpus.Core(name));
        var conversion = ReaderToWriter.Convert(core, withMemory: false);
        Report(conversion);

        // Expected from the file itself: a THRMISC whose bytes after the name's NUL are not all zero
        // (spec §3.5 gives them no meaning; the 11.0 kernel leaves stack bytes there). Every other
        // spare field and padding of the corpus cores is zero, so no other record may need a template.
        var expected = new List<string>();
        int lwp = 0;
        foreach (var n in RawCore.SplitNotes(raw.NoteSegment))
        {
            if (n.Type == NoteType.PrStatus) lwp = BitConverter.ToInt32(n.Descriptor, 40);
            if (n.Type == NoteType.ThrMisc && n.Descriptor.AsSpan(Array.IndexOf(n.Descriptor, (byte)0) + 1).ContainsAnyExcept((byte)0))
                expected.Add($"THRMISC {lwp}");
        }
        Assert.Equal(expected.Order(), conversion.TemplatedRecords.Order());

        // The writer's producer rules (thread note order, dump rule of spec §1.3) describe every corpus core unaided.
        Assert.Empty(conversion.Overrides);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void WholeFileIsRewrittenByteForByte(string name)
    {
        var raw = RawCore.Load(Corpus.Core(name));
        using var core = CoreFile.Open(Corpus.Core(name));
        var conversion = ReaderToWriter.Convert(core, withMemory: true);
        Report(conversion);
        // The bsi-* cores carry their memory; LLDB's were cut after the notes, which the spec states as OmitMemory.
        Assert.Equal(!raw.HasMemory, conversion.Spec.OmitMemory);
        if (raw.HasMemory)
            Assert.Contains(conversion.Spec.Mappings, m => !m.Contents.IsEmpty && m.Contents.Span.ContainsAnyExcept((byte)0));

        using var stream = new MemoryStream();
        W.CoreWriter.Write(conversion.Spec, stream);
        var difference = CoreDiff.Files(raw.Bytes, stream.ToArray());
        Assert.True(difference is null, $"{name}: {difference}");
    }

    private void Report(ReaderToWriter.Conversion conversion)
    {
        output.WriteLine($"templated records: {(conversion.TemplatedRecords.Count == 0 ? "none" : string.Join(", ", conversion.TemplatedRecords))}");
        output.WriteLine($"writer defaults overridden: {(conversion.Overrides.Count == 0 ? "none" : string.Join("; ", conversion.Overrides))}");
    }
}
