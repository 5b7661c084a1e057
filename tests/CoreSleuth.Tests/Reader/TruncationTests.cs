using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Memory;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// Every amd64 corpus core cut short at 25/50/75 %, at every note header and descriptor start
/// and inside the ELF header and program header table: the reader never throws anything but
/// <see cref="CoreFormatException"/> (and that only when the ELF header itself is cut), never
/// hangs, keeps exactly the threads whose NT_PRSTATUS is complete (and refuses a copy with none
/// as malformed, naming where the file ends), names the end of the file in a warning, says the
/// notes are cut in <see cref="CoreFile.Completeness"/>, and reports memory past the end as
/// unavailable, never as zeros.
/// </summary>
public sealed class TruncationTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("coresleuth-truncated-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> Cores() => Corpus.Amd64Cores();

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void TruncatedCopiesLoadPartially(string coreName)
    {
        string path = Corpus.Core(coreName);
        byte[] bytes = File.ReadAllBytes(path);
        using var whole = CoreFile.Open(path);
        Assert.NotEmpty(whole.Threads);

        var cuts = new SortedSet<long> { bytes.Length / 4, bytes.Length / 2, bytes.Length * 3L / 4 };
        foreach (var note in whole.Elf.Notes) { cuts.Add(note.FileOffset); cuts.Add(note.DescriptorFileOffset); cuts.Add(note.DescriptorFileOffset + 1); }
        foreach (long c in (long[])[0, 1, 4, 15, 16, 17, 40, 63, 64, 65, 64 + 56 - 1, 64 + 56, 64 + 56 + 30, 64 + 56 * 2 + 7])
            cuts.Add(c);
        var note0 = whole.Elf.ProgramHeaders.First(p => p.IsNote);
        cuts.Add((long)note0.Offset + (long)note0.FileSize - 1);
        foreach (var s in whole.Memory.Segments.Take(3)) { cuts.Add(s.FileOffset); cuts.Add(s.FileOffset + 100); }
        cuts.RemoveWhere(c => c >= bytes.Length);

        foreach (long cut in cuts)
            CheckCut(whole, bytes, cut);
    }

    private void CheckCut(CoreFile whole, byte[] bytes, long cut)
    {
        string copy = Path.Combine(dir, $"cut-{cut}.core");
        File.WriteAllBytes(copy, bytes.AsSpan(0, (int)cut).ToArray());

        var load = Task.Run(() =>
        {
            try { return (Core: CoreFile.Open(copy), Error: (Exception?)null); }
            catch (Exception e) { return (Core: (CoreFile?)null, Error: e); }
        });
        Assert.True(load.Wait(TimeSpan.FromSeconds(30)), $"loading the copy cut at 0x{cut:x} did not finish within 30 s");
        var (core, error) = load.Result;

        if (cut < 64)
        {
            // Only a cut ELF header is fatal, and only as a format error naming what is missing.
            var format = Assert.IsType<CoreFormatException>(error);
            Assert.Contains("ELF", format.Message);
            return;
        }
        int completeStatuses = whole.Elf.Notes.Count(n => n.Type == NoteType.PrStatus && n.DescriptorFileOffset + n.Descriptor.Length <= cut);
        if (completeStatuses == 0)
        {
            // No thread left: a malformed core, refused with where the file ends, never a clean report of 0 threads.
            var format = Assert.IsType<CoreFormatException>(error);
            Assert.Contains($"0x{cut:x}", format.Message);
            Assert.Contains("no threads", format.Message);
            return;
        }
        Assert.True(error is null, $"cut at 0x{cut:x}: {error}");
        using (core)
        {
            var notes = whole.Elf.ProgramHeaders.First(p => p.IsNote);
            if (cut < (long)notes.Offset + (long)notes.FileSize)
            {
                Assert.False(core!.Completeness.AllThreadsRead, $"cut at 0x{cut:x}, inside the notes, yet all threads count as read");
                Assert.Equal(cut, core.Completeness.NotesCutAt);
                Assert.Equal((long)notes.Offset + (long)notes.FileSize - cut, core.Completeness.NoteBytesMissing);
            }
            else Assert.True(core!.Completeness.AllThreadsRead, $"cut at 0x{cut:x}, after the notes, yet threads count as lost");
            Assert.Contains(core!.Warnings, w => w.Contains($"0x{cut:x}", StringComparison.Ordinal));

            // The threads whose NT_PRSTATUS lies wholly before the cut, with the same registers.
            var complete = whole.Elf.Notes.Where(n => n.Type == NoteType.PrStatus && n.DescriptorFileOffset + n.Descriptor.Length <= cut).ToList();
            Assert.True(complete.Count == core.Threads.Count,
                $"cut at 0x{cut:x}: {complete.Count} complete NT_PRSTATUS notes but {core.Threads.Count} threads; warnings: {string.Join(" | ", core.Warnings)}");
            for (int i = 0; i < core.Threads.Count; i++)
            {
                Assert.Equal(whole.Threads[i].Lwp, core.Threads[i].Lwp);
                Assert.Equal(whole.Threads[i].Registers, core.Threads[i].Registers);
                var fpNote = whole.Elf.Notes.SkipWhile(n => n.FileOffset != complete[i].FileOffset).Skip(1)
                    .TakeWhile(n => n.Type != NoteType.PrStatus).Cast<ElfNote?>().FirstOrDefault(n => n!.Value.Type == NoteType.FpRegSet);
                if (fpNote is { } fp && fp.DescriptorFileOffset + fp.Descriptor.Length <= cut)
                    Assert.Equal(whole.Threads[i].FpState!.Xmm.SelectMany(x => x), core.Threads[i].FpState!.Xmm.SelectMany(x => x));
            }
            // A truncated note segment must not pass for a gdb core (no THRMISC / PROCSTAT_PROC seen).
            Assert.NotEqual(CoreProducer.Gdb, core.Producer);

            // Memory: bytes before the cut read as in the whole core, bytes past it are unavailable.
            foreach (var s in whole.Memory.Segments)
            {
                foreach (ulong address in (ulong[])[s.Start, s.Start + s.Size / 2, s.End - 1])
                {
                    if (whole.Memory.Check(address) != Unavailability.None) continue;
                    long fileOffset = s.FileOffset + (long)(address - s.Start);
                    var buffer = new byte[1];
                    if (fileOffset < cut && core.Memory.Segments.Count == whole.Memory.Segments.Count)
                    {
                        Assert.Equal(Unavailability.None, core.Memory.Check(address));
                        Assert.Equal(1, core.Memory.Read(address, buffer));
                        Assert.Equal(bytes[fileOffset], buffer[0]);
                    }
                    else if (fileOffset >= cut)
                    {
                        var why = core.Memory.Check(address);
                        Assert.True(why is Unavailability.PastEndOfFile or Unavailability.NotInCore, $"0x{address:x} past the cut reads as {why}");
                        Assert.Equal(0, core.Memory.Read(address, buffer));
                        Assert.False(core.Memory.TryReadUInt64(address, out _));
                        if (core.Memory.Segments.Count == whole.Memory.Segments.Count) Assert.Equal(Unavailability.PastEndOfFile, why);
                    }
                }
            }
        }
        File.Delete(copy);
    }

    [CorpusTheory]
    [MemberData(nameof(Cores))]
    public void ReadsAcrossTheCutStopAtTheLastByteInTheFile(string coreName)
    {
        string path = Corpus.Core(coreName);
        byte[] bytes = File.ReadAllBytes(path);
        using var whole = CoreFile.Open(path);
        var segment = whole.Memory.Segments.FirstOrDefault(s => whole.Memory.Check(s.Start) == Unavailability.None && s.Size >= 64);
        if (segment is null)
        {
            // Stripped cores: nothing of any PT_LOAD is in the file to begin with.
            Assert.All(whole.Memory.Segments, s => Assert.Equal(Unavailability.PastEndOfFile, whole.Memory.Check(s.Start)));
            return;
        }
        long cut = segment.FileOffset + 40;
        using var core = CoreFile.Load(ByteSource.FromBytes(bytes[..(int)cut], "cut.core"));
        var buffer = new byte[64];
        Assert.Equal(40, core.Memory.Read(segment.Start, buffer));
        Assert.Equal(bytes.AsSpan((int)segment.FileOffset, 40).ToArray(), buffer[..40]);
        Assert.False(core.Memory.TryRead(segment.Start, buffer));
        Assert.Equal(Unavailability.None, core.Memory.Check(segment.Start + 39));
        Assert.Equal(Unavailability.PastEndOfFile, core.Memory.Check(segment.Start + 40));
        Assert.Contains("past the end of the file", core.Memory.Explain(segment.Start + 40));
        var s = core.Memory.ReadCString(segment.Start + 40);
        Assert.Equal(CoreStringStatus.Unavailable, s.Status);
    }
}
