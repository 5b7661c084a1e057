using System.Text;
using CoreSleuth.Report;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// A report's per-thread text written on two cores is the text written on one: the second half,
/// encoded on another thread and appended to the first as blocks, in every encoding, with or
/// without a byte order mark, and when the items' text falls across blocks.
/// </summary>
public sealed class InParallelWriteTests
{
    // More than InParallel.Minimum items, several 64 KiB blocks, multi-byte characters and a surrogate pair in every item.
    private static readonly string[] Items = [.. Enumerable.Range(0, 3 * InParallel.Minimum).Select(i => $"thread {i} é€\U0001F600 {new string('x', i % 700)}")];

    private static void WriteItem(TextWriter w, string item, int index) => w.WriteLine($"[{index}] {item}");

    private static string Sequential()
    {
        var w = new StringWriter { NewLine = "\n" };
        w.Write("head|");
        for (int i = 0; i < Items.Length; i++) WriteItem(w, Items[i], i);
        w.Write("|tail");
        return w.ToString();
    }

    public static TheoryData<string> Encodings => ["utf-8 without BOM", "utf-8 with BOM", "utf-16"];

    private static Encoding Of(string name) => name switch
    {
        "utf-8 without BOM" => new UTF8Encoding(false),
        "utf-8 with BOM" => new UTF8Encoding(true),
        _ => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Into_encoded_text_the_halves_join_as_the_sequential_text_encoded(string name)
    {
        Assert.True(InParallel.Splits(Items.Length) || Environment.ProcessorCount == 1);
        var encoding = Of(name);
        var text = new EncodedText();
        using (var w = new StreamWriter(text, encoding, 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            w.Write("head|");
            InParallel.Write(w, Items, WriteItem);
            w.Write("|tail");
        }
        byte[] bytes = [.. text.Written.SelectMany(b => b.ToArray())];
        Assert.Equal([.. encoding.Preamble, .. encoding.GetBytes(Sequential())], bytes);
    }

    [Fact]
    public void Into_any_other_writer_the_text_is_the_sequential_text()
    {
        var w = new StringWriter { NewLine = "\n" };
        w.Write("head|");
        InParallel.Write(w, Items, WriteItem);
        w.Write("|tail");
        Assert.Equal(Sequential(), w.ToString());
    }
}
