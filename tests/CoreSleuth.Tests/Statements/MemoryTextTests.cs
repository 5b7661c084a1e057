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

    /// <summary>A core with a 64 KiB and a 4 MiB anonymous mapping holding <paramref name="small"/> and <paramref name="large"/> texts at the given offsets.</summary>
    private static CoreFile Core((int Offset, string Text)[] small, (int Offset, string Text)[] large)
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
        });
        return CoreFile.Load(Elf.ByteSource.FromBytes(core, "statements.core"));
    }

    [Fact]
    public void Finds_every_needle_in_one_pass_with_the_statement_around_it_in_address_order()
    {
        using var core = Core(
            [(0x100, "LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a")],
            [(0x2000, "LOAD DATA INFILE '/tmp/b.fifo' INTO TABLE b"), (0x100, "/tmp/a.fifo")]);
        var search = MemoryText.Find(core, ["/tmp/a.fifo", "/tmp/b.fifo", "/tmp/none.fifo"]);

        var a = search.Mentioning("/tmp/a.fifo");
        Assert.Equal([Small + 0x100, Large + 0x100], a.Select(h => h.StringStart));
        Assert.Equal("LOAD DATA INFILE '/tmp/a.fifo' INTO TABLE a", a[0].Text);
        Assert.Equal(Small + 0x100 + 18, a[0].Address); // the needle itself, inside the statement
        Assert.Equal("LOAD DATA INFILE '/tmp/b.fifo' INTO TABLE b", Assert.Single(search.Mentioning("/tmp/b.fifo")).Text);
        Assert.Empty(search.Mentioning("/tmp/none.fifo"));
        Assert.False(search.Stopped);
        Assert.Equal(SmallSize + LargeSize, search.BytesWritable);
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
