using System.Text;
using CoreSleuth.Analysis.MySql;
using CoreSleuth.Model;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Statements;

/// <summary>
/// The one-pass search for statements that mention blocked-open paths: every needle in one pass,
/// smallest mappings first, occurrences across chunk edges, a byte limit, and no cost per
/// repetition of a needle.
/// </summary>
public sealed class MemoryTextTests
{
    private const ulong Small = 0x801000000, Large = 0x900000000;
    private const int SmallSize = 0x10000, LargeSize = 0x400000, Chunk = 1 << 20;

    /// <summary>
    /// A core with a 64 KiB and a 4 MiB anonymous mapping holding <paramref name="small"/> and <paramref name="large"/>
    /// texts at the given offsets; with <paramref name="stackInSmall"/>, a thread whose stack pointer is in the small one.
    /// </summary>
    private static CoreFile Core((int Offset, string Text)[] small, (int Offset, string Text)[] large, bool stackInSmall = false)
    {
        static byte[] Fill(int size, (int Offset, string Text)[] texts)
        {
            var bytes = new byte[size];
            foreach (var (offset, text) in texts) Encoding.UTF8.GetBytes(text).CopyTo(bytes, offset);
            return bytes;
        }
        var core = CoreWriter.WriteToArray(new CoreSpec
        {
            Process = new ProcessSpec { Pid = 7, Command = "mysqld" },
            Mappings = [MappingSpec.Anonymous(Large, LargeSize, Fill(LargeSize, large)), MappingSpec.Anonymous(Small, SmallSize, Fill(SmallSize, small))],
            Threads = [new ThreadSpec { Registers = new CoreSleuth.Testing.Cores.Registers { Rsp = stackInSmall ? Small + SmallSize - 0x100 : 0x7fffffffe000 } }],
        });
        return CoreFile.Load(Elf.ByteSource.FromBytes(core, "statements.core"));
    }

    [Fact]
    public void Finds_every_needle_in_one_pass_with_the_statement_around_it_in_address_order()
    {
        using var core = Core(
            [(0x100, "/tmp/a.fifo")],
            [(0x2000, "LOAD DATA INFILE '/tmp/b.fifo' INTO TABLE b"), (0x100, "LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a")]);
        var search = MemoryText.Find(core, ["/tmp/a.fifo", "/tmp/b.fifo", "/tmp/none.fifo"]);

        var a = search.Mentioning("/tmp/a.fifo");
        Assert.Equal([Small + 0x100, Large + 0x100], a.Select(h => h.StringStart));
        Assert.Equal(("/tmp/a.fifo", false), (a[0].Text, a[0].Quoted));
        Assert.Equal(("LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a", true), (a[1].Text, a[1].Quoted));
        Assert.Equal(Large + 0x100 + 18, a[1].Address); // the needle itself, inside the statement
        Assert.Equal("LOAD DATA INFILE '/tmp/b.fifo' INTO TABLE b", Assert.Single(search.Mentioning("/tmp/b.fifo")).Text);
        Assert.Empty(search.Mentioning("/tmp/none.fifo"));
        Assert.False(search.Stopped);
        Assert.Equal(SmallSize + LargeSize, search.BytesWritable);
    }

    [Fact]
    public void A_path_found_quoted_in_a_statement_is_answered_and_the_rest_of_memory_is_not_read()
    {
        using var core = Core([(0x100, "LOAD DATA INFILE \"/tmp/a.fifo\" INTO TABLE a")], [(LargeSize - 0x100, "/tmp/a.fifo")]);
        var search = MemoryText.Find(core, ["/tmp/a.fifo"], limit: long.MaxValue);
        var hit = Assert.Single(search.Mentioning("/tmp/a.fifo"));
        Assert.True(hit.Quoted);
        Assert.Equal(SmallSize, search.BytesSearched); // the small mapping only: the large one's copy is not looked for
        Assert.False(search.Stopped);                  // answered, not cut short by the limit
    }

    [Fact]
    public void Thread_stacks_are_searched_after_every_other_mapping_however_small()
    {
        // The blocked thread's stack holds the open()'s bare path; the heap holds the statement.
        using var core = Core([(0x100, "/tmp/a.fifo")], [(0x100, "LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a")], stackInSmall: true);
        var search = MemoryText.Find(core, ["/tmp/a.fifo"], limit: Chunk);
        Assert.Equal(Large + 0x100, Assert.Single(search.Mentioning("/tmp/a.fifo")).StringStart);
        Assert.InRange(search.BytesSearched, 1, Chunk - 1); // answered in the heap's first chunks: the stack was not read
        Assert.False(search.Stopped);

        using var withoutStack = Core([(0x100, "/tmp/a.fifo")], [(0x100, "LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a")]);
        Assert.Equal([Small + 0x100, Large + 0x100], MemoryText.Find(withoutStack, ["/tmp/a.fifo"], limit: Chunk + SmallSize).Mentioning("/tmp/a.fifo").Select(h => h.StringStart));
    }

    [Theory]
    [InlineData("-- was /tmp/a.fifo")]                                   // not between quotes
    [InlineData("LOAD DATA INFILE '/tmp/a.fifo.old' INTO TABLE a")]      // a longer path
    [InlineData("LOAD DATA INFILE '/tmp/a.fifo\" INTO TABLE a")]         // quotes that differ
    [InlineData("'/tmp/a.fifo'")]                                        // a quoted path alone is no statement
    public void A_mention_that_is_not_a_statement_literal_does_not_end_the_search(string text)
    {
        using var core = Core([(0x100, text)], [(LargeSize - 0x100, "LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a")]);
        var hits = MemoryText.Find(core, ["/tmp/a.fifo"], limit: long.MaxValue).Mentioning("/tmp/a.fifo");
        Assert.Equal([false, true], hits.Select(h => h.Quoted));
        Assert.Equal(Large + LargeSize - 0x100, hits[1].StringStart);
    }

    [Theory]
    [InlineData(Chunk - 5)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    public void A_needle_across_the_edge_of_a_read_chunk_is_found_once(int offset)
    {
        using var core = Core([], [(offset, "/var/db/mysql-files/edge.fifo")]);
        var hit = Assert.Single(MemoryText.Find(core, ["/var/db/mysql-files/edge.fifo"]).Mentioning("/var/db/mysql-files/edge.fifo"));
        Assert.Equal(Large + (ulong)offset, hit.Address);
    }

    [Fact]
    public void Paths_sharing_a_folder_and_paths_in_one_statement_are_each_found()
    {
        string statement = "LOAD DATA INFILE '/var/db/mysql-files/feed-01.fifo' INTO TABLE t; -- was /var/db/mysql-files/feed-02.fifo";
        using var core = Core([(0x40, statement)], [(0x800, "/var/db/mysql-files/feed-03.fifo")]);
        var search = MemoryText.Find(core, ["/var/db/mysql-files/feed-01.fifo", "/var/db/mysql-files/feed-02.fifo", "/var/db/mysql-files/feed-03.fifo"]);
        Assert.Equal(statement, Assert.Single(search.Mentioning("/var/db/mysql-files/feed-01.fifo")).Text);
        var second = Assert.Single(search.Mentioning("/var/db/mysql-files/feed-02.fifo"));
        Assert.Equal((statement, Small + 0x40 + (ulong)statement.IndexOf("/var/db/mysql-files/feed-02", StringComparison.Ordinal)), (second.Text, second.Address));
        Assert.Single(search.Mentioning("/var/db/mysql-files/feed-03.fifo"));
    }

    [Fact]
    public void The_byte_limit_stops_the_search_after_the_smallest_mappings_and_says_so()
    {
        using var core = Core([(0x100, "/tmp/a.fifo")], [(LargeSize - 0x100, "/tmp/b.fifo")]);
        var limited = MemoryText.Find(core, ["/tmp/a.fifo", "/tmp/b.fifo"], limit: Chunk);
        Assert.Single(limited.Mentioning("/tmp/a.fifo")); // the small mapping comes first, whatever its address
        Assert.Empty(limited.Mentioning("/tmp/b.fifo"));
        Assert.True(limited.Stopped);
        Assert.InRange(limited.BytesSearched, SmallSize, SmallSize + Chunk);

        var all = MemoryText.Find(core, ["/tmp/a.fifo", "/tmp/b.fifo"], limit: long.MaxValue);
        Assert.Single(all.Mentioning("/tmp/b.fifo"));
        Assert.False(all.Stopped);
        Assert.Equal(SmallSize + LargeSize, all.BytesSearched);
    }

    [Fact]
    public void Memory_made_of_one_needle_repeated_gives_a_few_distinct_hits()
    {
        // 4 MiB of "/tmp/x.fifo" without a break: one printable run, found in pieces of the context size.
        var repeated = string.Concat(Enumerable.Repeat("/tmp/x.fifo", LargeSize / 11));
        using var core = Core([], [(0, repeated)]);
        var hits = MemoryText.Find(core, ["/tmp/x.fifo"], limit: long.MaxValue).Mentioning("/tmp/x.fifo");
        Assert.InRange(hits.Count, 1, MemoryText.MaxHitsPerNeedle);
        Assert.Equal(hits.Count, hits.Select(h => h.StringStart).Distinct().Count());
        Assert.All(hits, h => Assert.True(h.Truncated));
    }
}
