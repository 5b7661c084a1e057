using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

public class MemCommandTests
{
    private const string Bsi = "bsi-01c3190a.core";

    /// <summary>
    /// Reads <paramref name="count"/> words at <paramref name="address"/> straight from the file through its
    /// PT_LOAD headers (spec §1.2: Elf64_Phdr at e_phoff, 56 bytes each), independently of the reader.
    /// </summary>
    private static ulong?[] WordsFromFile(string path, ulong address, int count)
    {
        byte[] file = File.ReadAllBytes(path);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(56));
        var words = new ulong?[count];
        for (int w = 0; w < count; w++)
        {
            ulong at = address + 8 * (ulong)w;
            for (int i = 0; i < phnum; i++)
            {
                var ph = file.AsSpan((int)phoff + 56 * i, 56);
                if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 1) continue;
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]), vaddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]);
                ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                if (at >= vaddr && at + 8 <= vaddr + filesz && offset + (at - vaddr) + 8 <= (ulong)file.Length)
                    words[w] = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan((int)(offset + (at - vaddr))));
            }
        }
        return words;
    }

    [CorpusFact]
    public void Words_are_printed_two_per_line_as_the_file_holds_them()
    {
        // rsp of the crashed thread (gdb reference): the top of its stack is in the core.
        ulong rsp = GdbReference.Hex(GdbReference.Load(Corpus.Reference("bsi-01c3190a.gdb.txt")).Registers[101039].Single(x => x.Name == "rsp").Value);
        var r = Coresleuth.Run("mem", Corpus.Core(Bsi), $"0x{rsp:x}", "--count", "7");
        Assert.True(r.ExitCode == 0, r.ToString());
        var expected = WordsFromFile(Corpus.Core(Bsi), rsp, 7);
        Assert.All(expected, w => Assert.NotNull(w));
        var lines = r.Lines;
        Assert.Equal(4, lines.Length);
        for (int line = 0; line < 4; line++)
        {
            var parts = Regex.Split(lines[line], @"\s+");
            Assert.Equal($"0x{rsp + 16 * (ulong)line:x}:", parts[0]);
            for (int k = 1; k < parts.Length; k++)
                Assert.Equal($"0x{expected[2 * line + k - 1]:x16}", parts[k]); // gdb's x/gx: zero-padded 16 digits
        }
        Assert.Single(Regex.Split(lines[3], @"\s+").Skip(1)); // the 7th word is alone on the last line
    }

    [CorpusFact]
    public void A_mapping_the_kernel_did_not_dump_is_unavailable_with_the_reason_and_exit_1()
    {
        // 0x400000 is bsi's read-only text (gdb: "0x400000 0x416000 ... r-x CN-- /usr/local/bin/bsi"); no PT_LOAD covers it.
        Assert.All(WordsFromFile(Corpus.Core(Bsi), 0x400000, 4), w => Assert.Null(w));
        var r = Coresleuth.Run("mem", Corpus.Core(Bsi), "0x400000", "-n", "4");
        Assert.Equal(Program.ExitNothingAvailable, r.ExitCode);
        Assert.Contains("unavailable", r.Stdout);
        Assert.Contains("0x400000 is in the mapping 0x400000-0x416000 (/usr/local/bin/bsi, r-x) whose contents the core does not hold: " +
                        "read-only file-backed text is not dumped; its bytes are those of /usr/local/bin/bsi at offset 0x0", r.Stdout);
        Assert.DoesNotContain("0x0000000000000000", r.Stdout); // never zeros
    }

    [CorpusFact]
    public void Stripped_memory_is_unavailable_because_it_lies_past_the_end_of_the_file()
    {
        // corpus README: the PT_LOADs of this core point past EOF; rsp (gdb) is inside one of them.
        string core = Corpus.Core("lldb-x86-64-freebsd14-multithread.core");
        var r = Coresleuth.Run("mem", core, "0x7fffdfffcee0", "--format", "json");
        Assert.Equal(Program.ExitNothingAvailable, r.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var words = json.RootElement.GetProperty("words");
        Assert.Equal(8, words.GetArrayLength());
        foreach (var w in words.EnumerateArray())
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Null, w.GetProperty("value").ValueKind);
            Assert.Contains("past the end of the file", w.GetProperty("unavailable").GetString());
        }
    }

    [CorpusFact]
    public void A_range_that_runs_out_of_the_core_shows_the_available_words_then_the_unavailable_ones()
    {
        // The last mapping in the core ends at 0x800000000000 (gdb's info proc mappings).
        var r = Coresleuth.Run("mem", Corpus.Core(Bsi), "0x7ffffffffff0", "-n", "4");
        Assert.Equal(0, r.ExitCode);
        var expected = WordsFromFile(Corpus.Core(Bsi), 0x7ffffffffff0, 2);
        Assert.Equal($"0x7ffffffffff0:  0x{expected[0]:x16}  0x{expected[1]:x16}", r.Lines[0]);
        Assert.StartsWith("0x800000000000:  unavailable (2 words): ", r.Lines[1]);
    }

    [CorpusFact]
    public void String_reads_the_AT_EXECPATH_string_gdb_shows()
    {
        var gdb = GdbReference.Load(Corpus.Reference("bsi-01c3190a.gdb.txt"));
        var m = Regex.Match(gdb.AuxvEntries.Single(a => a.Name == "AT_EXECPATH").Value, "^(0x[0-9a-f]+) (\".*\")$");
        Assert.True(m.Success);
        var r = Coresleuth.Run("mem", Corpus.Core(Bsi), m.Groups[1].Value, "--string");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"{m.Groups[1].Value}:  {m.Groups[2].Value}", r.Lines[0]);
    }

    [CorpusFact]
    public void Decimal_addresses_are_accepted()
    {
        var hex = Coresleuth.Run("mem", Corpus.Core(Bsi), "0x7fffffffd540");
        var dec = Coresleuth.Run("mem", Corpus.Core(Bsi), 0x7fffffffd540UL.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(0, dec.ExitCode);
        Assert.Equal(hex.Stdout, dec.Stdout);
    }

    [CorpusFact]
    public void An_unavailable_string_says_why_and_exits_1()
    {
        var r = Coresleuth.Run("mem", Corpus.Core(Bsi), "0x10", "-s");
        Assert.Equal(Program.ExitNothingAvailable, r.ExitCode);
        // The core's mappings (info) start at 0x400000: 0x10 is in none of them.
        Assert.Equal("0x10:  unavailable: 0x10 is not mapped", r.Lines[0]);
    }

    /// <summary>
    /// The sample's mappings, as <c>info samples/mysqld-ghost-fifo.core</c> lists them: mysqld's text
    /// 0x400000-0x403000 r-x at file offset 0, libc's 0x80120f000-0x801211000 r-x, the guard
    /// 0x801211000-0x801410000 "---" after it, nothing below 0x400000; none of those three dumped.
    /// </summary>
    [Theory]
    [InlineData("0x10", "0x10 is not mapped")]
    [InlineData("0x400010", "0x400010 is in the mapping 0x400000-0x403000 (/usr/local/libexec/mysqld, r-x) whose contents the core does not hold: " +
                            "read-only file-backed text is not dumped; its bytes are those of /usr/local/libexec/mysqld at offset 0x10 (analyze and bt read them with --sysroot)")]
    [InlineData("0x801210ff8", "0x801210ff8 is in the mapping 0x80120f000-0x801211000 (/lib/libc.so.7, r-x) whose contents the core does not hold: " +
                               "read-only file-backed text is not dumped; its bytes are those of /lib/libc.so.7 at offset 0x1ff8 (analyze and bt read them with --sysroot)")]
    [InlineData("0x801300000", "0x801300000 is in the mapping 0x801211000-0x801410000 (anonymous, ---) whose contents the core does not hold: it allows no access (a guard region), so it has no contents to dump")]
    public void An_address_the_core_lacks_is_said_to_be_unmapped_or_in_a_mapping_not_dumped(string address, string why)
    {
        string core = Path.Combine(Samples.SampleSet.Folder, "mysqld-ghost-fifo.core");
        var words = Coresleuth.Run("mem", core, address, "-n", "2");
        Assert.Equal(Program.ExitNothingAvailable, words.ExitCode);
        Assert.Equal([$"{address}:  unavailable (2 words): {why}"], words.Lines);
        var text = Coresleuth.Run("mem", core, address, "--string");
        Assert.Equal([$"{address}:  unavailable: {why}"], text.Lines);
        Assert.Contains($"\"unavailable\": {System.Text.Json.JsonSerializer.Serialize(why)}", Coresleuth.Run("mem", core, address, "-n", "1", "--format", "json").Stdout);
    }

    [Fact]
    public void A_string_cut_short_by_a_mapping_not_dumped_names_that_mapping()
    {
        // The last bytes of libc's writable data 0x801410000-0x801411000 (in core) run into 0x801411000, which no mapping covers.
        string core = Path.Combine(Samples.SampleSet.Folder, "mysqld-ghost-fifo.core");
        var r = Coresleuth.Run("mem", core, "0x801410ff8", "--string", "-n", "4096");
        Assert.Contains("0x801411000 is not mapped", r.Stdout);
    }

    [Theory]
    [InlineData("0x7fffffffd540", 0x7fffffffd540UL)]
    [InlineData("0X10", 0x10UL)]
    [InlineData("4096", 4096UL)]
    [InlineData("0xffffffffffffffff", ulong.MaxValue)]
    public void Addresses_parse_as_hex_or_decimal(string text, ulong expected)
    {
        Assert.True(Program.TryParseAddress(text, out ulong value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("x10")]
    [InlineData("-1")]
    [InlineData("0x1_000")]
    [InlineData("18446744073709551616")]
    [InlineData("0x10000000000000000")]
    public void Malformed_addresses_are_refused(string text) => Assert.False(Program.TryParseAddress(text, out _));
}
