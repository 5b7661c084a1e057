using System.Text;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Elf;

public sealed partial class ElfFile
{
    /// <summary>What <see cref="NextNote"/> found at a position of a note segment.</summary>
    private enum NoteStep { Note, End, ShortHeader, PastEnd }

    /// <summary>One note's header: its sizes, type and where its name, descriptor and the next note start.</summary>
    private readonly record struct NoteHeader(uint NameSize, uint DescriptorSize, uint Type, int NameStart, int DescriptorStart, int Next);

    /// <summary>
    /// The note at <paramref name="pos"/> of a segment (spec §2.1: 12-byte header, name and
    /// descriptor each padded to 4), checked to lie wholly inside it; the next note's position is
    /// capped at the segment's end.
    /// </summary>
    private static NoteStep NextNote(ReadOnlySpan<byte> segment, int pos, out NoteHeader header)
    {
        header = default;
        if (pos >= segment.Length) return NoteStep.End;
        if (segment.Length - pos < NoteHeaderSize) return NoteStep.ShortHeader;
        var span = segment[pos..];
        uint namesz = U32(span, 0), descsz = U32(span, 4), type = U32(span, 8);
        long nameStart = pos + NoteHeaderSize;
        long descStart = nameStart + Align4(namesz);
        long next = descStart + Align4(descsz);
        header = new NoteHeader(namesz, descsz, type, (int)Math.Min(nameStart, segment.Length), (int)Math.Min(descStart, segment.Length), (int)Math.Min(next, segment.Length));
        return nameStart + namesz > segment.Length || descStart + descsz > segment.Length ? NoteStep.PastEnd : NoteStep.Note;
    }

    /// <summary>
    /// Adds the notes from <paramref name="pos"/> that lie wholly inside <paramref name="bytes"/>;
    /// returns where it stopped: the end, or a note not wholly read yet (or damaged: told by <see cref="NoteSegmentWalk.Finish"/>).
    /// </summary>
    private static int WalkWholeNotes(ReadOnlySpan<byte> bytes, int pos, NoteEntries entries, List<string> names)
    {
        while (NextNote(bytes, pos, out var h) == NoteStep.Note)
        {
            entries.Add(new ElfNoteList.Entry(NoteName(bytes.Slice(h.NameStart, (int)h.NameSize), names), pos, h.Type, h.DescriptorStart, (int)h.DescriptorSize));
            pos = h.Next;
        }
        return pos;
    }

    /// <summary>
    /// The walk of one PT_NOTE segment into the note list, made as the segment is read in
    /// (<see cref="ByteSource.IReadAlong"/>). Each note header lies on a cache line of its own:
    /// walked once the 32 MB of ten thousand threads' notes are all read, the headers come back from
    /// memory one cache miss each (3 ms); walked right behind the read, from the cache. The part
    /// read on another core is walked there from a header told by its look (<see cref="Ahead"/>),
    /// and kept only if this walk arrives exactly where that one began. What remains, and every
    /// warning, is for <see cref="Finish"/>, once the segment is read whole.
    /// </summary>
    private sealed class NoteSegmentWalk(ElfFile elf, NoteEntries entries, List<string> names) : ByteSource.IReadAlong
    {
        /// <summary>The index in the note list of the segment's first note.</summary>
        public int FirstNote { get; } = entries.Count;

        private int pos;
        private Ahead? ahead;
        private bool looked;

        public void Arrived(ReadOnlySpan<byte> range, int partStart, int readTo)
        {
            if (partStart == 0)
            {
                pos = WalkWholeNotes(range[..readTo], pos, entries, names);
                return;
            }
            if (!looked)
            {
                looked = true;
                ahead = Ahead.Find(range[..readTo], partStart);
            }
            ahead?.Walk(range[..readTo]);
        }

        public void Abandoned()
        {
            entries.TruncateTo(FirstNote);
            (pos, ahead, looked) = (0, null, false);
        }

        /// <summary>Walks the rest of <paramref name="segment"/> (all of it, when nothing was read along), warning where it is damaged.</summary>
        public void Finish(ElfNoteList.Segment segment)
        {
            var bytes = segment.Bytes.Span;
            if (ahead is { } a)
            {
                // Up to where the walk ahead began: arriving there exactly, its notes are this walk's from there.
                pos = WalkWholeNotes(bytes[..a.Start], pos, entries, names);
                if (pos == a.Start)
                {
                    elf.NotesWalkedAhead += a.Entries.Count;
                    entries.MoveFrom(a.Entries);
                    pos = a.Position;
                }
                ahead = null;
            }
            pos = WalkWholeNotes(bytes, pos, entries, names);
            // Stopped at the end, or at a note the segment does not hold whole.
            long at = segment.FileOffset + pos;
            switch (NextNote(bytes, pos, out var h))
            {
                case NoteStep.ShortHeader:
                    if (segment.Truncated)
                        elf.Warn(at, $"{elf.EndOfFile}, inside the header of note {entries.Count}; it and later notes are lost");
                    else if (bytes[pos..].IndexOfAnyExcept((byte)0) >= 0)
                        elf.Warn(at, $"{bytes.Length - pos} bytes at the end of the note segment are too short for a note header");
                    break;
                case NoteStep.PastEnd:
                    string where = segment.Truncated ? $"{elf.EndOfFile}, inside it" : "past the end of its PT_NOTE segment";
                    elf.Warn(at, $"note {entries.Count} (type 0x{h.Type:x}) claims a {h.NameSize}-byte name and a {h.DescriptorSize}-byte descriptor, {where}; it and later notes are lost");
                    break;
            }
        }
    }

    /// <summary>
    /// The walk of a segment's second part, from the first position where three notes in a row look
    /// like notes (a short printable name ending in NUL, zero padding, sizes that chain). Only a
    /// guess: a descriptor may hold such bytes. The walk from the segment's start decides: if it
    /// arrives exactly at <see cref="Start"/>, what follows is what it would have found itself.
    /// </summary>
    private sealed class Ahead(int start)
    {
        /// <summary>How far into the part a first note is looked for.</summary>
        private const int LookWithin = 64 << 10;

        public int Start { get; } = start;
        public int Position { get; private set; } = start;
        public NoteEntries Entries { get; } = new();
        private readonly List<string> names = [];

        public static Ahead? Find(ReadOnlySpan<byte> read, int from)
        {
            int end = (int)Math.Min(read.Length, (long)from + LookWithin);
            for (int q = from + ((4 - from % 4) % 4); q + NoteHeaderSize <= end; q += 4)
                if (LooksLikeNote(read, q, out int second) && LooksLikeNote(read, second, out int third) && LooksLikeNote(read, third, out _))
                    return new Ahead(q);
            return null;
        }

        public void Walk(ReadOnlySpan<byte> read) => Position = WalkWholeNotes(read, Position, Entries, names);

        private static bool LooksLikeNote(ReadOnlySpan<byte> read, int pos, out int next)
        {
            next = 0;
            if (NextNote(read, pos, out var h) != NoteStep.Note || h.NameSize is 0 or > 32) return false;
            var name = read.Slice(h.NameStart, h.DescriptorStart - h.NameStart);
            int last = (int)h.NameSize - 1;
            if (name[last] != 0 || name[(last + 1)..].IndexOfAnyExcept((byte)0) >= 0) return false;
            foreach (byte b in name[..last])
                if (b is < 0x20 or > 0x7e) return false;
            next = h.Next;
            return true;
        }
    }

    /// <summary>
    /// Note list entries in blocks of 2^<see cref="ElfNoteList.BlockShift"/>, filled as the notes are
    /// walked: neither counted first nor copied as an array grows (see <see cref="ElfNoteList"/>).
    /// </summary>
    private sealed class NoteEntries
    {
        private const int BlockSize = 1 << ElfNoteList.BlockShift;
        private readonly List<ElfNoteList.Entry[]> blocks = [];

        public int Count { get; private set; }
        public ElfNoteList.Entry[][] Blocks => [.. blocks];

        public void Add(in ElfNoteList.Entry entry)
        {
            int block = Count >> ElfNoteList.BlockShift;
            if (block == blocks.Count) blocks.Add(new ElfNoteList.Entry[BlockSize]);
            blocks[block][Count++ & (BlockSize - 1)] = entry;
        }

        /// <summary>
        /// Moves every entry of <paramref name="other"/> here, letting its blocks go one by one as
        /// they are copied: the entries of a hostile segment of tiny notes are never held twice.
        /// </summary>
        public void MoveFrom(NoteEntries other)
        {
            for (int b = 0; b << ElfNoteList.BlockShift < other.Count; b++)
            {
                var block = other.blocks[b];
                for (int i = 0, n = Math.Min(BlockSize, other.Count - (b << ElfNoteList.BlockShift)); i < n; i++) Add(block[i]);
                other.blocks[b] = [];
            }
            other.Count = 0;
        }

        /// <summary>Forgets the entries from <paramref name="count"/> on (their blocks are filled again).</summary>
        public void TruncateTo(int count) => Count = count;
    }

    /// <summary>
    /// The owner name of a note: "FreeBSD" (nearly every note of a FreeBSD core) and the names
    /// already seen ("CORE", "LINUX" of a Linux core's every note) without a new string each time.
    /// </summary>
    private static string NoteName(ReadOnlySpan<byte> name, List<string> seen)
    {
        name = name.TrimEnd((byte)0);
        if (name.SequenceEqual("FreeBSD"u8)) return "FreeBSD";
        foreach (string known in seen)
            if (SameAscii(name, known)) return known;
        string made = Encoding.ASCII.GetString(name);
        // Bounded: a hostile core may give every note another name.
        if (seen.Count < 16) seen.Add(made);
        return made;
    }

    /// <summary>Whether <paramref name="text"/> is what ASCII decoding of <paramref name="bytes"/> gives.</summary>
    private static bool SameAscii(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length) return false;
        for (int i = 0; i < bytes.Length; i++)
            if ((bytes[i] < 0x80 ? (char)bytes[i] : '?') != text[i]) return false;
        return true;
    }
}
