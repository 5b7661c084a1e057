using System.Text;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// A report's per-thread text written on two cores is the text written on one: every other block
/// of items, encoded on another thread into memory reused block after block and put after the
/// block before, in every encoding, with or without a byte order mark, through the report's own
/// UTF-8 writer, and when the items' text falls across 64 KiB blocks.
/// </summary>
public sealed class InParallelWriteTests
{
    // More than InParallel.Minimum items, several 64 KiB blocks, multi-byte characters and a surrogate pair in every item.
    private static string[] Items(int count) => [.. Enumerable.Range(0, count).Select(i => $"thread {i} é€\U0001F600 {new string('x', i % 700)}")];

    private static void WriteItem(TextWriter w, string item, int index) => w.WriteLine($"[{index}] {item}");

    private static string Sequential(string[] items)
    {
        var w = new StringWriter { NewLine = "\n" };
        w.Write("head|");
        for (int i = 0; i < items.Length; i++) WriteItem(w, items[i], i);
        w.Write("|tail");
        return w.ToString();
    }

    // Three blocks of 256, the last written here; eight, the last one short and written there, each buffer reused.
    public static TheoryData<string, int> Encodings => new()
    {
        { "utf-8 without BOM", 3 * InParallel.Minimum }, { "utf-8 with BOM", 3 * InParallel.Minimum }, { "utf-16", 3 * InParallel.Minimum },
        { "utf-8 without BOM", 7 * InParallel.Minimum + 5 }, { "utf-16", 7 * InParallel.Minimum + 5 },
    };

    private static Encoding Of(string name) => name switch
    {
        "utf-8 without BOM" => new UTF8Encoding(false),
        "utf-8 with BOM" => new UTF8Encoding(true),
        _ => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Into_encoded_text_the_blocks_join_as_the_sequential_text_encoded(string name, int count)
    {
        var items = Items(count);
        Assert.True(InParallel.Splits(items.Length) || Environment.ProcessorCount == 1);
        var encoding = Of(name);
        var text = new EncodedText();
        using (var w = new StreamWriter(text, encoding, 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            w.Write("head|");
            InParallel.Write(w, items, WriteItem);
            w.Write("|tail");
        }
        byte[] bytes = [.. text.Written.SelectMany(b => b.ToArray())];
        Assert.Equal([.. encoding.Preamble, .. encoding.GetBytes(Sequential(items))], bytes);
    }

    [Theory]
    [InlineData(3 * InParallel.Minimum)]
    [InlineData(7 * InParallel.Minimum + 5)]
    public void Into_the_utf8_writer_the_blocks_join_as_the_sequential_text_encoded(int count)
    {
        var items = Items(count);
        var text = new EncodedText();
        using (var w = new Utf8Writer(text, leaveOpen: true))
        {
            w.Write("head|");
            InParallel.Write(w, items, WriteItem);
            w.Write("|tail");
        }
        byte[] bytes = [.. text.Written.SelectMany(b => b.ToArray())];
        Assert.Equal(new UTF8Encoding(false).GetBytes(Sequential(items)), bytes);
    }

    [Fact]
    public void Into_any_other_writer_the_text_is_the_sequential_text()
    {
        var items = Items(3 * InParallel.Minimum);
        var w = new StringWriter { NewLine = "\n" };
        w.Write("head|");
        InParallel.Write(w, items, WriteItem);
        w.Write("|tail");
        Assert.Equal(Sequential(items), w.ToString());
    }
}
