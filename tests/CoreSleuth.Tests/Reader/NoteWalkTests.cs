using System.Buffers.Binary;
using System.Text;
using CoreSleuth.Elf;
using CsCheck;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// Notes of 2 MiB and more are walked as they are read, the second half on another core from a
/// note found by its look: the note list and its warnings are always those of the same bytes
/// walked from the start in memory, whether the guess was right (kept), wrong (dropped) or the
/// notes are damaged or cut.
/// </summary>
public sealed class NoteWalkTests
{
    /// <summary>Where the second half starts: at the first huge page boundary past the middle (3 MiB of notes: 2 MiB).</summary>
    private const int Split = 2 << 20;

    [Fact]
    public void Threads_notes_past_the_split_are_walked_ahead_on_the_other_core()
    {
        // 1,700 threads' notes as gcore writes them (spec §2.3): NT_PRSTATUS, NT_FPREGSET, NT_THRMISC, NT_PTLWPINFO, NT_X86_XSTATE.
        var thread = Concat(Note("FreeBSD", 1, new byte[224]), Note("FreeBSD", 2, new byte[512]), Note("FreeBSD", 7, new byte[24]), Note("FreeBSD", 17, new byte[164]), Note("FreeBSD", 514, new byte[832]));
        var core = Core(Concat([.. Enumerable.Repeat(thread, 1700)]));
        var (mapped, ahead) = Parse(core);
        Assert.Equal(5 * 1700, mapped.Count);
        Assert.Equal(Notes(ElfFile.Parse(ByteSource.FromBytes(core))), mapped);
        // The second half (from 2 MiB of 3.2 MB) holds about a third of the notes.
        if (ReadsAlong) Assert.InRange(ahead, mapped.Count / 4, mapped.Count / 2);
    }

    [Fact]
    public void Note_headers_inside_a_descriptor_across_the_split_are_a_wrong_guess_and_dropped()
    {
        // One note of 3 MiB whose descriptor holds, at the split, three notes that chain.
        var fake = Concat(Note("FreeBSD", 1, new byte[100]), Note("FreeBSD", 2, new byte[200]), Note("FreeBSD", 3, new byte[300]), Note("FreeBSD", 4, new byte[40]));
        int descriptorAt = 12 + 8;
        var descriptor = new byte[(3 << 20) - descriptorAt];
        fake.CopyTo(descriptor.AsSpan(Split - descriptorAt));
        var core = Core(Concat(Note("FreeBSD", 7, descriptor), Note("FreeBSD", 8, new byte[16])));
        var (mapped, ahead) = Parse(core);
        Assert.Equal(2, mapped.Count);
        Assert.Equal(Notes(ElfFile.Parse(ByteSource.FromBytes(core))), mapped);
        Assert.Equal(0, ahead);
    }

    [Fact]
    public void Random_notes_damaged_or_cut_give_the_list_and_warnings_of_the_same_bytes_in_memory()
    {
        var name = Gen.OneOf(Gen.Const("FreeBSD"), Gen.Const("CORE"), Gen.Const("LINUX"), Gen.Const("GDB"), Gen.Const(""));
        var note = Gen.Select(name, Gen.UInt[1, 20], Gen.Int[0, 9000], Gen.Int[0, 20]);
        Gen.Select(note.Array[400, 900], Gen.Int[0, 3], Gen.Int[0, 1 << 20], Gen.Double[0.55, 1.0])
            .Sample((notes, damage, where, keep) =>
            {
                var segment = Concat([.. notes.Select(n => n.Item4 == 0
                    // a descriptor that holds notes of its own
                    ? Note(n.Item1, n.Item2, Concat(new byte[n.Item3 % 64 * 4], Note("FreeBSD", 1, new byte[64]), Note("CORE", 2, new byte[8]), Note("FreeBSD", 3, [])))
                    : Note(n.Item1, n.Item2, new byte[n.Item3]))]);
                if (segment.Length < Split + (64 << 10)) return;
                // Damage: a descriptor size far past the end, in the first half or the second.
                if (damage > 0)
                {
                    var whole = RoundTrip.RawCore.SplitNotes(segment);
                    int at = damage == 1 ? where : Split + where / 2;
                    BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan((whole.FirstOrDefault(n => n.SegmentOffset >= at) ?? whole[^1]).SegmentOffset + 4), 0x7fff_0000);
                }
                var core = Core(segment);
                if (damage == 3) core = core[..(int)(core.Length * keep)];
                var (mapped, _) = Parse(core, out var warnings);
                var inMemory = ElfFile.Parse(ByteSource.FromBytes(core));
                Assert.Equal(Notes(inMemory), mapped);
                Assert.Equal(inMemory.Warnings, warnings);
            }, iter: 25);
    }

    private static bool ReadsAlong => Environment.ProcessorCount > 1 && OperatingSystem.IsLinux()
        && File.Exists("/sys/kernel/mm/transparent_hugepage/enabled")
        && File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled") is var mode && (mode.Contains("[always]") || mode.Contains("[madvise]"));

    private static (List<(string, uint, long, int)> Notes, int Ahead) Parse(byte[] core) => Parse(core, out _);

    private static (List<(string, uint, long, int)> Notes, int Ahead) Parse(byte[] core, out IReadOnlyList<string> warnings)
    {
        string path = Path.Combine(Path.GetTempPath(), $"coresleuth-notes-{Guid.NewGuid():N}.core");
        File.WriteAllBytes(path, core);
        try
        {
            using var source = ByteSource.OpenFile(path);
            var elf = ElfFile.Parse(source);
            warnings = elf.Warnings;
            return (Notes(elf), elf.NotesWalkedAhead);
        }
        finally { File.Delete(path); }
    }

    private static List<(string, uint, long, int)> Notes(ElfFile elf) => [.. elf.Notes.Select(n => (n.Name, n.Type, n.FileOffset, n.Descriptor.Length))];

    private static int Align4(int n) => (n + 3) & ~3;

    /// <summary>A note's bytes; unlike the writer's <c>CoreNotes.Encode</c>, an empty name is written with no NUL (namesz 0), as a damaged core may have it.</summary>
    private static byte[] Note(string name, uint type, byte[] descriptor)
    {
        var n = name.Length == 0 ? [] : Encoding.ASCII.GetBytes(name + "\0");
        var b = new byte[12 + Align4(n.Length) + Align4(descriptor.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(b, n.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), descriptor.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), type);
        n.CopyTo(b, 12);
        descriptor.CopyTo(b, 12 + Align4(n.Length));
        return b;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>An ELF64 core of one PT_NOTE segment (at 4096) and nothing else.</summary>
    private static byte[] Core(byte[] notes)
    {
        const int at = 4096;
        var b = new byte[at + notes.Length];
        "\x7f"u8.CopyTo(b);
        "ELF"u8.CopyTo(b.AsSpan(1));
        (b[4], b[5], b[6], b[7]) = (2, 1, 1, 9); // ELFCLASS64, little-endian, EV_CURRENT, FreeBSD
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 4);  // ET_CORE
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(32), 64); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(52), 64); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(54), 56); // e_phentsize
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(56), 1);  // e_phnum
        var ph = b.AsSpan(64);
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 4); // PT_NOTE
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 4);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], at);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)notes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)notes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 4);
        notes.CopyTo(b, at);
        return b;
    }
}
