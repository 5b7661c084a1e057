using System.Text;
using CoreSleuth.Analysis.Libthr;
using CoreSleuth.Diagnostics;
using CoreSleuth.Model;

namespace CoreSleuth.Analysis.MySql;

/// <summary>A printable string found in the process's memory around an occurrence of a needle.</summary>
/// <param name="Quoted">
/// Whether the needle stands between two equal quotes inside a longer text: a string literal of a
/// statement (<c>LOAD DATA INFILE '/tmp/f.fifo' …</c>), which is what the search is for.
/// </param>
public sealed record MemoryTextHit(ulong Address, ulong StringStart, string Text, bool Truncated, bool Quoted = false);

/// <summary>
/// The outcome of one search of the writable memory for several needles (blocked-open paths):
/// the text around each occurrence, and how much of the memory was read before the search stopped.
/// </summary>
/// <param name="BytesSearched">Bytes read; less than <paramref name="BytesWritable"/> when the byte limit stopped the search.</param>
/// <param name="BytesWritable">Writable anonymous memory in the core (what a complete search reads).</param>
/// <param name="Limit">The byte limit the search ran with.</param>
public sealed record MemoryTextSearch(IReadOnlyDictionary<string, IReadOnlyList<MemoryTextHit>> Hits, long BytesSearched, long BytesWritable, long Limit)
{
    public static MemoryTextSearch Empty { get; } = new(new Dictionary<string, IReadOnlyList<MemoryTextHit>>(), 0, 0, 0);

    /// <summary>Whether the byte limit stopped the search before it had read all writable memory, with a needle still unanswered.</summary>
    public bool Stopped => BytesSearched < BytesWritable && Hits.Values.Any(h => !MemoryText.Answered(h));

    public IReadOnlyList<MemoryTextHit> Mentioning(string needle) => Hits.TryGetValue(needle, out var hits) ? hits : [];
}

/// <summary>
/// Searches the writable memory of the core for byte strings (e.g. FIFO paths) and returns the
/// printable text around each occurrence — typically the statement (<c>LOAD DATA INFILE '…'</c>)
/// that mentions it. One pass for all needles, read from the file in 64 KiB chunks, smallest
/// mappings first (heaps before a buffer pool) and thread stacks last, and at most a byte limit of memory:
/// the time of an analysis must not grow with the size of the core. A needle is no longer looked
/// for once it is answered: found quoted in a statement, or <see cref="MaxHitsPerNeedle"/> times.
/// </summary>
public static class MemoryText
{
    public const int MaxContext = 1024;

    public const int MaxHitsPerNeedle = 8;

    /// <summary>
    /// Whether a needle's hits answer the search: one is a statement's literal, or there are as many
    /// as are kept. Further copies of a path (a network buffer, the query cache) name no other session,
    /// and looking for them read the whole byte limit on every analysis (45 ms of 83 at 500 threads).
    /// </summary>
    public static bool Answered(IReadOnlyList<MemoryTextHit> hits) =>
        hits.Count >= MaxHitsPerNeedle || hits.Any(h => h.Quoted);

    /// <summary>Default byte limit of a search: all of a typical heap, a bounded part of a large buffer pool.</summary>
    public const long DefaultLimit = 256L << 20;

    // 64 KiB: a chunk read is still searched while in the cache, and the buffer stays off the
    // large-object heap. The 1,000-thread analysis ran 0.19–0.20 s against 0.21 s with 1 MiB chunks.
    private const int Chunk = 1 << 16;

    /// <summary>Searches for every needle in one pass, reading at most <paramref name="limit"/> bytes (smallest mappings first).</summary>
    public static MemoryTextSearch Find(CoreFile core, IReadOnlyCollection<string> needles, long limit = DefaultLimit) =>
        Start(core, needles, limit).Run();

    /// <summary>A search to <see cref="Search.Run"/> on one thread, which another thread may <see cref="Search.Help"/>.</summary>
    /// <param name="progress">Told the bytes searched of those the search plans to read, every MiB or so, by <see cref="Search.Run"/>'s thread.</param>
    public static Search Start(CoreFile core, IReadOnlyCollection<string> needles, long limit = DefaultLimit, IProgress<WorkProgress>? progress = null) =>
        new(core, needles, limit, progress);

    /// <summary>
    /// One search. <see cref="Run"/> goes through the chunks in order and decides everything (which
    /// occurrences are kept, when a needle has enough, when to stop), exactly as one thread alone
    /// would. <see cref="Help"/>, on another thread, takes chunks from the far end and only reads
    /// them and notes where each needle occurs; <see cref="Run"/> then uses those notes instead of
    /// reading the chunk. The outcome is the same with or without help.
    /// </summary>
    public sealed class Search
    {
        // What Help leaves for Run, per chunk.
        private const int Free = 0, Running = 1, Helping = 2, Helped = 3;

        /// <summary>A helped chunk with more occurrences than this is left for Run to search itself.</summary>
        private const int MaxNotedOccurrences = 4096;

        private readonly CoreFile core;
        private readonly List<Needle> needles;
        private readonly List<byte[]> anchors;
        private readonly int overlap;
        private readonly List<(ulong At, int Want, int Advance)> chunks = [];
        private readonly long writable;
        private readonly long limit;
        private readonly int[] states;
        private readonly List<(int Anchor, int Position, uint Needles)>?[] notes;
        private volatile bool finished;
        private readonly IProgress<WorkProgress>? progress;
        private long planned;

        internal Search(CoreFile core, IReadOnlyCollection<string> needles, long limit, IProgress<WorkProgress>? progress = null)
        {
            this.core = core;
            this.limit = limit;
            this.progress = progress;
            this.needles = needles.Where(n => n.Length > 0).Distinct(StringComparer.Ordinal)
                .Select((n, i) => new Needle(n, Encoding.UTF8.GetBytes(n), i)).ToList();
            // A statement is in the heap (THD's query string, the network buffer), never on a stack:
            // thread stacks go last, or a few thousand of them would fill the limit before any heap.
            var stackPointers = core.Threads.Select(t => t.Registers.Rsp).Order().ToArray();
            var regions = SignatureScan.Regions(core).OrderBy(r => HoldsAStackPointer(stackPointers, r.Start, r.End))
                .ThenBy(r => r.End - r.Start).ThenBy(r => r.Start).ToList();
            writable = regions.Sum(r => (long)(r.End - r.Start));
            anchors = Anchors(this.needles);
            overlap = this.needles.Count == 0 ? 0 : this.needles.Max(n => n.Bytes.Length) - 1;
            if (this.needles.Count > 0) Plan(regions);
            states = new int[chunks.Count];
            notes = new List<(int, int, uint)>?[chunks.Count];
        }

        /// <summary>
        /// The chunks one pass reads, in order, up to the limit: what a chunk holds depends only on
        /// where the segments and the file end, so it is known before anything is read.
        /// </summary>
        private void Plan(List<(ulong Start, ulong End)> regions)
        {
            foreach (var (start, end) in regions)
            {
                for (ulong at = start; at < end && planned < limit;)
                {
                    int want = (int)Math.Min(Math.Min(Chunk, limit - planned) + overlap, (long)Math.Min(end - at, int.MaxValue));
                    int available = core.Memory.AvailableWithoutMapping(at, want);
                    if (available == 0)
                    {
                        // Not in the core here: skip to the next segment that covers the range.
                        var next = core.Memory.Segments.FirstOrDefault(s => s.Start > at && s.Start < end);
                        if (next is null) break;
                        at = next.Start;
                        continue;
                    }
                    // Occurrences starting in the overlap are found by the next chunk.
                    int advance = (int)Math.Min(Math.Min(available, Chunk), limit - planned);
                    chunks.Add((at, want, advance));
                    planned += advance;
                    at += (ulong)advance;
                }
            }
        }

        private static bool HoldsAStackPointer(ulong[] sorted, ulong start, ulong end)
        {
            int i = Array.BinarySearch(sorted, start);
            if (i < 0) i = ~i;
            return i < sorted.Length && sorted[i] < end;
        }

        private const string ProgressStep = "statement search";

        /// <summary>The whole search, on this thread; chunks another thread has helped with are not read again.</summary>
        public MemoryTextSearch Run()
        {
            var pending = new List<Needle>(needles);
            var hits = needles.ToDictionary(n => n.Text, _ => new List<MemoryTextHit>(), StringComparer.Ordinal);
            var seen = new HashSet<(string, ulong)>();
            long searched = 0;
            var buffer = GC.AllocateUninitializedArray<byte>(Chunk + overlap);
            try
            {
                for (int c = 0; c < chunks.Count && pending.Count > 0; c++)
                {
                    var (at, _, advance) = chunks[c];
                    if (Interlocked.CompareExchange(ref states[c], Running, Free) != Free)
                    {
                        var wait = new SpinWait();
                        while (Volatile.Read(ref states[c]) == Helping) wait.SpinOnce();
                    }
                    if (Volatile.Read(ref states[c]) == Helped)
                        Replay(at, advance, notes[c] ?? [], pending, hits, seen);
                    else
                    {
                        var span = ReadChunk(c, buffer, out advance);
                        foreach (var anchor in anchors)
                        {
                            for (int from = 0; from < advance && pending.Count > 0;)
                            {
                                int i = span[from..].IndexOf(anchor);
                                if (i < 0 || from + i >= advance) break;
                                int pos = from + i;
                                from = pos + 1;
                                Needle? needle = null;
                                foreach (var n in pending)
                                    if (span[pos..].StartsWith(n.Bytes)) { needle = n; break; }
                                if (needle is not null) from = Record(at, pos, needle, advance, pending, hits, seen);
                            }
                        }
                    }
                    searched += chunks[c].Advance;
                    // Every 16 chunks (1 MiB): a report per 64 KiB chunk would be thousands a second.
                    if (c % 16 == 15) progress?.Report(new WorkProgress(ProgressStep, searched, planned));
                }
            }
            finally { finished = true; }
            // Done, also when every needle had its hits before the planned end.
            progress?.Report(new WorkProgress(ProgressStep, planned, planned));
            return new(hits.ToDictionary(h => h.Key, h => (IReadOnlyList<MemoryTextHit>)[.. h.Value.OrderBy(x => x.Address)], StringComparer.Ordinal),
                searched, writable, limit);
        }

        /// <summary>
        /// Reads chunks from the far end and notes where each anchor occurs and which needles start
        /// there, until it meets <see cref="Run"/> or Run has finished. Call while Run runs (or before:
        /// Run then replays what was noted); once Run has finished, it does nothing.
        /// </summary>
        public void Help()
        {
            // Which needles start at an occurrence is noted in one uint.
            if (finished || needles.Count > 32) return;
            var buffer = GC.AllocateUninitializedArray<byte>(Chunk + overlap);
            for (int c = chunks.Count - 1; c >= 0 && !finished; c--)
            {
                if (Interlocked.CompareExchange(ref states[c], Helping, Free) != Free) return;
                bool done = false;
                try { done = Note(c, buffer); }
                finally
                {
                    // Run waits while a chunk is being helped: it must never stay so, even on a failed read.
                    Volatile.Write(ref states[c], done ? Helped : Free);
                }
                if (!done) return;
            }
        }

        /// <summary>Notes the occurrences in chunk <paramref name="c"/>; false when there are too many to be worth noting.</summary>
        private bool Note(int c, byte[] buffer)
        {
            var span = ReadChunk(c, buffer, out int advance);
            List<(int, int, uint)>? found = null;
            for (int a = 0; a < anchors.Count; a++)
            {
                for (int from = 0; from < advance;)
                {
                    int i = span[from..].IndexOf(anchors[a]);
                    if (i < 0 || from + i >= advance) break;
                    int pos = from + i;
                    from = pos + 1;
                    uint starting = 0;
                    for (int n = 0; n < needles.Count; n++)
                        if (span[pos..].StartsWith(needles[n].Bytes)) starting |= 1u << n;
                    (found ??= []).Add((a, pos, starting));
                    if (found.Count > MaxNotedOccurrences) return false; // Run searches it itself
                }
            }
            notes[c] = found;
            return true;
        }

        /// <summary>Chunk <paramref name="c"/> read into <paramref name="buffer"/>, and how much of it is the chunk's own (the rest overlaps the next).</summary>
        private ReadOnlySpan<byte> ReadChunk(int c, byte[] buffer, out int advance)
        {
            var (at, want, planned) = chunks[c];
            var span = buffer.AsSpan(0, core.Memory.ReadWithoutMapping(at, buffer.AsSpan(0, want)));
            advance = Math.Min(planned, span.Length);
            return span;
        }

        /// <summary>What Run would have done in a chunk, from the occurrences Help noted there.</summary>
        private void Replay(ulong at, int advance, List<(int Anchor, int Position, uint Needles)> occurrences,
            List<Needle> pending, Dictionary<string, List<MemoryTextHit>> hits, HashSet<(string, ulong)> seen)
        {
            int k = 0;
            for (int a = 0; a < anchors.Count; a++)
            {
                int from = 0;
                for (; k < occurrences.Count && occurrences[k].Anchor == a; k++)
                {
                    int pos = occurrences[k].Position;
                    // As Run's own scan: the next occurrence at or after `from`, while a needle is pending.
                    if (pos < from || from >= advance || pending.Count == 0) continue;
                    from = pos + 1;
                    Needle? needle = null;
                    foreach (var n in pending)
                        if ((occurrences[k].Needles & (1u << n.Index)) != 0) { needle = n; break; }
                    if (needle is not null) from = Record(at, pos, needle, advance, pending, hits, seen);
                }
            }
        }

        /// <summary>
        /// Every needle the printable run around the occurrence holds is recorded now, and the search
        /// goes on after the run: a run made of one needle repeated costs one look, not one per
        /// repetition. Returns where in the chunk the search goes on.
        /// </summary>
        private int Record(ulong at, int pos, Needle needle, int advance, List<Needle> pending,
            Dictionary<string, List<MemoryTextHit>> hits, HashSet<(string, ulong)> seen)
        {
            var (hit, bytes, runEnd) = Surrounding(core, at + (ulong)pos, needle.Bytes.Length);
            foreach (var n in pending.ToList())
            {
                int inRun = bytes.AsSpan().IndexOf(n.Bytes);
                if (inRun < 0 || !seen.Add((n.Text, hit.StringStart))) continue;
                hits[n.Text].Add(hit with { Address = hit.StringStart + (ulong)inRun, Quoted = IsQuoted(bytes, inRun, n.Bytes.Length) });
                if (Answered(hits[n.Text])) pending.Remove(n);
            }
            return (int)Math.Clamp((long)(runEnd - at), pos + 1, advance);
        }
    }

    /// <param name="Index">Its place among the search's needles: its bit in the occurrences Help notes.</param>
    private sealed record Needle(string Text, byte[] Bytes, int Index);

    /// <summary>
    /// What each pass over a chunk looks for: the common prefix of a group of needles (paths in one
    /// folder share a long one), or a needle itself. A byte-string IndexOf is vectorised and fast;
    /// a prefix shared by several needles costs one pass for all of them.
    /// </summary>
    private static List<byte[]> Anchors(IEnumerable<Needle> needles)
    {
        const int MinAnchor = 8;
        var anchors = new List<byte[]>();
        foreach (var bytes in needles.Select(n => n.Bytes).OrderBy(b => b, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))))
        {
            if (anchors.Count > 0)
            {
                var last = anchors[^1];
                int common = last.AsSpan().CommonPrefixLength(bytes);
                if (common >= Math.Min(MinAnchor, Math.Min(last.Length, bytes.Length)))
                {
                    anchors[^1] = last[..common];
                    continue;
                }
            }
            anchors.Add(bytes);
        }
        return anchors;
    }

    /// <summary>
    /// The run of printable characters (and tabs/newlines) around the hit, at most <see cref="MaxContext"/>
    /// bytes each way, its raw bytes, and the address just past it.
    /// </summary>
    private static (MemoryTextHit Hit, byte[] Bytes, ulong End) Surrounding(CoreFile core, ulong hit, int length)
    {
        // Context before the hit, from its segment only: a hit near the start of a mapping still gets it.
        ulong segmentStart = core.Memory.FindSegment(hit)?.Start ?? hit;
        ulong from = Math.Max(hit >= MaxContext ? hit - MaxContext : 0, segmentStart);
        var before = new byte[(int)(hit - from)];
        int got = core.Memory.Read(from, before);
        if (got < before.Length) { before = before[..0]; from = hit; }
        int startIndex = before.Length;
        while (startIndex > 0 && Printable(before[startIndex - 1])) startIndex--;

        var after = new byte[length + MaxContext];
        int n = core.Memory.Read(hit, after);
        int endIndex = Math.Min(length, n);
        while (endIndex < n && Printable(after[endIndex])) endIndex++;
        bool truncated = startIndex == 0 && hit - from == MaxContext || endIndex == after.Length;

        var bytes = before[startIndex..].Concat(after[..endIndex]).ToArray();
        return (new MemoryTextHit(hit, from + (ulong)startIndex, Encoding.UTF8.GetString(bytes), truncated), bytes, hit + (ulong)endIndex);
    }

    /// <summary>Whether the needle at <paramref name="at"/> in <paramref name="run"/> is between two equal quotes, with more text around them.</summary>
    private static bool IsQuoted(byte[] run, int at, int length) =>
        at > 0 && at + length < run.Length && run.Length > length + 2
        && run[at - 1] is (byte)'\'' or (byte)'"' && run[at + length] == run[at - 1];

    private static bool Printable(byte b) => b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\n' or >= 0x80;
}
