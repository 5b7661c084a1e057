using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace CoreSleuth.Report;

/// <summary>
/// A text writer that encodes straight into UTF-8 bytes in its own buffer and writes them to a
/// stream when it is full: what reports go through to standard output and to files. A report of
/// ten thousand threads is a million small writes; through a <see cref="StreamWriter"/> each was
/// copied as characters into its buffer, then transcoded a buffer at a time, and half the time of
/// rendering was the writer's. Here an ASCII character is one byte stored, and a string is
/// transcoded once, vectorized, into the bytes that are written. The bytes are those a
/// <see cref="StreamWriter"/> with UTF-8 without a byte order mark writes: an unpaired surrogate
/// becomes U+FFFD, as its encoder's replacement fallback makes it, even when a pair is split
/// between two writes.
/// </summary>
public sealed class Utf8Writer : TextWriter
{
    private static readonly UTF8Encoding WithoutByteOrderMark = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly byte[] buffer;
    private int used;
    // The high surrogate a write ended with, waiting for the low one that may begin the next.
    private char pendingHigh;
    private bool disposed;

    public Utf8Writer(Stream stream, int bufferSize = 1 << 16, bool leaveOpen = false) : base(CultureInfo.InvariantCulture)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 16);
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        buffer = GC.AllocateUninitializedArray<byte>(bufferSize);
        NewLine = "\n";
    }

    public override Encoding Encoding => WithoutByteOrderMark;

    /// <summary>
    /// What a renderer keeps with this writer between its writes: text already encoded, that the
    /// writer's next lines repeat (<see cref="FrameText"/>). A writer is written by one thread at a
    /// time, and lives as long as one report.
    /// </summary>
    internal object? Memo { get; set; }

    public override void Write(char value)
    {
        if (value < 0x80 && pendingHigh == 0)
        {
            if (used == buffer.Length) Drain();
            buffer[used++] = (byte)value;
        }
        else Write(new ReadOnlySpan<char>(in value));
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(char[]? buffer) => Write(buffer.AsSpan());

    public override void Write(ReadOnlySpan<char> chars)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (chars.IsEmpty) return;
        if (pendingHigh != 0)
        {
            if (char.IsLowSurrogate(chars[0]))
            {
                ReadOnlySpan<char> pair = [pendingHigh, chars[0]];
                pendingHigh = '\0';
                Encode(pair);
                chars = chars[1..];
            }
            else FlushPendingHigh();
        }
        if (!chars.IsEmpty && char.IsHighSurrogate(chars[^1]))
        {
            pendingHigh = chars[^1];
            chars = chars[..^1];
        }
        Encode(chars);
    }

    public override void WriteLine() => Write(CoreNewLine.AsSpan());

    public override void WriteLine(string? value)
    {
        Write(value.AsSpan());
        Write(CoreNewLine.AsSpan());
    }

    public override void WriteLine(ReadOnlySpan<char> chars)
    {
        Write(chars);
        Write(CoreNewLine.AsSpan());
    }

    public override void WriteLine(char value)
    {
        Write(value);
        Write(CoreNewLine.AsSpan());
    }

    /// <summary>
    /// Bytes already encoded as UTF-8 (a serializer's output, a block rendered on another thread),
    /// copied as they are after what was written before.
    /// </summary>
    public void WriteUtf8(ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        FlushPendingHigh();
        if (bytes.Length > buffer.Length - used && bytes.Length >= buffer.Length)
        {
            // Larger than the buffer: written through rather than copied piece by piece.
            Drain();
            stream.Write(bytes);
            return;
        }
        while (!bytes.IsEmpty)
        {
            if (used == buffer.Length) Drain();
            int n = Math.Min(bytes.Length, buffer.Length - used);
            bytes[..n].CopyTo(buffer.AsSpan(used));
            used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes out what is buffered, without flushing the stream beneath (as <see cref="Flush"/> does).</summary>
    private void Drain()
    {
        if (used == 0) return;
        stream.Write(buffer, 0, used);
        used = 0;
    }

    /// <summary>Writes out what is buffered and flushes the stream; a high surrogate still waiting becomes U+FFFD, as <see cref="StreamWriter.Flush()"/> makes it.</summary>
    public override void Flush()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        FlushPendingHigh();
        Drain();
        stream.Flush();
    }

    private void Encode(ReadOnlySpan<char> chars)
    {
        // Most writes are a few ASCII characters (a label, a number, a register): stored one by one,
        // which for them is several times faster than the transcoder's setup.
        if (chars.Length <= 32 && chars.Length <= buffer.Length - used)
        {
            var to = buffer.AsSpan(used, chars.Length);
            int i = 0;
            for (; i < chars.Length && chars[i] < 0x80; i++) to[i] = (byte)chars[i];
            used += i;
            chars = chars[i..];
        }
        while (!chars.IsEmpty)
        {
            // Room for one character's bytes at least (four for a pair), so that every round advances.
            if (buffer.Length - used < 4) Drain();
            var status = Utf8.FromUtf16(chars, buffer.AsSpan(used), out int read, out int written, replaceInvalidSequences: true);
            used += written;
            chars = chars[read..];
            if (status == System.Buffers.OperationStatus.DestinationTooSmall) Drain();
        }
    }

    /// <summary>A high surrogate no low one followed: U+FFFD, as the encoder's replacement fallback writes it.</summary>
    private void FlushPendingHigh()
    {
        if (pendingHigh == 0) return;
        pendingHigh = '\0';
        Encode("\uFFFD");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !disposed)
        {
            try
            {
                FlushPendingHigh();
                Drain();
                stream.Flush();
            }
            finally
            {
                disposed = true;
                if (!leaveOpen) stream.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
