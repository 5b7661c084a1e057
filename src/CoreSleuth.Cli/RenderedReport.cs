using System.Text;
using CoreSleuth.Report;

namespace CoreSleuth.Cli;

/// <summary>
/// A report rendered in full before any of it is written, so that a failure leaves no
/// half-written output. It is kept as encoded bytes in 64 KiB blocks (<see cref="EncodedText"/>): a thousand threads make
/// a report of megabytes, and keeping it as UTF-16 text took twice the memory and a second copy
/// on the way out. <see cref="Writer"/> takes the text; <see cref="WriteTo"/> sends it on.
/// </summary>
internal sealed class RenderedReport : IDisposable
{
    private const int BlockSize = 1 << 16;

    private readonly EncodedText blocks = new();

    /// <param name="encoding">The encoding of the destination (standard output's, or UTF-8 for a file).</param>
    public RenderedReport(Encoding encoding)
    {
        Encoding = encoding;
        Writer = new StreamWriter(blocks, encoding, BlockSize, leaveOpen: true) { NewLine = "\n", AutoFlush = false };
    }

    public Encoding Encoding { get; }

    /// <summary>Where the report is rendered (lines end with \n whatever the platform).</summary>
    public TextWriter Writer { get; }

    /// <summary>
    /// Writes the report to <paramref name="destination"/>: as bytes to the stream beneath a
    /// <see cref="StreamWriter"/> of the same encoding, else decoded as text.
    /// </summary>
    public void WriteTo(TextWriter destination)
    {
        Writer.Flush();
        if (destination is StreamWriter { BaseStream: { } stream } writer && writer.Encoding.CodePage == Encoding.CodePage)
        {
            writer.Flush();
            WriteTo(stream);
            return;
        }
        var decoder = Encoding.GetDecoder();
        var chars = new char[Encoding.GetMaxCharCount(BlockSize)];
        foreach (var block in blocks.Written)
        {
            int n = decoder.GetChars(block.Span, chars, flush: false);
            destination.Write(chars, 0, n);
        }
        destination.Write(chars, 0, decoder.GetChars([], chars, flush: true));
    }

    /// <summary>Writes the encoded report to <paramref name="destination"/> (a file).</summary>
    public void WriteTo(Stream destination)
    {
        Writer.Flush();
        foreach (var block in blocks.Written) destination.Write(block.Span);
    }

    public void Dispose() => Writer.Dispose();
}
