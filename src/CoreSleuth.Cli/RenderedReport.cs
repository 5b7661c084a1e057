using System.Text;

namespace CoreSleuth.Cli;

/// <summary>
/// A report rendered in full before any of it is written, so that a failure leaves no
/// half-written output. It is kept as encoded bytes in 64 KiB blocks: a thousand threads make
/// a report of megabytes, and keeping it as UTF-16 text took twice the memory and a second copy
/// on the way out. <see cref="Writer"/> takes the text; <see cref="WriteTo"/> sends it on.
/// </summary>
internal sealed class RenderedReport : IDisposable
{
    private const int BlockSize = 1 << 16;

    private readonly Blocks blocks = new();

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

    /// <summary>A write-only stream that keeps what it is given in blocks (no copy on growth, unlike MemoryStream).</summary>
    private sealed class Blocks : Stream
    {
        private readonly List<byte[]> full = [];
        private byte[] current = [];
        private int used;

        public IEnumerable<ReadOnlyMemory<byte>> Written
        {
            get
            {
                foreach (var block in full) yield return block;
                if (used > 0) yield return current.AsMemory(0, used);
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                if (used == current.Length)
                {
                    if (current.Length > 0) full.Add(current);
                    current = GC.AllocateUninitializedArray<byte>(BlockSize);
                    used = 0;
                }
                int n = Math.Min(buffer.Length, current.Length - used);
                buffer[..n].CopyTo(current.AsSpan(used));
                used += n;
                buffer = buffer[n..];
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void WriteByte(byte value) => Write([value]);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => full.Count * (long)BlockSize + used;
        public override long Position { get => Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
