using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CoreSleuth.Report;

/// <summary>
/// Serializes a report into a text writer as it goes, followed by a newline. A thousand threads
/// make 16 MB of JSON: serialized to one string first, that was a 32 MB string and its growing
/// buffers, about 100 MiB of memory, and most of the time of the JSON report.
/// </summary>
internal static class JsonText
{
    public static void Write<T>(T value, JsonTypeInfo<T> typeInfo, TextWriter w)
    {
        using (WriteOnlyStream stream = w is Utf8Writer utf8 ? new CopyingStream(utf8) : new DecodingStream(w)) JsonSerializer.Serialize(stream, value, typeInfo);
        w.WriteLine();
    }

    /// <summary>A write-only stream that puts the serializer's UTF-8 as it is into a writer that writes UTF-8.</summary>
    private sealed class CopyingStream(Utf8Writer writer) : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => writer.WriteUtf8(buffer);
    }

    /// <summary>A write-only stream that decodes the serializer's UTF-8 into the writer, a buffer at a time.</summary>
    private sealed class DecodingStream(TextWriter writer) : WriteOnlyStream
    {
        private readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
        private readonly char[] chars = new char[4096];

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                // Converts what fits in the char buffer; a sequence cut at the end waits in the decoder.
                decoder.Convert(buffer, chars, flush: false, out int bytesUsed, out int charsUsed, out _);
                writer.Write(chars, 0, charsUsed);
                buffer = buffer[bytesUsed..];
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Bytes of a sequence cut off at the end (never, from the serializer) become U+FFFD.
                decoder.Convert([], chars, flush: true, out _, out int charsUsed, out _);
                writer.Write(chars, 0, charsUsed);
            }
            base.Dispose(disposing);
        }
    }

    private abstract class WriteOnlyStream : Stream
    {
        public abstract override void Write(ReadOnlySpan<byte> buffer);
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
