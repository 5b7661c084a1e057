using CoreSleuth.Elf;
using CoreSleuth.Model;
using CsCheck;
using W = CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.RoundTrip;

/// <summary>
/// Writer → reader → writer on generated specs: a core written from a random spec, read by the
/// reader and converted back must be written again byte for byte. Every field the writer sets
/// has to be found by the reader at the offset the writer put it, and the converter has to give
/// it back — so a disagreement about any offset, width, version rule or note order fails here,
/// on either side.
/// </summary>
public sealed class WriterReaderWriterTests
{
    [Fact]
    public void GeneratedCoresAreWrittenAgainByteForByteFromWhatTheReaderDecoded()
    {
        GeneratedSpecs.Specs.Sample(RoundTrip, iter: 400, print: GeneratedSpecs.Describe);
    }

    [Fact]
    public void EveryProducerVariantIsCovered()
    {
        // The generator must reach every producer and variant listed here, or the property above proves less than it claims.
        var seen = new HashSet<string>();
        GeneratedSpecs.Specs.Sample(spec =>
        {
            lock (seen)
            {
                seen.Add($"{spec.Producer}");
                if (spec.Producer == W.CoreProducer.Gcore && spec.OsRelDate < 1100000) seen.Add("gcore 10.x");
                if (spec.Producer == W.CoreProducer.Gcore && spec.OsRelDate >= 1101000) seen.Add("gcore 11.1+");
                if (spec.Producer == W.CoreProducer.Gcore && spec.OsRelDate >= 1400000) seen.Add("gcore 14");
                if (spec.Producer == W.CoreProducer.Gdb && spec.Gdb.GenericNoteName == "CORE") seen.Add("gdb CORE");
                if (spec.Producer == W.CoreProducer.Gdb && spec.Gdb.GenericNoteName == "FreeBSD") seen.Add("gdb FreeBSD");
                if (spec.Producer == W.CoreProducer.Kernel && spec.ThreadNoteOrder is not null) seen.Add("kernel order");
                if (spec.Producer == W.CoreProducer.Kernel && !spec.PackFileInfo) seen.Add("kernel unpacked");
                if (spec.Threads.Any(t => t.Name is { Length: >= 16 and <= 19 })) seen.Add("long names");
                if (spec.Threads.Any(t => t.Kinfo.WaitMessage.Length > 0)) seen.Add("wait messages");
                if (spec.Threads.Any(t => t.XSave is { YmmHigh.Count: 16 })) seen.Add("avx");
                if (spec.OpenFiles.Any(f => f.Path.Length > 1023)) seen.Add("long paths");
                if (spec.OpenFiles.Count >= 40 && spec.Mappings.Count >= 25) seen.Add("many files and mappings");
            }
        }, iter: 400, threads: 1);
        string[] wanted =
        [
            "Gcore", "Kernel", "Gdb", "gcore 10.x", "gcore 11.1+", "gcore 14", "gdb CORE", "gdb FreeBSD", "kernel order", "kernel unpacked",
            "long names", "wait messages", "avx", "long paths", "many files and mappings",
        ];
        Assert.Empty(wanted.Except(seen));
    }

    private static void RoundTrip(W.CoreSpec spec)
    {
        var first = W.CoreWriter.WriteToArray(spec);
        using var core = CoreFile.Load(ByteSource.FromBytes(first, "generated.core"));
        var again = W.CoreWriter.WriteToArray(ReaderToWriter.ToSpec(core));
        var difference = CoreDiff.Files(first, again);
        Assert.True(difference is null, $"{difference}; reader warnings: {(core.Warnings.Count == 0 ? "none" : string.Join(" | ", core.Warnings))}");
    }
}
