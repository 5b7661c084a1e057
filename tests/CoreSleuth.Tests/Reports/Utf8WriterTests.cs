using System.Text;
using CoreSleuth.Report;
using CsCheck;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// The report writer's bytes are those .NET's StreamWriter writes in UTF-8 without a byte order
/// mark, for any sequence of writes: ASCII, multi-byte characters, surrogate pairs whole or split
/// between two writes, unpaired surrogates (U+FFFD, as the encoder's replacement fallback makes
/// them), text longer than the buffer, bytes already encoded in between, and flushes anywhere.
/// </summary>
public sealed class Utf8WriterTests
{
    /// <summary>One write, applied alike to both writers.</summary>
    private sealed record Step(int Kind, string Text)
    {
        public void Apply(TextWriter w, Action<byte[]> encoded)
        {
            switch (Kind)
            {
                case 0: w.Write(Text); break;
                case 1: foreach (char c in Text) w.Write(c); break;
                case 2: w.WriteLine(Text); break;
                case 3: w.Write(Text.AsSpan()); break;
                case 4: w.WriteLine(Text.AsSpan()); break;
                case 5: w.Write(Text.ToCharArray(), 0, Text.Length); break;
                case 6: w.Flush(); break;
                case 7: encoded(Encoding.UTF8.GetBytes("~bytes~")); break;
                default: w.WriteLine(); break;
            }
        }
    }

    // Characters chosen to hit every path: ASCII, two- and three-byte sequences, both halves of a pair alone.
    private static readonly Gen<char> Character = Gen.OneOf(
        Gen.Char['a', 'z'], Gen.Const('\n'), Gen.Const('é'), Gen.Const('€'), Gen.Const('\uD83D'), Gen.Const('\uDE00'), Gen.Char[' ', '~']);

    private static readonly Gen<Step> Steps =
        Gen.Select(Gen.Int[0, 8], Gen.OneOf(Character.Array[0, 8], Character.Array[0, 200], Gen.Const('x').Array[0, 70]), (k, t) => new Step(k, new string(t)));

    private static byte[] ThroughStreamWriter(IReadOnlyList<Step> steps)
    {
        var bytes = new MemoryStream();
        using (var w = new StreamWriter(bytes, new UTF8Encoding(false), 64, leaveOpen: true) { NewLine = "\n" })
            foreach (var s in steps) s.Apply(w, b => { w.Flush(); bytes.Write(b); });
        return bytes.ToArray();
    }

    private static byte[] ThroughUtf8Writer(IReadOnlyList<Step> steps, int bufferSize)
    {
        var bytes = new MemoryStream();
        using (var w = new Utf8Writer(bytes, bufferSize, leaveOpen: true))
            foreach (var s in steps) s.Apply(w, b => w.WriteUtf8(b));
        return bytes.ToArray();
    }

    [Fact]
    public void Any_writes_give_the_bytes_of_a_utf8_StreamWriter() =>
        Gen.Select(Steps.List[0, 40], Gen.Int[16, 100]).Sample((steps, size) =>
            Assert.Equal(ThroughStreamWriter(steps), ThroughUtf8Writer(steps, size)), iter: 3_000);

    [Fact]
    public void A_pair_split_between_writes_is_one_character_and_lone_halves_are_replaced()
    {
        var bytes = new MemoryStream();
        using (var w = new Utf8Writer(bytes, leaveOpen: true))
        {
            w.Write("a\uD83D");
            w.Write("\uDE00b");   // the pair's second half: one four-byte character
            w.Write('\uDE00');    // a low half alone
            w.Write("\uD83D");    // a high half followed by text that is no low half
            w.Write("c");
            w.Write('\uD83D');    // a high half at the end
        }
        Assert.Equal([(byte)'a', 0xF0, 0x9F, 0x98, 0x80, (byte)'b', 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD, (byte)'c', 0xEF, 0xBF, 0xBD], bytes.ToArray());
    }

    [Fact]
    public void Nothing_reaches_the_stream_before_the_buffer_fills_or_a_flush()
    {
        var bytes = new MemoryStream();
        var w = new Utf8Writer(bytes, 16, leaveOpen: true);
        w.Write("0123456789");
        Assert.Equal(0, bytes.Length);
        w.Write("abcdefghij");
        Assert.Equal(16, bytes.Length);
        w.Flush();
        Assert.Equal("0123456789abcdefghij", Encoding.UTF8.GetString(bytes.ToArray()));
        w.Dispose();
        Assert.True(bytes.CanWrite); // left open
        Assert.Throws<ObjectDisposedException>(() => w.Write("more"));
    }

    [Fact]
    public void Json_goes_through_as_its_bytes_and_reads_as_through_any_other_writer()
    {
        var value = new Dictionary<string, string>
        {
            ["path"] = "/tmp/ghost.fifo é€\U0001F600",
            ["lone"] = "a\uD83Db",
            ["long"] = new string('x', 100_000),
        };
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Dictionary<string, string>>)
            System.Text.Json.JsonSerializerOptions.Default.GetTypeInfo(typeof(Dictionary<string, string>));
        var chars = new StringWriter { NewLine = "\n" };
        JsonText.Write(value, info, chars);
        var bytes = new MemoryStream();
        using (var w = new Utf8Writer(bytes, leaveOpen: true)) JsonText.Write(value, info, w);
        Assert.Equal(new UTF8Encoding(false).GetBytes(chars.ToString()), bytes.ToArray());
    }
}
