namespace CoreSleuth.Report;

/// <summary>
/// Text already encoded, kept in memory as a list of 64 KiB byte blocks: a write-only stream for a
/// <see cref="StreamWriter"/> to render part of a report into on another core, until it can be
/// written after the rest. Blocks are never copied on growth, unlike MemoryStream's buffer.
/// </summary>
internal sealed class EncodedText : Stream
{
    private const int BlockSize = 1 << 16;

    private readonly List<byte[]> done = [];
    private byte[] current = [];
    private int used;
    private int discard;

    /// <param name="discardFirst">
    /// Bytes to drop from the start of what is written: the preamble (byte order mark) a
    /// <see cref="StreamWriter"/> writes first, when the text is the middle of a report.
    /// </param>
    public EncodedText(int discardFirst = 0) => discard = discardFirst;

    /// <summary>The bytes written so far, block by block, in order.</summary>
    public IEnumerable<ReadOnlyMemory<byte>> Written
    {
        get
        {
            foreach (var block in done) yield return block;
            if (used > 0) yield return current.AsMemory(0, used);
        }
    }

    /// <summary>Forgets what was written, keeping the blocks to write into again.</summary>
    public void Clear()
    {
        if (current.Length > 0) spare.Push(current);
        foreach (var block in done) spare.Push(block);
        done.Clear();
        current = [];
        used = 0;
    }

    private readonly Stack<byte[]> spare = [];

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (discard > 0)
        {
            int skipped = Math.Min(discard, buffer.Length);
            discard -= skipped;
            buffer = buffer[skipped..];
        }
        while (!buffer.IsEmpty)
        {
            if (used == current.Length)
            {
                if (current.Length > 0) done.Add(current);
                current = spare.TryPop(out var again) ? again : GC.AllocateUninitializedArray<byte>(BlockSize);
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
    public override long Length => done.Sum(b => (long)b.Length) + used;
    public override long Position { get => Length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
