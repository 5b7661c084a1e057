using System.Text;
using CoreSleuth.Analysis.MySql;
using CoreSleuth.Model;
using CoreSleuth.Testing.Cores;
using CsCheck;

namespace CoreSleuth.Tests.Statements;

/// <summary>
/// A statement search helped by another thread, which reads chunks from the far end and notes
/// occurrences, finds what the search alone finds: the same hits, in the same order, and the
/// same number of bytes searched.
/// </summary>
public sealed class MemoryTextHelpTests
{
    private static readonly string[] Paths = ["/var/db/mysql-files/feed-00.fifo", "/var/db/mysql-files/feed-01.fifo", "/tmp/ghost.fifo"];

    /// <summary>Anonymous mappings whose bytes are noise with needles (and statements around them) planted at the given offsets.</summary>
    private static CoreFile Core(IReadOnlyList<(int Size, (int Offset, string Text)[] Plants)> mappings, int seed)
    {
        var random = new Random(seed);
        var specs = new List<MappingSpec>();
        ulong address = 0x801000000;
        foreach (var (size, plants) in mappings)
        {
            var bytes = new byte[size];
            random.NextBytes(bytes);
            foreach (var (offset, text) in plants)
            {
                var t = Encoding.UTF8.GetBytes(text);
                int at = Math.Clamp(offset, 0, Math.Max(0, size - t.Length));
                t.AsSpan(0, Math.Min(t.Length, size - at)).CopyTo(bytes.AsSpan(at));
            }
            specs.Add(MappingSpec.Anonymous(address, (ulong)size, bytes));
            address += (ulong)size + 0x100000;
        }
        var core = CoreWriter.WriteToArray(new CoreSpec { Process = new ProcessSpec { Pid = 7, Command = "mysqld" }, Mappings = specs });
        return CoreFile.Load(Elf.ByteSource.FromBytes(core, "statements.core"));
    }

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.Int[0, Paths.Length - 1].Select(i => Paths[i]),
        Gen.Int[0, Paths.Length - 1].Select(i => $"LOAD DATA INFILE '{Paths[i]}' INTO TABLE t{i}"),
        Gen.Int[0, Paths.Length - 1].Select(i => string.Concat(Enumerable.Repeat(Paths[i], 40))),   // one run, many repetitions
        Gen.Const("/var/db/mysql-files/feed-0"));                                                     // the shared prefix alone

    // Sizes around the 64 KiB chunk; offsets near chunk edges, so needles straddle chunks.
    private static readonly Gen<(int, (int, string)[])> Mapping =
        Gen.Select(Gen.Int[1, 5].Select(k => k * 0x10000 + 0x1000), Gen.Select(Gen.OneOf(Gen.Int[0, 0x50000], Gen.Int[1, 5].Select(k => k * 0x10000 - 20)), Text).Array[0, 30]);

    private static void AssertSame(MemoryTextSearch expected, MemoryTextSearch actual)
    {
        Assert.Equal(expected.BytesSearched, actual.BytesSearched);
        Assert.Equal(expected.BytesWritable, actual.BytesWritable);
        Assert.Equal(expected.Hits.Keys.Order(), actual.Hits.Keys.Order());
        foreach (var (needle, hits) in expected.Hits) Assert.Equal(hits, actual.Hits[needle]);
    }

    [Fact]
    public void Helped_first_and_wholly_it_finds_what_the_search_alone_finds()
    {
        Gen.Select(Mapping.Array[1, 3], Gen.Int, Gen.OneOf(Gen.Const(long.MaxValue), Gen.Long[1, 0x60000]), Gen.Int[1, 3])
            .Sample((mappings, seed, limit, needles) =>
            {
                using var core = Core(mappings, seed);
                var paths = Paths.Take(needles).ToList();
                var alone = MemoryText.Find(core, paths, limit);
                // Help before Run: every chunk is noted from the far end, and Run replays them all.
                var search = MemoryText.Start(core, paths, limit);
                search.Help();
                AssertSame(alone, search.Run());
            }, iter: 150);
    }

    [Fact]
    public void Helped_alongside_it_finds_what_the_search_alone_finds()
    {
        Gen.Select(Mapping.Array[1, 3], Gen.Int)
            .Sample((mappings, seed) =>
            {
                using var core = Core(mappings, seed);
                var alone = MemoryText.Find(core, Paths);
                var search = MemoryText.Start(core, Paths);
                var run = Task.Run(search.Run);
                search.Help();
                AssertSame(alone, run.GetAwaiter().GetResult());
            }, iter: 60);
    }

    [Fact]
    public void A_needle_with_enough_hits_before_the_helped_chunks_is_not_looked_for_in_them()
    {
        // 8 bare mentions in the first chunk, more in the last: the search alone stops counting at 8.
        var plants = Enumerable.Range(0, 12).Select(i => (i < 8 ? 0x100 + i * 0x1000 : 0x40000 + i * 0x1000, $"\n{Paths[2]}\n")).ToArray();
        using var core = Core([(0x50000, plants)], seed: 1);
        var alone = MemoryText.Find(core, [Paths[2]]);
        Assert.Equal(MemoryText.MaxHitsPerNeedle, alone.Mentioning(Paths[2]).Count);
        var search = MemoryText.Start(core, [Paths[2]]);
        search.Help();
        AssertSame(alone, search.Run());
    }

    [Fact]
    public void A_needle_answered_by_a_statement_before_the_helped_chunks_is_not_looked_for_in_them()
    {
        var plants = new[] { (0x100, $"LOAD DATA INFILE '{Paths[2]}' INTO TABLE t"), (0x48000, $"\n{Paths[2]}\n") };
        using var core = Core([(0x50000, plants)], seed: 2);
        var alone = MemoryText.Find(core, [Paths[2]]);
        Assert.True(Assert.Single(alone.Mentioning(Paths[2])).Quoted);
        var search = MemoryText.Start(core, [Paths[2]]);
        search.Help();
        AssertSame(alone, search.Run());
    }
}
